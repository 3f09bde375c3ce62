"""Issue 12, items 12 and 13: what the API fuzzer found, each pinned by a regression test.

Server errors become 4xx problem+json answers (OPTIONS on every view, invalid query parameters,
NUL characters, a non-ASCII webhook signature), and the OpenAPI documents tell the truth (429
with Retry-After where a throttle applies, 404 where a path has an id, typed segment filters).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(tenant, owner, api_client_for):
    client = api_client_for(tenant, owner)
    connection.set_tenant(tenant)
    yield client
    connection.set_schema_to_public()


@pytest.fixture(scope="module")
def tenant_schema(tmp_path_factory):
    import yaml

    out = tmp_path_factory.mktemp("schema") / "tenant.yaml"
    call_command("spectacular", urlconf="strato.urls_tenant_api", file=str(out))
    return yaml.safe_load(out.read_text())


# 12. Server errors found by fuzzing.


@pytest.mark.parametrize(
    "path",
    [
        "/api/campaigns/00000000-0000-0000-0000-000000000000/schedule",
        "/api/leads/00000000-0000-0000-0000-000000000000",
        "/api/segments/00000000-0000-0000-0000-000000000000",
        "/api/billing/checkout",
        "/api/github/token",
        "/api/tenant",
    ],
)
def test_options_describes_the_endpoint_instead_of_failing(api, path):
    response = api.options(path)

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["name"]
    assert body["schema"] == "/api/schema/"
    assert "application/json" in body["renders"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/campaigns?status=AAA", "status"),
        ("/api/leads?opened_within_days=null", "opened_within_days"),
        ("/api/leads?list=not-a-uuid", "list"),
        ("/api/leads?segment=not-a-uuid", "segment"),
        ("/api/leads/export?opened_within_days=-3", "opened_within_days"),
        ("/api/repositories?status=AAA", "status"),
        ("/api/suppressions?email=not-an-address", "email"),
    ],
)
def test_invalid_query_parameters_are_a_400_problem(api, path, field):
    method = api.delete if path.startswith("/api/suppressions") else api.get

    body = assert_problem(method(path), 400, "validation_error")

    assert field in body["errors"]


def test_valid_query_parameters_still_filter(api):
    from tests.campaigns.factories import LeadFactory

    LeadFactory(email="py@example.com", tags=["python"])
    LeadFactory(email="go@example.com", tags=["go"])

    response = api.get("/api/leads?tag=python&tag=rust&search=example")

    assert response.status_code == 200, response.content
    assert [lead["email"] for lead in response.json()["results"]] == ["py@example.com"]


def test_nul_character_in_a_json_member_is_a_400_problem(api):
    from apps.campaigns.models import Lead

    response = api.post(
        "/api/leads",
        {"email": "nul@example.com", "attributes": {"plan": "pro\x00"}},
        format="json",
    )

    body = assert_problem(response, 400, "nul_character")
    assert "NUL" in body["detail"]
    assert not Lead.objects.filter(email="nul@example.com").exists()


def test_nul_character_in_a_json_key_is_a_400_problem(api):
    response = api.post("/api/segments", {"name": "S", "filters": {"\x00": 1}}, format="json")

    assert_problem(response, 400, "nul_character")


def test_non_ascii_github_signature_is_a_401_problem(client, settings):
    settings.GITHUB_WEBHOOK_SECRET = "s3cret"

    response = client.post(
        "/api/webhooks/github",
        data=b"{}",
        content_type="application/json",
        HTTP_HOST="localhost",
        HTTP_X_HUB_SIGNATURE_256="sha256=\u00e9\u00e9",
        HTTP_X_GITHUB_EVENT="ping",
        HTTP_X_GITHUB_DELIVERY="1",
    )

    assert_problem(response, 401, "webhook_signature_invalid")


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"list": "not-a-uuid"}, "filters.list"),
        ({"email_domain": 7}, "filters.email_domain"),
        ({"opened_within_days": True}, "filters.opened_within_days"),
    ],
)
def test_segment_filters_of_the_wrong_type_are_a_400_problem(api, filters, field):
    response = api.post("/api/segments", {"name": "Typed", "filters": filters}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert field in body["errors"]


# 13. The schema tells the truth.


def test_every_throttled_operation_documents_429_with_retry_after(tenant_schema):
    operations = [
        (path, method, operation)
        for path, item in tenant_schema["paths"].items()
        for method, operation in item.items()
    ]
    throttled = [op for op in operations if op[0] != "/api/billing/plans"]
    assert len(throttled) > 50
    for path, method, operation in throttled:
        answer = operation["responses"].get("429")
        assert answer is not None, (method, path)
        assert "Retry-After" in answer.get("headers", {}), (method, path)
        assert "application/problem+json" in answer["content"]


def test_every_operation_with_a_path_id_documents_404(tenant_schema):
    for path, item in tenant_schema["paths"].items():
        if "{" not in path:
            continue
        for method, operation in item.items():
            assert "404" in operation["responses"], (method, path)


def test_segment_filters_have_a_typed_schema(tenant_schema):
    schemas = tenant_schema["components"]["schemas"]
    filters = schemas["SegmentInputRequest"]["properties"]["filters"]

    assert filters["additionalProperties"] is False
    assert filters["properties"]["opened_within_days"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 3650,
        "description": "Opened (human) recently.",
    }
    assert filters["properties"]["list"]["format"] == "uuid"


def test_query_parameters_are_typed_in_the_schema(tenant_schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in tenant_schema["paths"]["/api/leads"]["get"]["parameters"]
    }

    assert parameters["opened_within_days"]["schema"]["type"] == "integer"
    assert parameters["list"]["schema"]["format"] == "uuid"
    assert parameters["tag"]["schema"]["type"] == "array"
    assert "400" in tenant_schema["paths"]["/api/leads"]["get"]["responses"]


def test_a_query_parameter_given_empty_is_a_400_problem(api):
    body = assert_problem(api.get("/api/campaigns?status="), 400, "validation_error")

    assert body["errors"] == {"status": ["May not be blank."]}


def test_more_parameters_than_the_server_reads_is_a_400_problem(api):
    from tests.campaigns.factories import LeadListFactory

    lead_list = LeadListFactory()
    ids = "&".join(["lead=e3e70682-c209-1cac-a29f-6fbed82c07cd"] * 1001)

    response = api.delete(f"/api/lists/{lead_list.public_id}/leads?{ids}")

    assert_problem(response, 400, "too_many_fields")
