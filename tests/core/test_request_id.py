"""X-Request-ID: a sane incoming id is kept, anything else is replaced, none is generated."""

from __future__ import annotations

import re

import pytest
from django.test import Client

HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def client(db, tenant) -> Client:
    return Client(HTTP_HOST="acme.localhost")


def test_valid_incoming_id_is_echoed(client):
    response = client.get("/login/", HTTP_X_REQUEST_ID="req-2026.11:abc_DEF")

    assert response["X-Request-ID"] == "req-2026.11:abc_DEF"


@pytest.mark.parametrize(
    "incoming",
    ["short", "has spaces in it", "<script>alert(1)</script>", "x" * 129, "ünïcödé-id-123"],
)
def test_invalid_incoming_id_is_replaced(client, incoming):
    response = client.get("/login/", HTTP_X_REQUEST_ID=incoming)

    assert HEX32.match(response["X-Request-ID"])


def test_absent_id_is_generated_fresh_per_request(client):
    first = client.get("/login/")["X-Request-ID"]
    second = client.get("/login/")["X-Request-ID"]

    assert HEX32.match(first)
    assert HEX32.match(second)
    assert first != second


def test_api_errors_and_unknown_hosts_carry_the_id(db):
    api = Client(HTTP_HOST="nobody.localhost").get("/api/x", HTTP_X_REQUEST_ID="trace-12345678")
    page = Client(HTTP_HOST="nobody.localhost").get("/", HTTP_X_REQUEST_ID="trace-87654321")

    assert (api.status_code, api["X-Request-ID"]) == (404, "trace-12345678")
    assert (page.status_code, page["X-Request-ID"]) == (404, "trace-87654321")


def test_liveness_carries_the_id():
    response = Client().get("/health", HTTP_X_REQUEST_ID="probe-12345678")

    assert response["X-Request-ID"] == "probe-12345678"
