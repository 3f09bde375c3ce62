"""Regression tests for the security review ("Hardening"): oversized renderings, tracking flush
isolation, CSV import failures, CSV formula injection, link schemes, NUL bytes and bad filters."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from django.db import connection
from django_redis import get_redis_connection

from apps.campaigns import services, tracking
from apps.campaigns.models import Event, Lead, LeadImport, Message
from apps.campaigns.tasks import flush_tracking_events
from tests.campaigns.factories import MessageFactory
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db

HUMAN = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15"


# 3. Templates cannot exhaust worker memory.


def test_a_huge_filter_width_is_refused_when_the_template_is_saved(api):
    response = api.post(
        "/api/templates",
        {"name": "Big", "subject": "Hi", "html": '<p>{{ lead.email|ljust:"50000000" }}</p>'},
        format="json",
    )
    body = assert_problem(response, 400, "template_invalid")
    assert body["errors"]["html"] == ["The argument of |ljust is at most 1000."]


def test_a_preview_that_would_be_too_large_is_a_400_not_a_huge_response(api):
    lead = services.lead_create(
        tenant=connection.tenant,
        email="pad@example.com",
        attributes={"width": "3000000"},
    )
    response = api.post(
        "/api/templates/preview",
        {
            "subject": "Hi",
            "html": "<p>{{ lead.email|center:lead.attributes.width }}</p>",
            "lead": str(lead.public_id),
        },
        format="json",
    )
    body = assert_problem(response, 400, "template_too_large")
    assert body["errors"] == {"html": ["The argument of |center is at most 1000."]}


# 10. CSV exports cannot carry formulas.


def test_lead_export_escapes_cells_that_spreadsheets_would_run(api):
    services.lead_create(
        tenant=connection.tenant,
        email="formula@example.com",
        first_name='=HYPERLINK("http://evil.example")',
        last_name="+1",
        company="@SUM(A1)",
    )
    response = api.get("/api/leads/export")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][:4] == [
        "formula@example.com",
        '\'=HYPERLINK("http://evil.example")',
        "'+1",
        "'@SUM(A1)",
    ]


def test_import_error_report_escapes_formula_cells(api):
    upload = io.BytesIO(b"email,first_name\n=cmd|' /C calc'!A0,Eve\n-2+3,Bob\n")
    upload.name = "leads.csv"
    response = api.post("/api/leads/imports", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    job = LeadImport.objects.get(public_id=response.json()["id"])
    services.lead_import_run(import_pk=job.pk)
    report = b"".join(api.get(f"/api/leads/imports/{job.public_id}/errors")).decode()
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[1:] == [
        ["2", "'=cmd|' /C calc'!A0", "error", "Invalid email address"],
        ["3", "'-2+3", "error", "Invalid email address"],
    ]


# 11. Only http(s) and mailto links survive rendering; the click redirect only goes to http(s).


def test_links_are_checked_after_rendering(api):
    services.lead_create(
        tenant=connection.tenant,
        email="js@example.com",
        attributes={"site": "javascript:alert(document.cookie)"},
    )
    lead = Lead.objects.get(email="js@example.com")
    response = api.post(
        "/api/templates/preview",
        {
            "subject": "Hi",
            "html": "<p><a href=\"{{ 'javascript:alert(1)' }}\">one</a>"
            '<a href="{{ lead.attributes.site }}">two</a>'
            '<a href="https://ok.example/">three</a>'
            '<a href="mailto:ada@example.com">four</a></p>',
            "lead": str(lead.public_id),
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    html = response.json()["html"]
    assert "javascript" not in html
    assert html.startswith(
        '<p><a>one</a><a>two</a><a href="https://ok.example/">three</a>'
        '<a href="mailto:ada@example.com">four</a></p>'
    )


# 4. One tenant's failing insert never drops another tenant's events.


@pytest.fixture
def sent_message(shop, campaign) -> Message:
    return MessageFactory(campaign=campaign)


def _buffer(schema: str, message_id, kind: str = "opened") -> None:
    event = {
        "k": kind,
        "s": schema,
        "m": message_id,
        "ua": HUMAN,
        "r": "",
        "u": "",
        "t": time.time(),
    }
    get_redis_connection("default").rpush(tracking.BUFFER_KEY, json.dumps(event))


def test_a_failing_tenant_does_not_lose_the_events_of_the_others(sent_message):
    redis = get_redis_connection("default")
    redis.delete(tracking.BUFFER_KEY, tracking.PARKED_KEY)
    _buffer("t_ghost", 1)  # a schema without tables: its insert fails every time
    _buffer("t_acme", sent_message.pk)
    _buffer("t_acme", "not-a-number")  # a poisoned event of a healthy tenant
    _buffer("t_acme", sent_message.pk, kind="clicked")
    tenant = connection.tenant
    connection.set_schema_to_public()
    try:
        assert flush_tracking_events() == 2
        for _ in range(5):  # later beat runs: retried, then parked, never looping forever
            flush_tracking_events()
    finally:
        connection.set_tenant(tenant)
    assert sorted(Event.objects.values_list("kind", flat=True)) == ["clicked", "opened"]
    assert redis.llen(tracking.BUFFER_KEY) == 0
    parked = tracking.parked_events()
    assert sorted((e["s"], str(e["m"]), e["a"]) for e in parked) == [
        ("t_acme", "not-a-number", 3),
        ("t_ghost", "1", 3),
    ]
    assert all(e["error"] for e in parked)
