"""While PostgreSQL or Redis is unreachable, the API answers 503 problem+json with Retry-After
(the dashboard a 503 page), not a 500. The services are made really unreachable: the
connection settings point at a port nothing listens on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from apps.core.transient import RETRY_AFTER_SECONDS
from tests.helpers import assert_problem, host_of, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def answering_errors(client: Client) -> Client:
    """Django's test client re-raises a view's exception; a server answers it (handler500)."""
    client.raise_request_exception = False
    return client


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def database_unreachable() -> Iterator[None]:
    saved = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", closed_port()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["HOST"], connection.settings_dict["PORT"] = saved


def make_redis_unreachable(settings) -> None:
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }


def test_api_answers_503_while_the_database_is_unreachable(tenant, owner, api_client_for):
    client = api_client_for(tenant, owner)
    assert client.get("/api/campaigns").status_code == 200  # warms the host → tenant cache

    with database_unreachable():
        response = client.get("/api/campaigns")

    body = assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "try again" in body["detail"].lower()
    assert client.get("/api/campaigns").status_code == 200  # and back once it is


def test_api_answers_503_when_the_tenant_lookup_finds_no_database(tenant, api_client_for):
    client = answering_errors(api_client_for(tenant))
    cache.clear()  # the host → tenant lookup must go to the database

    with database_unreachable():
        response = client.post("/api/auth/login", {"email": "a@b.c", "password": "x"})

    assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_dashboard_shows_a_503_page_while_the_database_is_unreachable(tenant, owner):
    client = answering_errors(signed_in(tenant, owner))

    with database_unreachable():
        response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert b"Back in a moment" in response.content


def test_api_answers_503_while_redis_is_unreachable(tenant, owner, api_client_for, settings):
    client = answering_errors(api_client_for(tenant, owner))
    make_redis_unreachable(settings)

    response = client.get("/api/campaigns")

    assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_dashboard_shows_a_503_page_while_redis_is_unreachable(tenant, settings):
    make_redis_unreachable(settings)

    response = answering_errors(Client(HTTP_HOST=host_of(tenant))).get("/login/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
