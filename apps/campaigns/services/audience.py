"""Audiences: lists and their members, saved segments, and the suppression list."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from apps.billing.services import entitlement_ensure_writable
from apps.core.errors import Conflict, ValidationFailed

from .. import selectors
from ..models import Campaign, Lead, LeadList, Segment, Suppression
from .common import S, clean_name, current_tenant

# A list or segment under one of these campaigns is what it is sending (or about to send) to.
AUDIENCE_LOCKING = (S.SCHEDULED, S.SENDING, S.PAUSED)

Named = TypeVar("Named", LeadList, Segment)


class AudienceInUse(Conflict):
    title = "Used by an active campaign"


def _unique_name(
    model: type[LeadList] | type[Segment], *, name: str, label: str, exclude_pk: int | None = None
) -> None:
    others = model.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise Conflict(f"A {label} named {name!r} already exists.", code=f"{label}_exists")


def _save_named(obj: Named, *, label: str) -> Named:
    """Save, turning a lost race on the unique name into the same 409 as the check above."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise Conflict(
            f"A {label} named {obj.name!r} already exists.", code=f"{label}_exists"
        ) from exc
    return obj


@transaction.atomic
def list_create(*, name: str) -> LeadList:
    name = clean_name(name)
    _unique_name(LeadList, name=name, label="list")
    return _save_named(LeadList(name=name), label="list")


@transaction.atomic
def list_update(*, lead_list: LeadList, name: str) -> LeadList:
    name = clean_name(name)
    _unique_name(LeadList, name=name, label="list", exclude_pk=lead_list.pk)
    lead_list.name = name
    return _save_named(lead_list, label="list")


def _refuse_if_locked(campaigns: models.QuerySet[Campaign], *, what: str, code: str) -> None:
    active = list(
        campaigns.filter(status__in=AUDIENCE_LOCKING)
        .order_by("created_at", "id")
        .values("public_id", "name", "status")
    )
    if active:
        names = ", ".join(f"{row['name']} ({row['status']})" for row in active[:5])
        raise AudienceInUse(
            f"This {what} is the audience of campaigns that are scheduled, sending or paused: "
            f"{names}. Cancel them, or let them finish, before deleting it.",
            code=code,
            extra={
                "campaigns": [
                    {"id": str(row["public_id"]), "name": row["name"], "status": row["status"]}
                    for row in active
                ]
            },
        )


def _detach_audience(campaigns: models.QuerySet[Campaign], *, field: str, label: str) -> int:
    """Campaigns keep a note of the deleted audience instead of the foreign key.

    Their reports read messages and events, which stay; the note says what they went to. A
    draft with the note is refused at send time until it has an audience again.
    """
    detached = 0
    for campaign in campaigns.select_for_update():
        note = f"{campaign.audience_removed}; {label}" if campaign.audience_removed else label
        setattr(campaign, field, None)
        campaign.audience_removed = note[:500]
        campaign.save(update_fields=[field, "audience_removed", "updated_at"])
        detached += 1
    return detached


@transaction.atomic
def list_delete(*, lead_list: LeadList) -> None:
    """Delete a list (its leads stay). Refused while an active campaign sends to it, directly or
    through a segment filtering on it; other campaigns keep their reports and a note."""
    lead_list = LeadList.objects.select_for_update().get(pk=lead_list.pk)
    segments = Segment.objects.filter(filters__list=str(lead_list.public_id))
    _refuse_if_locked(
        Campaign.objects.filter(models.Q(lead_list=lead_list) | models.Q(segment__in=segments)),
        what="list",
        code="list_in_use",
    )
    _detach_audience(
        Campaign.objects.filter(lead_list=lead_list),
        field="lead_list",
        label=f'list "{lead_list.name}" (deleted)',
    )
    lead_list.delete()


@transaction.atomic
def list_leads_add(*, lead_list: LeadList, leads: list[Lead]) -> int:
    """Add leads to a list; returns how many were not members yet. Idempotent."""
    entitlement_ensure_writable(
        tenant=current_tenant(), resource="leads", current=Lead.objects.count()
    )
    through = Lead.lists.through
    ids = {lead.pk for lead in leads}
    already = set(
        through.objects.filter(leadlist_id=lead_list.pk, lead_id__in=ids).values_list(
            "lead_id", flat=True
        )
    )
    new = ids - already
    through.objects.bulk_create(
        [through(leadlist_id=lead_list.pk, lead_id=pk) for pk in sorted(new)],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return len(new)


@transaction.atomic
def list_leads_remove(*, lead_list: LeadList, leads: list[Lead]) -> int:
    """Remove leads from a list (the leads stay); returns how many were members."""
    removed, _ = Lead.lists.through.objects.filter(
        leadlist_id=lead_list.pk, lead_id__in=[lead.pk for lead in leads]
    ).delete()
    return removed


def _clean_filters(filters: dict[str, Any]) -> dict[str, Any]:
    errors = selectors.segment_filter_errors(filters)
    if errors:
        raise ValidationFailed("The segment's filters are invalid.", errors=errors)
    return filters


@transaction.atomic
def segment_create(*, name: str, filters: dict[str, Any]) -> Segment:
    filters = _clean_filters(filters)
    name = clean_name(name)
    _unique_name(Segment, name=name, label="segment")
    return _save_named(Segment(name=name, filters=filters), label="segment")


@transaction.atomic
def segment_update(
    *, segment: Segment, name: str | None = None, filters: dict[str, Any] | None = None
) -> Segment:
    """Rename and/or replace the filters (validated like `segment_create`).

    Campaigns already sending have their recipients fixed as messages; a scheduled or paused
    one expands with the new filters when it (re)starts, as it would after any lead change.
    """
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    if filters is not None:
        filters = _clean_filters(filters)
    if filters is not None and filters != segment.filters:
        expanding = Campaign.objects.filter(
            segment=segment, status__in=(S.SENDING, S.PAUSED), expansion_done=False
        )
        if expanding.exists():
            # Expansion reads the filters chunk by chunk: a change now would give one campaign
            # two audiences.
            raise AudienceInUse(
                "A campaign is still choosing its recipients from this segment; change the "
                "filters once it has finished sending, or save them as a new segment.",
                code="segment_in_use",
                extra={
                    "campaigns": [
                        {"id": str(c.public_id), "name": c.name, "status": c.status}
                        for c in expanding
                    ]
                },
            )
        segment.filters = filters
    if name is not None:
        segment.name = clean_name(name)
        _unique_name(Segment, name=segment.name, label="segment", exclude_pk=segment.pk)
    return _save_named(segment, label="segment")


@transaction.atomic
def segment_delete(*, segment: Segment) -> None:
    """Delete a saved segment (leads untouched). Refused while an active campaign uses it."""
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    _refuse_if_locked(
        Campaign.objects.filter(segment=segment), what="segment", code="segment_in_use"
    )
    _detach_audience(
        Campaign.objects.filter(segment=segment),
        field="segment",
        label=f'segment "{segment.name}" (deleted)',
    )
    segment.delete()


@transaction.atomic
def suppression_add(*, email: str, reason: str, note: str = "") -> Suppression:
    existing = Suppression.objects.filter(email__iexact=email.strip()).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Suppression.objects.create(email=email.strip(), reason=reason, note=note)
    except IntegrityError:
        return Suppression.objects.get(email__iexact=email.strip())


@transaction.atomic
def suppression_remove(*, email: str) -> int:
    deleted, _ = Suppression.objects.filter(email__iexact=email.strip()).delete()
    return deleted
