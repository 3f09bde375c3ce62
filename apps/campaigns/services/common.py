"""What the campaigns services share: the tenant at hand, the status shorthand, name checks."""

from __future__ import annotations

import enum

from django.db import connection

from apps.core.errors import Conflict, ValidationFailed
from apps.tenants.models import Tenant

from ..models import Campaign

S = Campaign.Status


class Unchanged(enum.Enum):
    """The default of an update argument whose `None` is a value (no template, no list)."""

    UNCHANGED = enum.auto()


UNCHANGED = Unchanged.UNCHANGED


class CampaignStateConflict(Conflict):
    code = "campaign_invalid_transition"
    title = "Not allowed in the campaign's current state"


def current_tenant() -> Tenant:
    # django-tenants sets `tenant` and `schema_name` on the connection; the stubs don't know.
    tenant: Tenant = connection.tenant  # type: ignore[attr-defined]
    return tenant


def current_schema() -> str:
    schema: str = connection.schema_name  # type: ignore[attr-defined]
    return schema


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.for_field("name", "Enter a name.", code="name_required")
    return name
