"""Reads about audiences: segment filters, the leads they match, lists, suppression."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from apps.repos.selectors import latest_analyses_for, repository_list

from ..models import Campaign, Event, Lead, LeadList, Segment, Suppression

SEGMENT_KEYS = {
    "tags_any",
    "tags_all",
    "attributes",
    "company",
    "email_domain",
    "list",
    "opened_within_days",
    "clicked_within_days",
    "not_opened_within_days",
    "search",
    "technologies",
}


TAG_FILTERS = {"tags_any", "tags_all", "technologies"}
TEXT_FILTERS = {"company", "email_domain", "search"}
DAY_FILTERS = {"opened_within_days", "clicked_within_days", "not_opened_within_days"}
MAX_DAYS = 3650


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def segment_filter_errors(filters: Any) -> dict[str, list[str]]:
    """Per-filter problems; the API documents the same rules as the `SegmentFilters` schema."""
    errors: dict[str, list[str]] = {}
    if not isinstance(filters, dict):
        return {"filters": ["Must be an object."]}
    for key, value in filters.items():
        if key not in SEGMENT_KEYS:
            errors[f"filters.{key}"] = [
                f"Unknown filter. Use one of: {', '.join(sorted(SEGMENT_KEYS))}."
            ]
        elif key in TAG_FILTERS and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            errors[f"filters.{key}"] = ["Must be a list of tags."]
        elif key == "attributes" and not isinstance(value, dict):
            errors[f"filters.{key}"] = ["Must be an object of attribute: value."]
        elif key in TEXT_FILTERS and not isinstance(value, str):
            errors[f"filters.{key}"] = ["Must be a string."]
        elif key == "list" and not _is_uuid(value):
            errors[f"filters.{key}"] = ["Must be a list id (a UUID)."]
        elif key in DAY_FILTERS and not (
            isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_DAYS
        ):
            errors[f"filters.{key}"] = ["Must be a whole number of days between 1 and 3650."]
    return errors


def _engaged(kind: str, days: int) -> Exists:
    since = timezone.now() - timedelta(days=days)
    return Exists(
        Event.objects.filter(
            message__lead=OuterRef("pk"), kind=kind, machine=False, occurred_at__gte=since
        )
    )


def github_owners_using(*, technologies: list[str]) -> set[str]:
    """Lower-cased GitHub owners whose repositories' latest successful analysis found any of
    `technologies` (detector slugs), read through the repos app's selectors."""
    wanted = {slug.lower() for slug in technologies}
    repositories = list(repository_list())
    latest = latest_analyses_for(repositories)
    owners = set()
    for repository in repositories:
        analysis = latest.get(repository.pk)
        if analysis is None or analysis.status != "succeeded":
            continue
        found = {item.get("slug", "") for item in (analysis.report or {}).get("technologies", [])}
        if wanted & found:
            owners.add(repository.owner.lower())
    return owners


def leads_matching(
    *, filters: dict[str, Any], queryset: QuerySet[Lead] | None = None
) -> QuerySet[Lead]:
    qs = queryset if queryset is not None else Lead.objects.all()
    if filters.get("tags_any"):
        qs = qs.filter(tags__overlap=filters["tags_any"])
    if filters.get("tags_all"):
        qs = qs.filter(tags__contains=filters["tags_all"])
    for name, value in (filters.get("attributes") or {}).items():
        qs = qs.filter(attributes__contains={name: value})
    if filters.get("company"):
        qs = qs.filter(company__iexact=filters["company"])
    if filters.get("email_domain"):
        qs = qs.filter(email__iendswith="@" + filters["email_domain"].lstrip("@"))
    if filters.get("list"):
        qs = qs.filter(lists__public_id=filters["list"])
    if filters.get("search"):
        term = filters["search"]
        qs = qs.filter(
            Q(email__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(company__icontains=term)
        )
    if filters.get("technologies"):
        owners = github_owners_using(technologies=filters["technologies"])
        qs = qs.annotate(gh_owner=Lower("github_username")).filter(gh_owner__in=owners)
    if filters.get("opened_within_days"):
        qs = qs.filter(_engaged(Event.Kind.OPENED, filters["opened_within_days"]))
    if filters.get("clicked_within_days"):
        qs = qs.filter(_engaged(Event.Kind.CLICKED, filters["clicked_within_days"]))
    if filters.get("not_opened_within_days"):
        qs = qs.exclude(_engaged(Event.Kind.OPENED, filters["not_opened_within_days"]))
    return qs


def suppressed_q(prefix: str = "") -> Exists:
    return Exists(
        Suppression.objects.annotate(l_email=Lower("email")).filter(
            l_email=Lower(OuterRef(prefix + "email"))
        )
    )


def campaign_audience(*, campaign: Campaign) -> QuerySet[Lead]:
    """Leads the campaign goes to, suppressed addresses excluded."""
    qs = Lead.objects.all()
    if campaign.lead_list_id:
        qs = qs.filter(lists=campaign.lead_list_id)
    if campaign.segment is not None:
        qs = leads_matching(filters=campaign.segment.filters, queryset=qs)
    return qs.exclude(suppressed_q())


def is_suppressed(*, email: str) -> bool:
    return Suppression.objects.filter(email__iexact=email).exists()


def suppression_list() -> QuerySet[Suppression]:
    return Suppression.objects.all()


def lists_all() -> QuerySet[LeadList]:
    return LeadList.objects.all()


def lists_with_counts() -> QuerySet[LeadList]:
    """Every list, each with `lead_count`."""
    return LeadList.objects.annotate(lead_count=Count("leads"))


def list_get(*, public_id: uuid.UUID | str) -> LeadList | None:
    """One list with its `lead_count`, or None."""
    return lists_with_counts().filter(public_id=public_id).first()


def list_lead_count(*, lead_list: LeadList) -> int:
    return lead_list.leads.count()


def list_by_public_id(*, public_id: uuid.UUID | str | None) -> LeadList | None:
    if not public_id:
        return None
    return LeadList.objects.filter(public_id=public_id).first()


def lists_by_public_ids(*, public_ids: Iterable[uuid.UUID | str]) -> list[LeadList]:
    return list(LeadList.objects.filter(public_id__in=public_ids))


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.all()


def segment_get(*, public_id: uuid.UUID | str | None) -> Segment | None:
    if not public_id:
        return None
    return Segment.objects.filter(public_id=public_id).first()


def segment_leads(*, segment: Segment, queryset: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """Leads the saved segment matches now (suppressed ones included: they are still leads)."""
    return leads_matching(filters=segment.filters, queryset=queryset).distinct()


def audience_counts(*, leads: QuerySet[Lead]) -> dict[str, int]:
    """`leads` matched and `recipients`: the ones a campaign would send to (not suppressed)."""
    ids = leads.order_by().values("pk")
    row = Lead.objects.filter(pk__in=ids).aggregate(
        leads=Count("id"), recipients=Count("id", filter=~suppressed_q())
    )
    return {"leads": row["leads"], "recipients": row["recipients"]}
