"""Every API error is application/problem+json with a stable code, whoever produced it: our
services, DRF, Django's URL resolver or the tenant router."""

from __future__ import annotations

import uuid

import pytest

from apps.core.throttling import AuthRateThrottle
from tests.accounts.factories import PASSWORD
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


def test_drf_not_found_under_api(tenant, owner, api_client_for):
    response = api_client_for(tenant, owner).delete(f"/api/keys/{uuid.uuid4()}")

    assert_problem(response, 404, "not_found")


def test_method_not_allowed(tenant, api_client_for):
    response = api_client_for(tenant).get("/api/auth/login")

    body = assert_problem(response, 405, "method_not_allowed")
    assert body["detail"] == 'Method "GET" not allowed.'
    assert "POST" in response["Allow"]


def test_unknown_api_path_on_a_tenant_host(tenant, api_client_for):
    body = assert_problem(api_client_for(tenant).get("/api/no-such-thing"), 404, "not_found")

    assert body["detail"] == "No API resource at /api/no-such-thing on this host."


def test_unknown_api_path_on_the_public_host(public_client):
    assert_problem(public_client.post("/api/keys", {}, format="json"), 404, "not_found")


def test_not_authenticated_names_the_scheme(tenant, api_client_for):
    response = api_client_for(tenant).get("/api/members")

    body = assert_problem(response, 401, "not_authenticated")
    assert body["detail"] == "Authentication credentials were not provided."
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_permission_denied(tenant, member, api_client_for):
    body = assert_problem(api_client_for(tenant, member).get("/api/keys"), 403, "permission_denied")

    assert body["detail"] == "This action needs the admin role (capability `api_key.manage`)."
    assert (body["capability"], body["required_role"]) == ("api_key.manage", "admin")


def test_validation_errors_are_listed_per_field(tenant, owner, api_client_for):
    response = api_client_for(tenant, owner).post(
        "/api/invitations", {"role": "emperor"}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert set(body["errors"]) == {"email", "role"}
    assert body["detail"].startswith(("email: ", "role: "))


def test_malformed_json_on_a_tenant_endpoint(tenant, api_client_for):
    response = api_client_for(tenant).post(
        "/api/auth/login", data="{nope", content_type="application/json"
    )

    assert_problem(response, 400, "malformed_request")


def test_form_encoded_body_is_unsupported(tenant, api_client_for):
    response = api_client_for(tenant).post(
        "/api/auth/login",
        data=f"email=owner@acme.test&password={PASSWORD}",
        content_type="application/x-www-form-urlencoded",
    )

    assert_problem(response, 415, "unsupported_media_type")


def test_auth_endpoints_are_throttled_per_ip(tenant, owner, api_client_for, monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})
    client = api_client_for(tenant)
    body = {"email": owner.email, "password": PASSWORD}
    for _ in range(2):
        assert client.post("/api/auth/login", body, format="json").status_code == 200

    response = client.post("/api/auth/login", body, format="json")

    problem = assert_problem(response, 429, "rate_limited")
    assert 0 < int(response["Retry-After"]) <= 60
    assert problem["retry_after"] == int(response["Retry-After"])


def test_oversized_body_is_refused(public_client):
    response = public_client.post(
        "/api/auth/register", data="x" * (3 * 1024 * 1024), content_type="application/json"
    )

    assert_problem(response, 413, "payload_too_large")
