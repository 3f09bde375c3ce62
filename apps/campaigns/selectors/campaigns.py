"""Reads about campaigns and templates: lookups, analytics, and the sending pipeline's queues."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from ..models import Campaign, EmailTemplate, Event, Message
from .audience import campaign_audience


def campaigns_visible() -> QuerySet[Campaign]:
    return Campaign.objects.filter(deleted_at__isnull=True).select_related(
        "template", "lead_list", "segment"
    )


def campaign_list(*, status: str = "", deleted: bool = False) -> QuerySet[Campaign]:
    """Campaigns not deleted (or, with `deleted`, only the soft-deleted ones), by state."""
    qs = Campaign.objects.select_related("template", "lead_list", "segment")
    qs = qs.filter(deleted_at__isnull=not deleted)
    if status:
        qs = qs.filter(status=status)
    return qs


def campaign_get(*, public_id: uuid.UUID | str, include_deleted: bool = False) -> Campaign:
    """Raises Campaign.DoesNotExist."""
    qs = Campaign.objects.select_related("template", "lead_list", "segment")
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    return qs.get(public_id=public_id)


def campaigns_sending() -> QuerySet[Campaign]:
    return Campaign.objects.filter(status=Campaign.Status.SENDING)


def campaign_recipient_count(*, campaign: Campaign) -> int:
    """Recipients if the campaign were sent now (suppressed addresses left out)."""
    return campaign_audience(campaign=campaign).count()


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def campaign_stats(*, campaign: Campaign) -> dict[str, Any]:
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


def tenant_sending_rates(*, days: int = 30, minimum: int = 200) -> dict[str, float] | None:
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


def _batches(ids: list[int]) -> list[list[int]]:
    size = settings.CAMPAIGN_BATCH_SIZE
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def queued_batches(*, campaign_pk: int) -> list[list[int]]:
    """The campaign's queued messages' ids, in send batches."""
    ids = list(
        Message.objects.filter(campaign_id=campaign_pk, status=Message.Status.QUEUED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return _batches(ids)


def campaign_has_unfinished_messages(*, campaign_pk: int) -> bool:
    return Message.objects.filter(
        campaign_id=campaign_pk, status__in=[Message.Status.QUEUED, Message.Status.SENDING]
    ).exists()


def pending_batches(*, campaign: Campaign, older_than: timedelta) -> list[list[int]]:
    """Queued messages nobody claimed for a while (an enqueue lost in a crash), in send
    batches of ids."""
    ids = list(
        Message.objects.filter(
            campaign=campaign,
            status=Message.Status.QUEUED,
            created_at__lt=timezone.now() - older_than,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    return _batches(ids)


def stale_claims(*, campaign: Campaign, older_than: timedelta) -> dict[str, list[int]]:
    """Batches claimed longer ago than `older_than` and still sending: batch key → their ids."""
    keys = (
        Message.objects.filter(
            campaign=campaign,
            status=Message.Status.SENDING,
            claimed_at__lt=timezone.now() - older_than,
        )
        .values("batch_key")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        row["batch_key"]: list(
            Message.objects.filter(
                campaign=campaign, batch_key=row["batch_key"], status="sending"
            ).values_list("id", flat=True)
        )
        for row in keys
    }


def message_email(*, message_id: int) -> str | None:
    """The address a message went to, or None when there is no such message."""
    message = Message.objects.filter(pk=message_id).only("email").first()
    return None if message is None else message.email


def template_list() -> QuerySet[EmailTemplate]:
    return EmailTemplate.objects.all()


def template_get(*, public_id: uuid.UUID | str | None) -> EmailTemplate | None:
    if not public_id:
        return None
    return EmailTemplate.objects.filter(public_id=public_id).first()
