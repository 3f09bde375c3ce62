"""A password change or reset ends every other sign-in (refresh tokens of every organisation,
other sessions); removing a member ends that organisation's refresh tokens of that member; an API
key cannot change its creator's password; the reset form is throttled and mails members only."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts import services
from apps.accounts.models import ApiKey, Membership, User
from apps.core.throttling import AuthRateThrottle
from tests.accounts.factories import PASSWORD, add_member
from tests.helpers import assert_problem, host_of, signed_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Sturdy-Phrase-77"  # pragma: allowlist secret (test users only)


def refresh(tenant, token):
    client = APIClient(HTTP_HOST=host_of(tenant))
    return client.post("/api/auth/refresh", {"refresh": token}, format="json")


def test_password_change_over_the_api_revokes_every_refresh_token(
    tenant, other_tenant, owner, api_client_for
):
    add_member(other_tenant, owner.email)
    here = services.tokens_issue(user=owner, tenant=tenant)
    elsewhere = services.tokens_issue(user=owner, tenant=other_tenant)
    client = APIClient(HTTP_HOST=host_of(tenant))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {here['access']}")

    response = client.put(
        "/api/auth/profile",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert_problem(refresh(tenant, here["refresh"]), 401, "token_invalid")
    assert_problem(refresh(other_tenant, elsewhere["refresh"]), 401, "token_invalid")
    # Logging in again gives a working pair.
    fresh = client.post(
        "/api/auth/login", {"email": owner.email, "password": NEW_PASSWORD}, format="json"
    ).json()
    assert refresh(tenant, fresh["refresh"]).status_code == 200


def test_password_change_in_the_dashboard_ends_other_sessions_and_keeps_this_one(tenant, owner):
    here = signed_in(tenant, owner)
    other_browser = signed_in(tenant, owner)
    pair = services.tokens_issue(user=owner, tenant=tenant)

    response = here.post(
        "/settings/profile/",
        {"full_name": "Ada", "current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert other_browser.get("/").status_code == 302  # back to the login page
    assert_problem(refresh(tenant, pair["refresh"]), 401, "token_invalid")


def test_password_reset_revokes_refresh_tokens_and_ends_sessions(tenant, owner):
    session = signed_in(tenant, owner)
    pair = services.tokens_issue(user=owner, tenant=tenant)
    client = Client(HTTP_HOST=host_of(tenant))

    assert client.post("/password-reset/", {"email": owner.email}).status_code == 302
    (message,) = mail.outbox
    path = re.search(r"/password-reset/[^/\s]+/[^/\s]+/", message.body).group(0)
    form_page = client.get(path)
    assert form_page.status_code == 302  # Django swaps the token for a session-held one
    done = client.post(
        form_page["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert User.objects.get(pk=owner.pk).check_password(NEW_PASSWORD)
    assert_problem(refresh(tenant, pair["refresh"]), 401, "token_invalid")
    assert session.get("/").status_code == 302


def test_removing_a_member_revokes_that_organisations_refresh_tokens_only(
    tenant, other_tenant, owner, member, api_client_for
):
    add_member(other_tenant, member.email)
    here = services.tokens_issue(user=member, tenant=tenant)
    elsewhere = services.tokens_issue(user=member, tenant=other_tenant)
    membership = Membership.objects.get(user=member, tenant=tenant)

    response = api_client_for(tenant, owner).delete(f"/api/members/{membership.public_id}")

    assert response.status_code == 204
    # Back in the organisation later, the old token still does not work.
    add_member(tenant, member.email)
    assert_problem(refresh(tenant, here["refresh"]), 401, "token_invalid")
    assert refresh(other_tenant, elsewhere["refresh"]).status_code == 200


def test_an_api_key_cannot_change_its_creators_password(tenant, admin_user):
    _api_key, key = ApiKey.objects.create_key(tenant=tenant, created_by=admin_user, name="CRM")
    client = APIClient(HTTP_HOST=host_of(tenant))
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    response = client.put(
        "/api/auth/profile",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert_problem(response, 403, "password_change_needs_login")
    assert User.objects.get(pk=admin_user.pk).check_password(PASSWORD)
    # The key may still rename its creator.
    renamed = client.put("/api/auth/profile", {"full_name": "Integration"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["full_name"] == "Integration"


def test_password_reset_is_throttled_per_client_address(tenant, owner, monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})
    client = Client(HTTP_HOST=host_of(tenant))
    assert client.post("/password-reset/", {"email": owner.email}).status_code == 302

    response = client.post("/password-reset/", {"email": owner.email})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert len(mail.outbox) == 1


def test_password_reset_mails_only_members_of_this_organisation(tenant, other_owner):
    client = Client(HTTP_HOST=host_of(tenant))

    response = client.post("/password-reset/", {"email": other_owner.email})

    assert response.status_code == 302  # same answer as for a member
    assert mail.outbox == []
