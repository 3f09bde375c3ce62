"""Reads about leads: lookups, filtered listings, history, GDPR export, CSV export, imports and
what their GitHub accounts show."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Count, Q, QuerySet
from django_tenants.utils import tenant_context

from apps.repos.selectors import owner_stacks, owners_analysing
from apps.tenants.models import Tenant

from ..models import Lead, LeadImport, Message, Segment
from ..rendering import LeadFields, lead_github_owner
from .audience import is_suppressed, leads_matching


def lead_get(*, public_id: uuid.UUID | str | None) -> Lead | None:
    """One lead with its lists, or None."""
    if not public_id:
        return None
    return Lead.objects.prefetch_related("lists").filter(public_id=public_id).first()


def lead_first() -> Lead | None:
    """The oldest lead: what the template editor previews with."""
    return Lead.objects.order_by("id").first()


def leads_by_public_ids(*, public_ids: Iterable[uuid.UUID | str]) -> list[Lead]:
    return list(Lead.objects.filter(public_id__in=public_ids))


def leads_with_lists() -> QuerySet[Lead]:
    return Lead.objects.prefetch_related("lists")


def leads_newest_first() -> QuerySet[Lead]:
    return Lead.objects.order_by("-id")


def leads_filtered(*, filters: dict[str, Any], segment: Segment | None = None) -> QuerySet[Lead]:
    """Leads with their lists matching `filters` and, when given, the saved `segment`."""
    qs = leads_with_lists()
    if segment is not None:
        qs = leads_matching(filters=segment.filters, queryset=qs)
    return leads_matching(filters=filters, queryset=qs).distinct()


def lead_history(*, lead: Lead) -> list[dict[str, Any]]:
    rows = (
        Message.objects.filter(lead=lead)
        .select_related("campaign")
        .annotate(
            opens=Count("events", filter=Q(events__kind="opened", events__machine=False)),
            clicks=Count("events", filter=Q(events__kind="clicked", events__machine=False)),
        )
        .order_by("-created_at")
    )
    return [
        {
            "campaign": {"id": str(m.campaign.public_id), "name": m.campaign.name},
            "message_id": str(m.public_id),
            "status": m.status,
            "sent_at": m.sent_at,
            "delivered_at": m.delivered_at,
            "bounced_at": m.bounced_at,
            "complained_at": m.complained_at,
            "unsubscribed_at": m.unsubscribed_at,
            "opens": m.opens,
            "clicks": m.clicks,
        }
        for m in rows
    ]


def lead_export_data(*, lead: Lead) -> dict[str, Any]:
    """Everything Strato holds about one lead (GDPR access request)."""
    return {
        "lead": {
            "id": str(lead.public_id),
            "email": lead.email,
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "company": lead.company,
            "github_username": lead.github_username,
            "github_url": lead.github_url,
            "attributes": lead.attributes,
            "tags": lead.tags,
            "lists": list(lead.lists.values_list("name", flat=True)),
            "created_at": lead.created_at.isoformat(),
        },
        "suppressed": is_suppressed(email=lead.email),
        "messages": [
            {
                **row,
                "sent_at": row["sent_at"] and row["sent_at"].isoformat(),
                "delivered_at": row["delivered_at"] and row["delivered_at"].isoformat(),
                "bounced_at": row["bounced_at"] and row["bounced_at"].isoformat(),
                "complained_at": row["complained_at"] and row["complained_at"].isoformat(),
                "unsubscribed_at": row["unsubscribed_at"] and row["unsubscribed_at"].isoformat(),
            }
            for row in lead_history(lead=lead)
        ],
    }


def leads_export_rows(queryset: QuerySet[Lead]) -> Iterator[list[str]]:
    """CSV rows (header first) for a queryset of leads, streamed by the view."""
    yield [
        "email",
        "first_name",
        "last_name",
        "company",
        "github_username",
        "github_url",
        "tags",
        "attributes",
        "created_at",
    ]
    for lead in queryset.order_by("id").iterator(chunk_size=2000):
        yield [
            lead.email,
            lead.first_name,
            lead.last_name,
            lead.company,
            lead.github_username,
            lead.github_url,
            ";".join(lead.tags),
            json.dumps(lead.attributes),
            lead.created_at.isoformat(),
        ]


def lead_stacks(*, leads: Iterable[Lead | LeadFields]) -> dict[str, dict[str, Any]]:
    """`lead.stack` variables for many leads in one query, keyed by lower-cased GitHub owner."""
    stacks: dict[str, dict[str, Any]] = owner_stacks(
        owners=[lead_github_owner(lead) for lead in leads]
    )
    return stacks


def lead_stack(*, lead: Lead | LeadFields) -> dict[str, Any]:
    owner = lead_github_owner(lead)
    return lead_stacks(leads=[lead]).get(owner.lower(), {}) if owner else {}


def lead_github_states(*, leads: Iterable[Lead]) -> dict[int, dict[str, Any]]:
    """Per lead (by pk), what its GitHub account shows: `owner`, the merged `stack` of its
    analysed repositories (or None) and whether an analysis is `analysing` now; two queries."""
    owners = {lead.pk: lead_github_owner(lead) for lead in leads}
    stacks = owner_stacks(owners=owners.values())
    analysing = owners_analysing(owners=owners.values())
    return {
        pk: {
            "owner": owner,
            "stack": stacks.get(owner.lower()),
            "analysing": owner.lower() in analysing,
        }
        for pk, owner in owners.items()
        if owner
    }


def import_get(*, public_id: uuid.UUID | str) -> LeadImport | None:
    return LeadImport.objects.filter(public_id=public_id).first()


def imports_recent(*, limit: int = 5) -> list[LeadImport]:
    return list(LeadImport.objects.all()[:limit])


def leads_held(*, tenant: Tenant) -> int:
    """Leads the tenant holds: billing's `leads` stock counter (see CampaignsConfig.ready)."""
    with tenant_context(tenant):
        return Lead.objects.count()
