"""Login lock-out and auth throttles behind the documented proxy: every client shares the proxy's
REMOTE_ADDR, so both key on the client address from X-Forwarded-For (NUM_PROXIES=1) and the
lock-out counts per account, with a per-address limit beside it."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.test import APIClient

from apps.core.throttling import AuthRateThrottle
from tests.accounts.factories import PASSWORD, add_member
from tests.helpers import assert_problem, host_of
from tests.support.hashers import CountingMD5PasswordHasher

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
WRONG_PASSWORD = "wrong-password-1"  # pragma: allowlist secret (a failed login)


@pytest.fixture
def behind_proxy():
    rest_framework = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with override_settings(REST_FRAMEWORK=rest_framework):
        yield


def client_from(tenant, address: str) -> APIClient:
    return APIClient(HTTP_HOST=host_of(tenant), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)


def login(client, email, password=PASSWORD):
    return client.post("/api/auth/login", {"email": email, "password": password}, format="json")


def test_account_lockout_counts_failures_from_every_address(behind_proxy, tenant, owner):
    for attempt in range(settings.LOGIN_MAX_FAILURES):
        attacker = client_from(tenant, f"203.0.113.{attempt}")
        assert_problem(login(attacker, owner.email, "wrong-password-1"), 401, "invalid_credentials")

    # Spreading guesses over addresses does not get around the account's limit.
    assert_problem(login(client_from(tenant, "198.51.100.1"), owner.email), 429, "login_locked")


def test_per_address_limit_locks_the_guessing_client_only(
    behind_proxy, tenant, owner, admin_user, caplog
):
    caplog.set_level(logging.WARNING, logger="apps.accounts.services")
    attacker = client_from(tenant, "203.0.113.7")
    with override_settings(LOGIN_MAX_FAILURES_PER_IP=3):
        for number in range(3):
            victim = add_member(tenant, f"victim{number}@example.com")
            assert_problem(login(attacker, victim.email, "wrong-1"), 401, "invalid_credentials")

        # The attacker's address is locked out, even for an account it has not tried…
        assert_problem(login(attacker, admin_user.email), 429, "login_locked")
        # …while another client behind the same proxy signs in.
        assert login(client_from(tenant, "198.51.100.1"), owner.email).status_code == 200

    started = [r for r in caplog.records if r.getMessage() == "login lockout started"]
    assert [r.ip for r in started] == ["203.0.113.7"]


def test_auth_throttle_budget_is_per_client_behind_the_proxy(
    behind_proxy, tenant, owner, monkeypatch
):
    # DRF reads the rates once, at import; the class attribute is where a rate is configured.
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})
    busy = client_from(tenant, "203.0.113.7")
    assert login(busy, owner.email).status_code == 200
    assert login(busy, owner.email).status_code == 200
    assert_problem(login(busy, owner.email), 429, "rate_limited")

    assert login(client_from(tenant, "198.51.100.1"), owner.email).status_code == 200


def test_dashboard_login_lockout_keys_on_the_forwarded_address(behind_proxy, tenant, owner, client):
    with override_settings(LOGIN_MAX_FAILURES_PER_IP=2):
        for _ in range(2):
            response = client.post(
                "/login/",
                {"username": "nobody@example.com", "password": WRONG_PASSWORD},
                HTTP_HOST=host_of(tenant),
                REMOTE_ADDR=PROXY,
                HTTP_X_FORWARDED_FOR="203.0.113.7",
            )
            assert response.status_code == 401
        response = client.post(
            "/login/",
            {"username": owner.email, "password": PASSWORD},
            HTTP_HOST=host_of(tenant),
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )

    assert response.status_code == 302


@pytest.mark.parametrize("email", ["nobody@example.com", "OWNER@acme.test"])
def test_a_failed_login_costs_one_password_hash_whether_or_not_the_email_exists(
    tenant, owner, email
):
    with override_settings(PASSWORD_HASHERS=["tests.support.hashers.CountingMD5PasswordHasher"]):
        CountingMD5PasswordHasher.hashes = 0
        response = login(APIClient(HTTP_HOST=host_of(tenant)), email, "wrong-password-1")

    assert_problem(response, 401, "invalid_credentials")
    assert CountingMD5PasswordHasher.hashes == 1


def test_dashboard_login_is_throttled_per_client_behind_the_proxy(
    behind_proxy, tenant, owner, monkeypatch
):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})

    def post_login(address):
        return Client().post(
            "/login/",
            {"username": owner.email, "password": PASSWORD},
            HTTP_HOST=host_of(tenant),
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=address,
        )

    assert post_login("203.0.113.7").status_code == 302
    throttled = post_login("203.0.113.7")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert post_login("198.51.100.1").status_code == 302
