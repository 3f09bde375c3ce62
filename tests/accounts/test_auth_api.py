"""The auth API over HTTP: register on the public host; login, refresh, logout and profile on a
tenant host; credentials from one tenant are worthless on another."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_exists
from rest_framework.test import APIClient

from apps.accounts.models import Membership, Role, User
from apps.accounts.tokens import TenantRefreshToken
from apps.core.throttling import AuthRateThrottle
from apps.tenants.models import Domain, Tenant
from tests.accounts.factories import PASSWORD, add_member
from tests.accounts.support import signup_confirm_token
from tests.helpers import assert_problem, host_of

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Sturdy-Phrase-77"


def signup_body(**overrides):
    return {
        "email": "grace@example.com",
        "password": "correct-horse-battery",
        "organisation_name": "Hopper Labs",
        **overrides,
    }


def register(client, **overrides):
    return client.post("/api/auth/register", signup_body(**overrides), format="json")


def confirm(client, token):
    return client.post("/api/auth/register/confirm", {"token": token}, format="json")


def login(client, email, password=PASSWORD):
    return client.post("/api/auth/login", {"email": email, "password": password}, format="json")


def assert_nothing_created(*, email: str, slug: str) -> None:
    assert not User.objects.filter(email__iexact=email).exists()
    assert not Tenant.objects.filter(slug=slug).exists()
    assert not Domain.objects.filter(domain=f"{slug}.localhost").exists()
    assert not schema_exists("t_" + slug.replace("-", "_"))


# --- Register -----------------------------------------------------------------------------------


def test_register_mails_a_link_and_creates_nothing_until_it_is_confirmed(public_client):
    response = register(public_client, slug="hopper", full_name="Grace Hopper")

    assert response.status_code == 202, response.content
    assert response.json()["detail"].startswith("Check your email")
    (sent,) = mail.outbox
    assert (sent.to, sent.subject) == (["grace@example.com"], "Confirm your Strato signup")
    assert "http://localhost/signup/confirm/" in sent.body
    assert_nothing_created(email="grace@example.com", slug="hopper")


def test_register_confirm_creates_user_tenant_schema_domain_and_owner_membership(public_client):
    assert register(public_client, slug="hopper", full_name="Grace Hopper").status_code == 202

    response = confirm(public_client, signup_confirm_token("grace@example.com"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "grace@example.com"
    assert body["user"]["full_name"] == "Grace Hopper"
    assert body["tenant"] == {
        "id": body["tenant"]["id"],
        "name": "Hopper Labs",
        "slug": "hopper",
        "url": "http://hopper.localhost/",
    }
    tenant = Tenant.objects.get(slug="hopper")
    assert tenant.status == Tenant.Status.READY
    assert tenant.schema_name == "t_hopper"
    assert schema_exists("t_hopper")
    assert Domain.objects.get(tenant=tenant).domain == "hopper.localhost"
    membership = Membership.objects.get(tenant=tenant)
    assert (membership.user.email, membership.role) == ("grace@example.com", Role.OWNER)
    assert membership.user.check_password("correct-horse-battery")
    # The returned access token works on the new tenant's host.
    client = APIClient(HTTP_HOST="hopper.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert client.get("/api/auth/profile").json()["role"] == "owner"


def test_register_confirm_link_works_once(public_client):
    register(public_client, slug="hopper")
    token = signup_confirm_token("grace@example.com")
    assert confirm(public_client, token).status_code == 201

    assert_problem(confirm(public_client, token), 404, "signup_invalid")
    assert Tenant.objects.filter(slug="hopper").count() == 1


def test_register_confirm_with_an_unknown_or_expired_token(public_client):
    assert_problem(confirm(public_client, "not-a-token"), 404, "signup_invalid")

    register(public_client, slug="hopper")
    token = signup_confirm_token("grace@example.com")
    cache.delete_pattern("*signup-pending:*")  # what Redis does when the entry's TTL runs out

    assert_problem(confirm(public_client, token), 404, "signup_invalid")
    assert_nothing_created(email="grace@example.com", slug="hopper")


def test_register_keeps_only_a_password_hash_in_redis(public_client):
    register(public_client, slug="hopper")

    (key,) = cache.keys("*signup-pending:*")
    pending = cache.get(key)
    assert pending["email"] == "grace@example.com"
    assert "correct-horse-battery" not in json.dumps(pending)
    assert check_password("correct-horse-battery", pending["password_hash"])
    # The key is a digest of the emailed token, not the token itself.
    assert signup_confirm_token("grace@example.com") not in key


def test_register_on_a_tenant_host_is_refused_and_creates_nothing(tenant):
    client = APIClient(HTTP_HOST=host_of(tenant))

    response = register(client, slug="sneaky")

    # Registration exists only in the public host's URLconf.
    body = assert_problem(response, 404, "not_found")
    assert body["detail"] == "No API resource at /api/auth/register on this host."
    assert_nothing_created(email="grace@example.com", slug="sneaky")


@pytest.mark.parametrize("password", ["not-the-password-1", PASSWORD])
def test_register_with_an_existing_email_answers_the_same_and_mails_a_notice(
    public_client, owner, password
):
    new_email_answer = register(public_client, email="newcomer@example.com", slug="first-org")

    response = register(public_client, email=owner.email, slug="second-org", password=password)

    # Same status and body as for a new email: nothing tells that the account exists, nor
    # whether the password was right.
    assert response.status_code == 202, response.content
    assert response.json() == new_email_answer.json()
    notice = mail.outbox[-1]
    assert notice.to == [owner.email]
    assert notice.subject == "Someone tried to sign up to Strato with your address"
    assert "sign in instead" in notice.body
    assert "/signup/confirm/" not in notice.body
    assert not Tenant.objects.filter(slug="second-org").exists()
    assert not schema_exists("t_second_org")
    assert len(cache.keys("*signup-pending:*")) == 1  # the newcomer's only


def test_register_for_an_existing_email_counts_as_a_failed_login(public_client, owner, tenant):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert register(public_client, email=owner.email, slug="second-org").status_code == 202
    notices = len(mail.outbox)

    # Locked out like after failed logins: on signup (whatever the email) and on login.
    assert_problem(register(public_client, email=owner.email), 429, "login_locked")
    assert len(mail.outbox) == notices
    assert_problem(login(APIClient(HTTP_HOST=host_of(tenant)), owner.email), 429, "login_locked")


def test_register_for_a_new_email_is_locked_out_the_same_way(public_client):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert register(public_client, slug="hopper").status_code == 202

    assert_problem(register(public_client, slug="hopper"), 429, "login_locked")


def test_register_is_throttled_per_client_address(public_client, monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})
    assert register(public_client, slug="hopper").status_code == 202

    assert_problem(register(public_client, slug="hopper"), 429, "rate_limited")


def test_confirm_after_the_email_got_an_account_meanwhile(public_client):
    register(public_client, slug="hopper")
    token = signup_confirm_token("grace@example.com")
    User.objects.create_user(email="grace@example.com", password=NEW_PASSWORD)

    assert_problem(confirm(public_client, token), 409, "email_taken")
    assert not Tenant.objects.filter(slug="hopper").exists()


def test_register_duplicate_slug_is_slug_taken(public_client, tenant):
    response = register(public_client, slug="acme")

    body = assert_problem(response, 409, "slug_taken")
    assert body["errors"] == {"slug": ["This organisation address is already taken."]}
    assert not User.objects.filter(email="grace@example.com").exists()


def test_register_slug_derived_from_name_collides_too(public_client, tenant):
    response = register(public_client, organisation_name="ACME")

    assert_problem(response, 409, "slug_taken")


@pytest.mark.parametrize("slug", ["www", "api", "admin"])
def test_register_reserved_slug(public_client, slug):
    response = register(public_client, slug=slug)

    body = assert_problem(response, 400, "reserved_slug")
    assert list(body["errors"]) == ["slug"]
    assert_nothing_created(email="grace@example.com", slug=slug)


@pytest.mark.parametrize("slug", ["-acme", "ac", "a_b_c", "two--dashes", "Ünïcode", "x" * 41])
def test_register_invalid_slug(public_client, slug):
    response = register(public_client, slug=slug)

    body = assert_problem(response, 400, "invalid_slug")
    assert list(body["errors"]) == ["slug"]
    assert not User.objects.filter(email="grace@example.com").exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_register_invalid_email(public_client, email):
    response = register(public_client, email=email, slug="bad-email")

    body = assert_problem(response, 400, "invalid_email")
    assert body["errors"] == {"email": ["Enter a valid email address."]}
    assert_nothing_created(email=email, slug="bad-email")


def test_register_weak_password_creates_nothing(public_client):
    response = register(public_client, password="password", slug="weak-org")

    body = assert_problem(response, 400, "weak_password")
    assert "password" in body["errors"]
    assert_nothing_created(email="grace@example.com", slug="weak-org")


def test_register_one_megabyte_password_is_refused_and_creates_nothing(public_client):
    response = register(public_client, password="x" * (1024 * 1024), slug="huge-org")

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["password"]
    assert_nothing_created(email="grace@example.com", slug="huge-org")


def test_register_password_just_over_the_validator_limit_is_weak(public_client):
    response = register(public_client, password="Ab1-" * 33, slug="long-org")  # 132 chars

    body = assert_problem(response, 400, "weak_password")
    assert "too long" in body["errors"]["password"][0]
    assert_nothing_created(email="grace@example.com", slug="long-org")


def test_register_malformed_json(public_client):
    response = public_client.post(
        "/api/auth/register", data='{"email": "grace@', content_type="application/json"
    )

    assert_problem(response, 400, "malformed_request")
    assert not User.objects.filter(email__startswith="grace").exists()


def test_register_wrong_content_type(public_client):
    response = public_client.post(
        "/api/auth/register", data="email=grace@example.com", content_type="text/plain"
    )

    body = assert_problem(response, 415, "unsupported_media_type")
    assert "text/plain" in body["detail"]


def test_register_missing_fields_lists_each_field(public_client):
    response = public_client.post("/api/auth/register", {}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert set(body["errors"]) == {"email", "password", "organisation_name"}


# --- Login, refresh, logout ---------------------------------------------------------------------


def test_login_returns_a_pair_bound_to_the_tenant(tenant, owner, api_client_for):
    response = login(api_client_for(tenant), "Owner@Acme.test")

    assert response.status_code == 200, response.content
    pair = response.json()
    assert set(pair) == {"access", "refresh"}
    access = jwt.decode(pair["access"], settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    assert access["tenant"] == str(tenant.public_id)
    assert access["sub"] == str(owner.public_id)
    client = api_client_for(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert client.get("/api/auth/profile").json()["email"] == "owner@acme.test"


def test_login_on_the_public_host_is_not_found(public_client, owner):
    # Login exists only in tenant hosts' URLconf.
    assert_problem(login(public_client, owner.email), 404, "not_found")


def test_login_wrong_password(tenant, owner, api_client_for):
    body = assert_problem(
        login(api_client_for(tenant), owner.email, "wrong-password-1"), 401, "invalid_credentials"
    )
    assert body["detail"] == "Email or password is incorrect for this organisation."


def test_login_unknown_email_is_the_same_answer(tenant, api_client_for):
    assert_problem(login(api_client_for(tenant), "nobody@acme.test"), 401, "invalid_credentials")


def test_login_as_non_member_of_this_tenant(tenant, other_owner, api_client_for):
    assert_problem(login(api_client_for(tenant), other_owner.email), 401, "invalid_credentials")


def test_login_inactive_user(tenant, owner, api_client_for):
    User.objects.filter(pk=owner.pk).update(is_active=False)

    assert_problem(login(api_client_for(tenant), owner.email), 401, "invalid_credentials")


def test_login_locks_out_after_max_failures_and_logs_it(tenant, owner, api_client_for, caplog):
    client = api_client_for(tenant)
    caplog.set_level(logging.WARNING, logger="apps.accounts.services")
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert_problem(login(client, owner.email, "wrong-password-1"), 401, "invalid_credentials")
    ours = [r for r in caplog.records if r.name.startswith("apps.accounts.services")]
    assert [r.getMessage() for r in ours] == ["login lockout started"]

    # Locked: even the right password is refused now.
    response = login(client, owner.email)

    body = assert_problem(response, 429, "login_locked")
    assert response["Retry-After"] == str(settings.LOGIN_LOCKOUT_SECONDS)
    assert body["retry_after"] == settings.LOGIN_LOCKOUT_SECONDS
    locked = [
        r
        for r in caplog.records
        if r.name.startswith("apps.accounts.services")
        and r.getMessage() == "login refused: locked out"
    ]
    assert len(locked) == 1
    assert locked[0].levelno == logging.WARNING
    assert locked[0].ip == "127.0.0.1"


def test_failures_below_the_limit_are_forgotten_after_a_success(tenant, owner, api_client_for):
    client = api_client_for(tenant)
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        login(client, owner.email, "wrong-password-1")
    assert login(client, owner.email).status_code == 200
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        login(client, owner.email, "wrong-password-1")

    assert login(client, owner.email).status_code == 200


def test_lockout_is_per_email(tenant, owner, admin_user, api_client_for):
    client = api_client_for(tenant)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        login(client, owner.email, "wrong-password-1")

    assert login(client, admin_user.email).status_code == 200
    assert_problem(login(client, owner.email), 429, "login_locked")


def test_refresh_rotates_and_the_old_refresh_token_cannot_be_reused(tenant, owner, api_client_for):
    client = api_client_for(tenant)
    first = login(client, owner.email).json()

    rotated = client.post("/api/auth/refresh", {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200, rotated.content
    second = rotated.json()
    assert second["refresh"] != first["refresh"]
    reused = client.post("/api/auth/refresh", {"refresh": first["refresh"]}, format="json")
    assert_problem(reused, 401, "token_invalid")
    again = client.post("/api/auth/refresh", {"refresh": second["refresh"]}, format="json")
    assert again.status_code == 200


def test_refresh_for_a_member_who_was_removed(tenant, member, api_client_for):
    pair = login(api_client_for(tenant), member.email).json()
    Membership.objects.filter(user=member, tenant=tenant).delete()

    response = api_client_for(tenant).post(
        "/api/auth/refresh", {"refresh": pair["refresh"]}, format="json"
    )

    assert_problem(response, 401, "membership_revoked")


def test_logout_revokes_the_refresh_token(tenant, owner, api_client_for):
    client = api_client_for(tenant)
    pair = login(client, owner.email).json()

    response = client.post("/api/auth/logout", {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 204
    after = client.post("/api/auth/refresh", {"refresh": pair["refresh"]}, format="json")
    assert_problem(after, 401, "token_invalid")


def test_refresh_with_garbage(tenant, api_client_for):
    response = api_client_for(tenant).post(
        "/api/auth/refresh", {"refresh": "garbage"}, format="json"
    )

    assert_problem(response, 401, "token_invalid")


# --- Profile ------------------------------------------------------------------------------------


def test_profile_get(tenant, admin_user, api_client_for):
    response = api_client_for(tenant, admin_user).get("/api/auth/profile")

    assert response.status_code == 200
    assert response.json() == {
        "id": str(admin_user.public_id),
        "email": "admin@acme.test",
        "full_name": "Admin",
        "role": "admin",
    }


def test_profile_requires_authentication(tenant, api_client_for):
    assert_problem(api_client_for(tenant).get("/api/auth/profile"), 401, "not_authenticated")


def test_profile_put_changes_the_name(tenant, owner, api_client_for):
    response = api_client_for(tenant, owner).put(
        "/api/auth/profile", {"full_name": "  Olive Owner "}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "Olive Owner"
    owner.refresh_from_db()
    assert owner.full_name == "Olive Owner"


def test_password_change_requires_the_current_password(tenant, owner, api_client_for):
    client = api_client_for(tenant, owner)

    missing = client.put("/api/auth/profile", {"new_password": NEW_PASSWORD}, format="json")
    wrong = client.put(
        "/api/auth/profile",
        {"new_password": NEW_PASSWORD, "current_password": "nope-nope-nope"},
        format="json",
    )

    for response in (missing, wrong):
        body = assert_problem(response, 400, "invalid_password")
        assert body["errors"] == {"current_password": ["Current password is incorrect."]}
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_password_change_rejects_a_weak_new_password(tenant, owner, api_client_for):
    response = api_client_for(tenant, owner).put(
        "/api/auth/profile",
        {"current_password": PASSWORD, "new_password": "12345678"},
        format="json",
    )

    body = assert_problem(response, 400, "weak_password")
    assert list(body["errors"]) == ["new_password"]
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_password_change_then_login_with_the_new_password(tenant, owner, api_client_for):
    response = api_client_for(tenant, owner).put(
        "/api/auth/profile",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    client = api_client_for(tenant)
    assert_problem(login(client, owner.email, PASSWORD), 401, "invalid_credentials")
    assert login(client, owner.email, NEW_PASSWORD).status_code == 200


def test_one_user_two_tenants_two_roles(tenant, other_tenant, api_client_for):
    user = add_member(tenant, "both@example.com", Role.ADMIN)
    add_member(other_tenant, "both@example.com", Role.MEMBER)

    on_acme = api_client_for(tenant, user).get("/api/auth/profile").json()
    on_globex = api_client_for(other_tenant, user).get("/api/auth/profile").json()

    assert (on_acme["role"], on_globex["role"]) == ("admin", "member")


# --- Isolation ----------------------------------------------------------------------------------


def test_jwt_of_tenant_a_on_tenant_b_host(tenant, other_tenant, owner, api_client_for):
    # Even when the user is a member of B, a token issued for A is refused on B's host.
    add_member(other_tenant, owner.email, Role.OWNER)
    access = login(api_client_for(tenant), owner.email).json()["access"]
    client = api_client_for(other_tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = client.get("/api/auth/profile")

    assert_problem(response, 401, "token_wrong_tenant")


def test_refresh_token_of_tenant_a_on_tenant_b_host(tenant, other_tenant, owner, api_client_for):
    add_member(other_tenant, owner.email, Role.OWNER)
    refresh = login(api_client_for(tenant), owner.email).json()["refresh"]

    response = api_client_for(other_tenant).post(
        "/api/auth/refresh", {"refresh": refresh}, format="json"
    )

    assert_problem(response, 401, "token_wrong_tenant")
    # The refused attempt did not burn the token on its own tenant.
    again = api_client_for(tenant).post("/api/auth/refresh", {"refresh": refresh}, format="json")
    assert again.status_code == 200


def test_logout_with_another_tenants_refresh_token(tenant, other_tenant, owner, api_client_for):
    refresh = login(api_client_for(tenant), owner.email).json()["refresh"]

    response = api_client_for(other_tenant).post(
        "/api/auth/logout", {"refresh": refresh}, format="json"
    )

    assert_problem(response, 401, "token_wrong_tenant")


def test_expired_access_token(tenant, owner, api_client_for):
    access = TenantRefreshToken.for_membership(user=owner, tenant=tenant).access_token
    access.set_exp(lifetime=-timedelta(seconds=1))
    client = api_client_for(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = client.get("/api/auth/profile")

    body = assert_problem(response, 401, "token_not_valid")
    assert body["detail"] == "Token is expired"


def test_forged_access_token(tenant, owner, api_client_for):
    genuine = TenantRefreshToken.for_membership(user=owner, tenant=tenant).access_token
    forged = jwt.encode(dict(genuine.payload), "not-our-signing-key", algorithm="HS256")
    client = api_client_for(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert_problem(client.get("/api/auth/profile"), 401, "token_not_valid")


def test_access_token_with_tampered_tenant_claim(tenant, other_tenant, owner, api_client_for):
    token = str(TenantRefreshToken.for_membership(user=owner, tenant=tenant).access_token)
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["tenant"] = str(other_tenant.public_id)
    tampered_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    client = api_client_for(other_tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {header}.{tampered_payload}.{signature}")

    assert_problem(client.get("/api/auth/profile"), 401, "token_not_valid")


def test_refresh_token_is_not_an_access_token(tenant, owner, api_client_for):
    refresh = login(api_client_for(tenant), owner.email).json()["refresh"]
    client = api_client_for(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh}")

    assert_problem(client.get("/api/auth/profile"), 401, "token_not_valid")


def test_jwt_of_a_removed_member_gets_403(tenant, member, api_client_for):
    client = api_client_for(tenant, member)
    Membership.objects.filter(user=member, tenant=tenant).delete()

    assert_problem(client.get("/api/auth/profile"), 403, "permission_denied")


def test_no_schema_or_rows_leak_between_register_attempts(public_client):
    before = _schemas()
    register(public_client, password="short", slug="leak-one")
    register(public_client, slug="www")

    assert _schemas() == before


def _schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cursor.fetchall()}
