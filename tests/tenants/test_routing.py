"""Host routing: unknown hosts answer 404 (HTML or problem+json), the host lookup is served from
the cache, and the cache forgets a host as soon as its domain or tenant changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.tenants.models import Domain, Tenant
from tests.helpers import assert_problem, host_of
from tests.tenants.factories import DomainFactory

pytestmark = pytest.mark.django_db


def routing_queries(queries) -> list[str]:
    return [
        q["sql"] for q in queries if "tenants_domain" in q["sql"] or "tenants_tenant" in q["sql"]
    ]


def test_unknown_host_is_a_404_page_for_browsers():
    response = Client(HTTP_HOST="nobody.localhost").get("/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "There is no page or organisation at this address." in response.content.decode()


def test_unknown_host_is_problem_json_under_api():
    response = Client(HTTP_HOST="nobody.localhost").get("/api/auth/profile")

    body = assert_problem(response, 404, "not_found")
    assert body["detail"] == "No API resource at /api/auth/profile on this host."


def test_public_host_serves_the_landing_page():
    assert Client(HTTP_HOST="localhost").get("/").status_code == 200


def test_tenant_host_routes_to_its_tenant(tenant, other_tenant):
    assert (
        "Log in to Acme Analytics"
        in Client(HTTP_HOST=host_of(tenant)).get("/login/").content.decode()
    )
    assert (
        "Log in to Globex"
        in Client(HTTP_HOST=host_of(other_tenant)).get("/login/").content.decode()
    )


def test_host_case_does_not_matter(tenant):
    assert Client(HTTP_HOST="ACME.localhost").get("/login/").status_code == 200


def test_warm_host_lookup_does_not_query_the_database(tenant):
    client = Client(HTTP_HOST=host_of(tenant))
    with CaptureQueriesContext(connection) as cold:
        assert client.get("/login/").status_code == 200
    assert routing_queries(cold.captured_queries), "the first request must look the host up"

    with CaptureQueriesContext(connection) as warm:
        assert client.get("/login/").status_code == 200

    assert routing_queries(warm.captured_queries) == []


def test_unknown_hosts_are_cached_too():
    client = Client(HTTP_HOST="nobody.localhost")
    client.get("/")

    with CaptureQueriesContext(connection) as warm:
        assert client.get("/").status_code == 404

    assert routing_queries(warm.captured_queries) == []


def test_renamed_domain_is_forgotten(tenant, django_capture_on_commit_callbacks):
    client = Client()
    assert client.get("/login/", HTTP_HOST="acme.localhost").status_code == 200
    domain = Domain.objects.get(domain="acme.localhost")

    with django_capture_on_commit_callbacks(execute=True):
        domain.domain = "acme-renamed.localhost"
        domain.save()

    assert client.get("/login/", HTTP_HOST="acme.localhost").status_code == 404
    assert client.get("/login/", HTTP_HOST="acme-renamed.localhost").status_code == 200


def test_deleted_domain_is_forgotten(tenant, django_capture_on_commit_callbacks):
    client = Client(HTTP_HOST="acme.localhost")
    assert client.get("/login/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        Domain.objects.get(domain="acme.localhost").delete()

    assert client.get("/login/").status_code == 404


def test_new_domain_for_a_host_cached_as_unknown(tenant, django_capture_on_commit_callbacks):
    client = Client(HTTP_HOST="shop.acme.localhost")
    assert client.get("/login/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        DomainFactory(domain="shop.acme.localhost", tenant=tenant)

    assert "Log in to Acme Analytics" in client.get("/login/").content.decode()


def test_suspended_tenant_stops_routing(tenant, django_capture_on_commit_callbacks):
    client = Client(HTTP_HOST="acme.localhost")
    assert client.get("/login/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        tenant.status = Tenant.Status.SUSPENDED
        tenant.save()

    assert client.get("/login/").status_code == 404


def test_spare_and_template_schemas_are_not_routable(django_capture_on_commit_callbacks):
    template = Tenant.objects.get(status=Tenant.Status.TEMPLATE)
    with django_capture_on_commit_callbacks(execute=True):
        DomainFactory(domain="template.localhost", tenant=template)

    assert Client(HTTP_HOST="template.localhost").get("/login/").status_code == 404


def test_request_runs_in_the_tenant_schema(tenant, other_tenant):
    Client(HTTP_HOST=host_of(other_tenant)).get("/login/")
    assert connection.schema_name == "t_globex"

    Client(HTTP_HOST=host_of(tenant)).get("/login/")

    assert connection.schema_name == "t_acme"
