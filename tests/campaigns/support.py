"""Helpers for the campaign tests (and the browser test that sends a campaign)."""

from __future__ import annotations

from django.db import connection

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
