"""Small helpers shared by the test directories: hosts, signed-in clients, assertions."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.test import Client

from apps.tenants.models import Tenant
from tests.accounts.factories import PASSWORD

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
STAFF_EMAIL = "staff@strato.test"


def host_of(tenant: Tenant) -> str:
    return f"{tenant.slug}.localhost"


def signed_in(tenant: Tenant, user) -> Client:
    """A browser-like client signed in on the tenant's host through the login form."""
    client = Client(HTTP_HOST=host_of(tenant))
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def staff_signed_in(host: str) -> Client:
    """A client signed in to the staff admin on `host` as the `staff` fixture's user."""
    client = Client(HTTP_HOST=host)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": STAFF_EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    return client


def wait_for(predicate: Callable[[], object], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not true within {seconds}s")


def assert_problem(response, status: int, code: str) -> dict:
    """`response` is an application/problem+json answer with `status` and the stable `code`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"] == f"https://docs.strato.dev/errors/{code}"
    assert body["title"]
    assert body["detail"]
    return body
