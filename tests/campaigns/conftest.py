"""Campaign fixtures: a tenant with a postal address, its schema active, and a stub Resend
server. The real Celery worker (`worker`) and the GitHub stubs come from tests/support."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.campaigns import services
from apps.campaigns.models import Campaign, EmailTemplate
from apps.tenants.models import Tenant

from .stub_resend import StubResend
from .support import verified_sending_domain, wipe


@pytest.fixture
def shop(tenant) -> Tenant:
    """The `acme` tenant, ready to send: postal address set, campaign tables empty, `acme.example`
    a verified sending domain (campaigns send as news@acme.example), schema on."""
    Tenant.objects.filter(pk=tenant.pk).update(postal_address="1 Analytical Way\nLondon N1")
    tenant.refresh_from_db()
    wipe(tenant)
    verified_sending_domain(tenant, "acme.example")
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
