"""Lookups the campaigns API views share: an id from the URL or the request, or a 404."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TypeVar

from apps.core.errors import NotFound

from ... import selectors
from ...models import Campaign, EmailTemplate, Lead, LeadImport, LeadList, Segment, SendingDomain

PublicId = uuid.UUID | str
Found = TypeVar("Found")


def _referenced(obj: Found | None, public_id: PublicId | None, label: str) -> Found | None:
    """What a request body or query names by id: None when it names nothing, else 404s."""
    if public_id is None:
        return None
    if obj is None:
        raise NotFound(f"No {label} with id {public_id}.", code=f"{label}_not_found")
    return obj


def template_referenced(public_id: PublicId | None) -> EmailTemplate | None:
    return _referenced(selectors.template_get(public_id=public_id), public_id, "template")


def list_referenced(public_id: PublicId | None) -> LeadList | None:
    return _referenced(selectors.list_by_public_id(public_id=public_id), public_id, "list")


def segment_referenced(public_id: PublicId | None) -> Segment | None:
    return _referenced(selectors.segment_get(public_id=public_id), public_id, "segment")


def lead_referenced(public_id: PublicId | None) -> Lead | None:
    return _referenced(selectors.lead_get(public_id=public_id), public_id, "lead")


def campaign_or_404(campaign_id: PublicId, include_deleted: bool = False) -> Campaign:
    try:
        return selectors.campaign_get(public_id=campaign_id, include_deleted=include_deleted)
    except Campaign.DoesNotExist as exc:
        raise NotFound("No campaign with this id.", code="campaign_not_found") from exc


def _found(obj: Found | None, label: str) -> Found:
    """The row a URL names, or a 404 `<label>_not_found`."""
    if obj is None:
        raise NotFound(f"No {label} with this id.", code=f"{label}_not_found")
    return obj


def lead_or_404(lead_id: PublicId) -> Lead:
    return _found(selectors.lead_get(public_id=lead_id), "lead")


def leads_or_404(ids: Iterable[uuid.UUID]) -> list[Lead]:
    wanted = set(ids)
    found = selectors.leads_by_public_ids(public_ids=wanted)
    missing = sorted(str(i) for i in wanted - {lead.public_id for lead in found})
    if missing:
        raise NotFound(
            f"{len(missing)} of the leads do not exist: {', '.join(missing[:10])}.",
            code="lead_not_found",
            extra={"missing": missing},
        )
    return found


def lists_or_404(ids: list[uuid.UUID] | None) -> list[LeadList] | None:
    if ids is None:
        return None
    found = selectors.lists_by_public_ids(public_ids=ids)
    if len(found) != len(set(ids)):
        raise NotFound("One of the lists does not exist.", code="list_not_found")
    return found


def list_or_404(list_id: PublicId) -> LeadList:
    """The list with its `lead_count`."""
    return _found(selectors.list_get(public_id=list_id), "list")


def segment_or_404(segment_id: PublicId) -> Segment:
    return _found(selectors.segment_get(public_id=segment_id), "segment")


def template_or_404(template_id: PublicId) -> EmailTemplate:
    return _found(selectors.template_get(public_id=template_id), "template")


def import_or_404(import_id: PublicId) -> LeadImport:
    return _found(selectors.import_get(public_id=import_id), "import")


def sending_domain_or_404(domain_id: PublicId) -> SendingDomain:
    return _found(selectors.sending_domain_get(public_id=domain_id), "sending_domain")
