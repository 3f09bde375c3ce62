"""Campaign fixtures: a tenant with a postal address, its schema active, a stub Resend server and
a real Celery worker on the real Redis broker."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from apps.campaigns import services
from apps.campaigns.models import Campaign, EmailTemplate, Lead
from apps.tenants.models import Tenant
from strato.celery import app

# GitHub stubbed at the HTTP layer and in-process Celery, as in the repository tests.
from tests.repos.conftest import eager_celery, fast_github, github_api  # noqa: F401

from .stub_resend import StubResend

CAMPAIGN_TABLES = [
    "campaigns_event",
    "campaigns_message",
    "campaigns_campaign",
    "campaigns_lead_lists",
    "campaigns_leadimport",
    "campaigns_lead",
    "campaigns_leadlist",
    "campaigns_segment",
    "campaigns_emailtemplate",
    "campaigns_suppression",
]


def wipe(tenant: Tenant) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE "
            + ", ".join(f'"{tenant.schema_name}".{t}' for t in CAMPAIGN_TABLES)
            + " CASCADE"
        )
        cursor.execute("DELETE FROM billing_usagecounter")


@pytest.fixture
def shop(tenant) -> Tenant:
    """The `acme` tenant, ready to send: postal address set, campaign tables empty, schema on."""
    Tenant.objects.filter(pk=tenant.pk).update(postal_address="1 Analytical Way\nLondon N1")
    tenant.refresh_from_db()
    wipe(tenant)
    connection.set_tenant(tenant)
    yield tenant
    connection.set_schema_to_public()


@pytest.fixture
def api(shop, owner, api_client_for):
    """An API client of the shop's owner, with the connection on the shop's schema."""
    client = api_client_for(shop, owner)
    connection.set_tenant(shop)
    return client


@pytest.fixture
def template(shop) -> EmailTemplate:
    return services.template_create(
        name="Welcome",
        subject='Hello {{ lead.first_name|default:"there" }}',
        html='<p>Hi {{ lead.first_name|default:"there" }} from {{ lead.company }}.</p>'
        '<p><a href="https://acme.example/offer?a=1&amp;b=2">See the offer</a></p>',
    )


def make_leads(count: int, *, prefix: str = "lead") -> list[Lead]:
    return Lead.objects.bulk_create(
        [
            Lead(email=f"{prefix}{i}@example.com", first_name=f"Name{i}", company=f"Co{i}")
            for i in range(count)
        ]
    )


@pytest.fixture
def campaign(shop, template) -> Campaign:
    return services.campaign_create(
        name="Launch", template=template, from_email="Acme <news@acme.example>"
    )


@pytest.fixture
def stub_resend(settings):
    stub = StubResend().start()
    settings.CAMPAIGN_TRANSPORT = "resend"
    settings.RESEND_API_URL = stub.url
    settings.ANYMAIL = {**settings.ANYMAIL, "RESEND_API_KEY": "re_test_key"}
    settings.RESEND_RATE_PER_SECOND = 1000.0
    settings.RESEND_MAX_WAIT_SECONDS = 20.0
    yield stub
    stub.stop()


@pytest.fixture
def worker():
    hijack = app.conf.worker_hijack_root_logger
    app.conf.worker_hijack_root_logger = False
    app.control.purge()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.worker_hijack_root_logger = hijack


def wait_for(predicate, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not true within {seconds}s")
