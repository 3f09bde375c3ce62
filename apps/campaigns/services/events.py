"""What happens after sending: tracked opens and clicks, ESP webhook events, unsubscribes, and
the sender-reputation rule that pauses a tenant's sending."""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from .. import resend, selectors, tracking
from ..models import Campaign, Event, Message, Suppression
from .audience import suppression_add
from .common import S

logger = logging.getLogger(__name__)


def tracking_events_flush(*, events: list[dict[str, Any]]) -> tuple[int, int]:
    """Record events taken off the buffer, each tenant on its own; returns (recorded, failed).

    A tenant whose insert fails never costs another tenant its events. Its events are then
    tried one by one, so one bad event does not hold back the good ones; an event that still
    fails goes back to the buffer for a later flush, and after `TRACKING_MAX_ATTEMPTS` tries
    it is parked (with the error) instead of looping forever.
    """
    by_schema: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_schema[str(event.get("s", ""))].append(event)
    recorded = failed = 0
    for schema, items in by_schema.items():
        try:
            recorded += _record_in(schema, items)
            continue
        except Exception:
            logger.exception("tracking flush failed for %s; trying its events one by one", schema)
        for event in items:
            try:
                recorded += _record_in(schema, [event])
            except Exception as exc:
                failed += 1
                tracking.retry_or_park(event, reason=f"{type(exc).__name__}: {exc}")
    return recorded, failed


def _record_in(schema: str, events: list[dict[str, Any]]) -> int:
    with schema_context(schema), transaction.atomic():
        return tracking_events_record(events=events)


def tracking_events_record(*, events: list[dict[str, Any]]) -> int:
    """Insert buffered opens/clicks for this schema; judges click timing against sent_at."""
    if not events:
        return 0
    ids = {e["m"] for e in events}
    sent = dict(Message.objects.filter(pk__in=ids).values_list("pk", "sent_at"))
    campaigns = dict(Message.objects.filter(pk__in=ids).values_list("pk", "campaign_id"))
    rows = []
    for event in events:
        message_id = event["m"]
        if message_id not in campaigns:
            continue
        occurred = datetime.fromtimestamp(event["t"], tz=zoneinfo.ZoneInfo("UTC"))
        reason = event.get("r", "")
        sent_at = sent.get(message_id)
        if (
            not reason
            and event["k"] == "clicked"
            and sent_at is not None
            and (occurred - sent_at).total_seconds() < settings.CAMPAIGN_CLICK_MIN_SECONDS
        ):
            reason = "click_too_soon"
        rows.append(
            Event(
                message_id=message_id,
                campaign_id=campaigns[message_id],
                kind=event["k"],
                machine=bool(reason),
                machine_reason=reason,
                url=event.get("u", ""),
                user_agent=event.get("ua", "")[:500],
                occurred_at=occurred,
            )
        )
    Event.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def message_unsubscribe(*, message_id: int, source: str) -> Message | None:
    message = Message.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        return None
    suppression_add(
        email=message.email,
        reason=Suppression.Reason.UNSUBSCRIBED,
        note=f"{source}; campaign {message.campaign_id}",
    )
    if message.unsubscribed_at is None:
        message.unsubscribed_at = timezone.now()
        message.save(update_fields=["unsubscribed_at"])
        Event.objects.create(
            message=message,
            campaign_id=message.campaign_id,
            kind=Event.Kind.UNSUBSCRIBED,
            source=source,
            occurred_at=message.unsubscribed_at,
        )
    return message


ESP_KINDS = {
    "email.delivered": Event.Kind.DELIVERED,
    "email.delivery_delayed": Event.Kind.DEFERRED,
    "email.bounced": Event.Kind.BOUNCED,
    "email.complained": Event.Kind.COMPLAINED,
    "email.opened": Event.Kind.OPENED,
    "email.clicked": Event.Kind.CLICKED,
}


def esp_event_apply(*, payload: dict[str, Any], event_id: str) -> str:
    """Apply one Resend webhook event in this tenant's schema. Returns processed/ignored."""
    kind = ESP_KINDS.get(payload.get("type", ""))
    data = payload.get("data") or {}
    route = resend.read_message_tags(data)
    email_id = data.get("email_id", "")
    message = (
        Message.objects.select_for_update().filter(pk=route[1]).first() if route and kind else None
    )
    if (
        kind is None
        or message is None
        or (message.esp_message_id and message.esp_message_id != email_id)
    ):
        return "ignored"  # not ours, or the tags and Resend's id disagree
    occurred = _parse_time(payload.get("created_at")) or timezone.now()
    machine_reason = ""
    if (
        kind == Event.Kind.CLICKED
        and message.sent_at
        and (occurred - message.sent_at).total_seconds() < settings.CAMPAIGN_CLICK_MIN_SECONDS
    ):
        machine_reason = "click_too_soon"
    url = (data.get("click") or {}).get("link", "") if kind == Event.Kind.CLICKED else ""
    agent = (data.get("click") or data.get("open") or {}).get("userAgent", "")
    if kind in (Event.Kind.OPENED, Event.Kind.CLICKED) and not machine_reason:
        machine_reason = tracking.machine_reason(method="GET", user_agent=agent) if agent else ""
    Event.objects.create(
        message=message,
        campaign_id=message.campaign_id,
        kind=kind,
        source="esp",
        external_id=event_id,
        url=url,
        user_agent=agent[:500],
        machine=bool(machine_reason),
        machine_reason=machine_reason,
        occurred_at=occurred,
    )
    update = []
    if kind == Event.Kind.DELIVERED and message.delivered_at is None:
        message.delivered_at = occurred
        update.append("delivered_at")
    elif kind == Event.Kind.BOUNCED:
        bounce = data.get("bounce") or {}
        hard = (bounce.get("type") or "Permanent").lower() in ("permanent", "hard")
        if hard and message.bounced_at is None:
            message.bounced_at = occurred
            update.append("bounced_at")
            suppression_add(
                email=message.email,
                reason=Suppression.Reason.HARD_BOUNCE,
                note=bounce.get("message", "")[:500],
            )
    elif kind == Event.Kind.COMPLAINED and message.complained_at is None:
        message.complained_at = occurred
        update.append("complained_at")
        suppression_add(email=message.email, reason=Suppression.Reason.COMPLAINT)
    if update:
        message.save(update_fields=update)
    if kind in (Event.Kind.BOUNCED, Event.Kind.COMPLAINED):
        tenant_sending_health_check()
    return "processed"


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=zoneinfo.ZoneInfo("UTC"))


# --- Sender reputation ------------------------------------------------------------------------

PAUSE_PREFIX = "Sending paused automatically"


def tenant_sending_paused_reason() -> str:
    """The reputation rule: why this tenant may not send now ("" when it may)."""
    rates = selectors.tenant_sending_rates(minimum=settings.CAMPAIGN_HEALTH_MIN_SENT)
    if rates is None:
        return ""
    if rates["bounce"] >= settings.CAMPAIGN_MAX_BOUNCE_RATE:
        return (
            f"{PAUSE_PREFIX}: the bounce rate over the last 30 days is "
            f"{rates['bounce']:.1%} (limit {settings.CAMPAIGN_MAX_BOUNCE_RATE:.1%}). Clean "
            "the list of invalid addresses; sending resumes once the rate is below the limit."
        )
    if rates["complaint"] >= settings.CAMPAIGN_MAX_COMPLAINT_RATE:
        return (
            f"{PAUSE_PREFIX}: the spam-complaint rate over the last 30 days is "
            f"{rates['complaint']:.2%} (limit {settings.CAMPAIGN_MAX_COMPLAINT_RATE:.2%}). "
            "Send only to people who asked for your email."
        )
    return ""


def tenant_sending_health_check() -> int:
    """Pause every sending campaign of this tenant when its reputation crosses a threshold."""
    reason = tenant_sending_paused_reason()
    if not reason:
        return 0
    return Campaign.objects.filter(status=S.SENDING).update(status=S.PAUSED, status_reason=reason)
