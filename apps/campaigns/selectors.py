"""Reads: audiences, segment filters, stats and per-lead history."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower, TruncHour
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.tenants.models import Tenant

from .models import Campaign, Event, Lead, LeadList, Message, Segment, Suppression

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


def segment_filter_errors(filters: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(filters, dict):
        return {"filters": ["Must be an object."]}
    for key, value in filters.items():
        if key not in SEGMENT_KEYS:
            errors[f"filters.{key}"] = [
                f"Unknown filter. Use one of: {', '.join(sorted(SEGMENT_KEYS))}."
            ]
        elif key in {"tags_any", "tags_all", "technologies"} and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            errors[f"filters.{key}"] = ["Must be a list of tags."]
        elif key == "attributes" and not isinstance(value, dict):
            errors[f"filters.{key}"] = ["Must be an object of attribute: value."]
        elif key.endswith("_days") and not (isinstance(value, int) and 0 < value <= 3650):
            errors[f"filters.{key}"] = ["Must be a whole number of days between 1 and 3650."]
    return errors


def _engaged(kind: str, days: int):
    since = timezone.now() - timedelta(days=days)
    return Exists(
        Event.objects.filter(
            message__lead=OuterRef("pk"), kind=kind, machine=False, occurred_at__gte=since
        )
    )


def github_owners_using(*, technologies: list[str]) -> set[str]:
    """Lower-cased GitHub owners whose repositories' latest successful analysis found any of
    `technologies` (detector slugs), read through the repos app's selectors."""
    from apps.repos.selectors import latest_analyses_for, repository_list

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


def leads_matching(*, filters: dict, queryset: QuerySet | None = None) -> QuerySet:
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


def campaign_audience(*, campaign: Campaign) -> QuerySet:
    """Leads the campaign goes to, suppressed addresses excluded."""
    qs = Lead.objects.all()
    if campaign.lead_list_id:
        qs = qs.filter(lists=campaign.lead_list_id)
    if campaign.segment_id:
        qs = leads_matching(filters=campaign.segment.filters, queryset=qs)
    return qs.exclude(suppressed_q())


def is_suppressed(*, email: str) -> bool:
    return Suppression.objects.filter(email__iexact=email).exists()


def campaigns_visible() -> QuerySet:
    return Campaign.objects.filter(deleted_at__isnull=True).select_related(
        "template", "lead_list", "segment"
    )


def campaign_get(*, public_id, include_deleted: bool = False) -> Campaign:
    qs = Campaign.objects.select_related("template", "lead_list", "segment")
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    return qs.get(public_id=public_id)


def lists_with_counts() -> QuerySet:
    return LeadList.objects.annotate(lead_count=Count("leads"))


def segment_leads(*, segment: Segment, queryset: QuerySet | None = None) -> QuerySet:
    """Leads the saved segment matches now (suppressed ones included: they are still leads)."""
    return leads_matching(filters=segment.filters, queryset=queryset).distinct()


def audience_counts(*, leads: QuerySet) -> dict[str, int]:
    """`leads` matched and `recipients`: the ones a campaign would send to (not suppressed)."""
    ids = leads.order_by().values("pk")
    row = Lead.objects.filter(pk__in=ids).aggregate(
        leads=Count("id"), recipients=Count("id", filter=~suppressed_q())
    )
    return {"leads": row["leads"], "recipients": row["recipients"]}


def campaign_recipient_count(*, campaign: Campaign) -> int:
    """Recipients if the campaign were sent now (suppressed addresses left out)."""
    return campaign_audience(campaign=campaign).count()


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def campaign_stats(*, campaign: Campaign) -> dict:
    messages = Message.objects.filter(campaign=campaign)
    counts = messages.aggregate(
        total=Count("id"),
        sent=Count("id", filter=Q(status=Message.Status.SENT)),
        queued=Count("id", filter=Q(status__in=[Message.Status.QUEUED, Message.Status.SENDING])),
        failed=Count("id", filter=Q(status=Message.Status.FAILED)),
        skipped=Count("id", filter=Q(status=Message.Status.SKIPPED)),
        delivered=Count("id", filter=Q(delivered_at__isnull=False)),
        bounced=Count("id", filter=Q(bounced_at__isnull=False)),
        complained=Count("id", filter=Q(complained_at__isnull=False)),
        unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
    )
    events = Event.objects.filter(campaign=campaign)
    engagement = events.aggregate(
        opens_total=Count("id", filter=Q(kind="opened", machine=False)),
        opens_unique=Count("message", filter=Q(kind="opened", machine=False), distinct=True),
        opens_machine=Count("id", filter=Q(kind="opened", machine=True)),
        clicks_total=Count("id", filter=Q(kind="clicked", machine=False)),
        clicks_unique=Count("message", filter=Q(kind="clicked", machine=False), distinct=True),
        clicks_machine=Count("id", filter=Q(kind="clicked", machine=True)),
    )
    links = [
        {
            "url": row["url"],
            "human": row["n_human"],
            "machine": row["n_machine"],
            "unique": row["n_unique"],
        }
        for row in events.filter(kind="clicked")
        .values("url")
        .annotate(
            n_human=Count("id", filter=Q(machine=False)),
            n_machine=Count("id", filter=Q(machine=True)),
            n_unique=Count("message", filter=Q(machine=False), distinct=True),
        )
        .order_by("-n_human", "url")[:50]
    ]
    timeline = [
        {"hour": row["hour"].isoformat(), "opens": row["opens"], "clicks": row["clicks"]}
        for row in events.filter(machine=False, kind__in=["opened", "clicked"])
        .annotate(hour=TruncHour("occurred_at"))
        .values("hour")
        .annotate(
            opens=Count("id", filter=Q(kind="opened")), clicks=Count("id", filter=Q(kind="clicked"))
        )
        .order_by("hour")
    ]
    sent = counts["sent"]
    base = counts["delivered"] or sent
    return {
        **counts,
        **engagement,
        "rates": {
            "delivery": _rate(counts["delivered"], sent),
            "open": _rate(engagement["opens_unique"], base),
            "click": _rate(engagement["clicks_unique"], base),
            "bounce": _rate(counts["bounced"], sent),
            "complaint": _rate(counts["complained"], sent),
            "unsubscribe": _rate(counts["unsubscribed"], sent),
        },
        "links": links,
        "timeline": timeline,
    }


def lead_history(*, lead: Lead) -> list[dict]:
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


def tenant_sending_rates(*, days: int = 30, minimum: int = 200) -> dict | None:
    """Bounce and complaint rates over recent sends; None below `minimum` sent (too noisy)."""
    since = timezone.now() - timedelta(days=days)
    row = Message.objects.filter(sent_at__gte=since).aggregate(
        sent=Count("id"),
        bounced=Count("id", filter=Q(bounced_at__isnull=False)),
        complained=Count("id", filter=Q(complained_at__isnull=False)),
    )
    if row["sent"] < minimum:
        return None
    return {
        "sent": row["sent"],
        "bounce": row["bounced"] / row["sent"],
        "complaint": row["complained"] / row["sent"],
    }


def pending_batches(*, campaign: Campaign, older_than: timedelta) -> QuerySet:
    """Queued messages nobody claimed for a while (an enqueue lost in a crash)."""
    return Message.objects.filter(
        campaign=campaign, status=Message.Status.QUEUED, created_at__lt=timezone.now() - older_than
    ).order_by("id")


def stale_claims(*, campaign: Campaign, older_than: timedelta) -> QuerySet:
    return (
        Message.objects.filter(
            campaign=campaign,
            status=Message.Status.SENDING,
            claimed_at__lt=timezone.now() - older_than,
        )
        .values("batch_key")
        .annotate(n=Count("id"))
        .order_by()
    )


def lead_github_states(*, leads) -> dict[int, dict]:
    """Per lead (by pk), what its GitHub account shows: `owner`, the merged `stack` of its
    analysed repositories (or None) and whether an analysis is `analysing` now; two queries."""
    from apps.repos.selectors import owner_stacks, owners_analysing

    from .rendering import lead_github_owner

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


def leads_held(*, tenant: Tenant) -> int:
    """Leads the tenant holds: billing's `leads` stock counter (see CampaignsConfig.ready)."""
    with tenant_context(tenant):
        return Lead.objects.count()
