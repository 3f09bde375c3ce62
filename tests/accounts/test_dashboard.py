"""Dashboard pages: session login on the tenant host, role-gated settings, signup on the public
host handing off to the new tenant's host, and sessions that do not travel between tenants."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from apps.accounts.models import ApiKey, Membership, Role, User
from apps.core.throttling import AuthRateThrottle
from apps.tenants.models import Tenant
from tests.accounts.factories import PASSWORD, add_member
from tests.accounts.support import signup_confirm_link
from tests.helpers import assert_problem, host_of, signed_in

pytestmark = pytest.mark.django_db


def browser(tenant=None, **kwargs) -> Client:
    return Client(HTTP_HOST=host_of(tenant) if tenant else "localhost", **kwargs)


def test_login_page_on_a_tenant_host(tenant):
    response = browser(tenant).get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Log in to Acme Analytics" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert response["Content-Type"].startswith("text/html")


def test_session_login_then_dashboard_shows_the_tenant(tenant, owner):
    client = browser(tenant)

    response = client.post("/login/", {"username": "OWNER@acme.test", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    html = home.content.decode()
    assert "<h1>Acme Analytics</h1>" in html
    assert "1 member." in html


def test_dashboard_navigation_pages_render(tenant, owner):
    client = signed_in(tenant, owner)

    for path in (
        "/campaigns/",
        "/repositories/",
        "/billing/",
        "/settings/profile/",
        "/settings/members/",
        "/settings/organisation/",
        "/settings/api-keys/",
    ):
        assert client.get(path).status_code == 200, path


def test_wrong_password_rerenders_the_form(tenant, owner):
    response = browser(tenant).post("/login/", {"username": owner.email, "password": "nope!"})

    assert response.status_code == 401
    assert "Email or password is incorrect for this organisation." in response.content.decode()


def test_dashboard_login_is_locked_out_too(tenant, owner, settings):
    client = browser(tenant)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post("/login/", {"username": owner.email, "password": "nope!"})

    response = client.post("/login/", {"username": owner.email, "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert client.get("/").status_code == 302


def test_login_form_requires_csrf(tenant, owner):
    client = browser(tenant, enforce_csrf_checks=True)

    response = client.post("/login/", {"username": owner.email, "password": PASSWORD})

    assert response.status_code == 403
    assert client.get("/").status_code == 302


def test_login_form_with_csrf_token(tenant, owner):
    client = browser(tenant, enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/login/", {"username": owner.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_anonymous_is_sent_to_login(tenant):
    response = browser(tenant).get("/settings/members/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/settings/members/"


def test_non_member_cannot_log_in(tenant, other_owner):
    response = browser(tenant).post(
        "/login/", {"username": other_owner.email, "password": PASSWORD}
    )

    assert response.status_code == 401


def test_member_cannot_open_api_keys(tenant, member):
    client = signed_in(tenant, member)

    response = client.get("/settings/api-keys/")

    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert client.post("/settings/api-keys/", {"name": "mine"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_admin_creates_a_key_shown_once(tenant, admin_user):
    client = signed_in(tenant, admin_user)

    response = client.post("/settings/api-keys/", {"name": "Warehouse"})

    assert response.status_code == 200
    match = re.search(r'data-testid="new-api-key">([^<]+)</pre>', response.content.decode())
    assert match
    key = match[1]
    assert ApiKey.objects.get_from_key(key).name == "Warehouse"
    assert key not in client.get("/settings/api-keys/").content.decode()
    api = Client(HTTP_HOST=host_of(tenant), HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get("/api/auth/profile").json()["email"] == "admin@acme.test"


def test_admin_revokes_a_key_from_the_dashboard(tenant, admin_user):
    client = signed_in(tenant, admin_user)
    api_key, _ = ApiKey.objects.create_key(tenant=tenant, created_by=admin_user, name="Old")

    response = client.post(f"/settings/api-keys/{api_key.public_id}/revoke/")

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked is True


def test_session_of_tenant_a_replayed_on_tenant_b_is_anonymous(tenant, other_tenant, owner):
    # The user belongs to both tenants, so only the session binding can keep B closed.
    add_member(other_tenant, owner.email, Role.OWNER)
    on_a = signed_in(tenant, owner)
    cookie = on_a.cookies["sessionid"].value
    on_b = browser(other_tenant)
    on_b.cookies["sessionid"] = cookie

    page = on_b.get("/")

    assert page.status_code == 302
    assert page["Location"] == "/login/?next=/"
    api = on_b.get("/api/auth/profile")
    assert_problem(api, 401, "not_authenticated")
    # The session still works where it was opened.
    assert on_a.get("/").status_code == 200


def test_session_on_the_public_host_does_not_reach_tenant_pages(tenant, owner):
    client = signed_in(tenant, owner)

    assert client.get("/", HTTP_HOST="localhost").status_code == 200  # landing page
    assert client.get("/admin/", HTTP_HOST="localhost").status_code == 302


def test_logout_ends_the_session(tenant, owner):
    client = signed_in(tenant, owner)

    assert client.post("/logout/").status_code == 302

    assert client.get("/").status_code == 302


SIGNUP = {
    "full_name": "Grace Hopper",
    "email": "grace@example.com",
    "password": "correct-horse-battery",
    "organisation_name": "Hopper Labs",
    "slug": "",
}


def test_signup_says_check_your_email_and_creates_nothing_yet():
    response = browser().post("/signup/", SIGNUP)

    assert response.status_code == 202
    assert "Check your email" in response.content.decode()
    assert not Tenant.objects.filter(slug="hopper-labs").exists()
    assert mail.outbox[-1].to == ["grace@example.com"]


def test_signup_for_an_existing_email_shows_the_same_page(owner):
    response = browser().post("/signup/", {**SIGNUP, "email": owner.email})

    assert response.status_code == 202
    assert "Check your email" in response.content.decode()
    assert mail.outbox[-1].subject == "Someone tried to sign up to Strato with your address"
    assert not Tenant.objects.filter(slug="hopper-labs").exists()


def test_signup_page_is_throttled(monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})
    assert browser().post("/signup/", SIGNUP).status_code == 202

    response = browser().post("/signup/", SIGNUP)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert len(mail.outbox) == 1


def test_signup_page_locks_out_like_a_failed_login(settings):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert browser().post("/signup/", SIGNUP).status_code == 202

    response = browser().post("/signup/", SIGNUP)

    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.LOGIN_LOCKOUT_SECONDS)
    assert "Too many failed logins" in response.content.decode()
    assert len(mail.outbox) == settings.LOGIN_MAX_FAILURES


def test_signup_confirm_link_creates_the_org_and_hands_off_once(public_client):
    signup = browser()
    assert signup.post("/signup/", SIGNUP).status_code == 202
    link = signup_confirm_link("grace@example.com")
    path = link.split("localhost", 1)[1]

    # Opening the link (as a mail scanner would) creates nothing; the button does.
    page = signup.get(path)
    assert page.status_code == 200
    assert "Create Hopper Labs" in page.content.decode()
    assert not Tenant.objects.filter(slug="hopper-labs").exists()
    response = signup.post(path)

    assert response.status_code == 302
    match = re.fullmatch(
        r"http://hopper-labs\.localhost/handoff/(?P<token>[^/]+)/", response["Location"]
    )
    assert match, response["Location"]
    tenant = Tenant.objects.get(slug="hopper-labs")
    assert tenant.status == Tenant.Status.READY
    assert Membership.objects.get(tenant=tenant).role == Role.OWNER

    first = browser(tenant)
    landed = first.get(f"/handoff/{match['token']}/")
    assert landed.status_code == 302
    assert landed["Location"] == "/"
    home = first.get("/")
    assert home.status_code == 200
    assert "Hopper Labs" in home.content.decode()

    second = browser(tenant)
    replay = second.get(f"/handoff/{match['token']}/", follow=True)
    assert replay.redirect_chain[-1][0] == "/login/"
    assert "already used" in replay.content.decode()
    assert second.get("/").status_code == 302

    # The confirmation link itself is used up too.
    used = browser().post(path)
    assert used.status_code == 404
    assert "invalid, expired or already used" in used.content.decode()


def test_handoff_token_is_worthless_on_another_tenant(tenant, other_tenant):
    signup = browser()
    signup.post("/signup/", {**SIGNUP, "slug": "hopper"})
    path = signup_confirm_link("grace@example.com").split("localhost", 1)[1]
    response = signup.post(path)
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]

    client = browser(other_tenant)
    replay = client.get(f"/handoff/{token}/", follow=True)

    assert "for another organisation" in replay.content.decode()
    assert client.get("/").status_code == 302


def test_signup_errors_are_shown_and_nothing_is_created():
    response = browser().post(
        "/signup/",
        {
            "email": "grace@example.com",
            "password": "correct-horse-battery",
            "organisation_name": "Admin",
            "slug": "admin",
            "full_name": "",
        },
    )

    assert response.status_code == 400
    assert "“admin” is reserved." in response.content.decode()
    assert not User.objects.filter(email="grace@example.com").exists()


def test_signup_page_exists_only_on_the_public_host(tenant):
    assert browser().get("/signup/").status_code == 200
    assert browser(tenant).get("/signup/").status_code == 404


def test_find_organisation_redirects_to_its_login(tenant):
    response = browser().post("/login/", {"slug": "acme"})

    assert response.status_code == 302
    assert response["Location"] == "http://acme.localhost/login/"
    missing = browser().post("/login/", {"slug": "nobody-here"})
    assert missing.status_code == 400


def test_invitation_page_on_the_right_and_the_wrong_host(tenant, other_tenant, admin_user):
    from apps.accounts import services

    invitation = services.invitation_create(
        tenant=tenant,
        email="grace@example.com",
        role=Role.MEMBER,
        invited_by=Membership.objects.get(user=admin_user, tenant=tenant),
    )
    token = services.invitation_token(invitation=invitation)

    assert browser(tenant).get(f"/invitations/{token}/").status_code == 200
    assert browser(other_tenant).get(f"/invitations/{token}/").status_code == 404

    joined = browser(tenant)
    response = joined.post(
        f"/invitations/{token}/", {"password": "Brand-New-Passphrase-9", "full_name": "Grace"}
    )
    assert response.status_code == 302
    assert joined.get("/").status_code == 200
    assert Membership.objects.get(tenant=tenant, user__email="grace@example.com").role == "member"
