"""Helpers for the campaign tests (and the browser test that sends a campaign)."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.campaigns.domain_claims.models import SendingDomainClaim
from apps.campaigns.models import SendingDomain
from apps.tenants.models import Tenant

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
    "campaigns_sendingdomain",
]


def wipe(tenant: Tenant) -> None:
    """No campaign data left in the tenant's schema, and no usage counted (transactional tests
    commit, so a rollback does not clean up after them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE "
            + ", ".join(f'"{tenant.schema_name}".{t}' for t in CAMPAIGN_TABLES)
            + " CASCADE"
        )
        cursor.execute("DELETE FROM billing_usagecounter")


def verified_sending_domain(tenant: Tenant, name: str = "acme.example") -> SendingDomain:
    """`name` as a verified sending domain of `tenant`, claimed for it, as if Resend had
    verified it: campaigns may then send from any address on it. Idempotent (transactional
    tests commit the public claim)."""
    SendingDomainClaim.objects.update_or_create(name=name, defaults={"tenant": tenant})
    with schema_context(tenant.schema_name):
        domain, _ = SendingDomain.objects.update_or_create(
            name=name,
            defaults={
                "resend_id": f"verified-{tenant.schema_name}-{name}",
                "status": SendingDomain.Status.VERIFIED,
                "verified_at": timezone.now(),
                "last_checked_at": timezone.now(),
            },
        )
    return domain


# Resend's domains API (https://resend.com/docs/api-reference/domains), as the tests stub it.
RESEND_ID = "4dd369bc-aa82-4ff3-97de-514ae3000ee0"


def resend_domain(name: str, status: str = "not_started", domain_id: str = RESEND_ID) -> dict:
    """A domain as Resend's `POST /domains` and `GET /domains/{id}` answer it."""
    return {
        "object": "domain",
        "id": domain_id,
        "name": name,
        "status": status,
        "created_at": "2026-12-06T02:00:00.000000+00:00",
        "region": "us-east-1",
        "records": [
            {
                "record": "SPF",
                "name": "send",
                "type": "MX",
                "ttl": "Auto",
                "status": status,
                "value": "feedback-smtp.us-east-1.amazonses.com",
                "priority": 10,
            },
            {
                "record": "SPF",
                "name": "send",
                "value": '"v=spf1 include:amazonses.com ~all"',
                "type": "TXT",
                "ttl": "Auto",
                "status": status,
            },
            {
                "record": "DKIM",
                "name": "resend._domainkey",
                "value": "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDsc4Lh8xilsngyKEgN2S84",
                "type": "TXT",
                "status": status,
                "ttl": "Auto",
            },
        ],
    }
