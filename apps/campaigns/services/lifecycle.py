"""The campaign state machine (draft → scheduled → sending → sent …), the dashboard's step-by-step
draft, and the user actions both the API and the dashboard dispatch through
`campaign_action_apply`."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from apps.campaigns import tasks
from apps.core.errors import NotFound, ValidationFailed
from apps.tenants.models import Tenant

from .. import selectors, spam
from ..models import Campaign, EmailTemplate, LeadList, Message, Segment
from .common import UNCHANGED, CampaignStateConflict, S, Unchanged, clean_name
from .domains import sender_check
from .events import tenant_sending_paused_reason
from .templates import template_preview

TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SCHEDULED, S.SENDING, S.CANCELLED},
    S.SCHEDULED: {S.DRAFT, S.SENDING, S.CANCELLED},
    S.SENDING: {S.PAUSED, S.SENT, S.CANCELLED, S.FAILED},
    S.PAUSED: {S.SENDING, S.CANCELLED},
    S.SENT: set(),
    S.CANCELLED: set(),
    S.FAILED: set(),
}
EDITABLE = {S.DRAFT, S.SCHEDULED, S.PAUSED}
RESTORE_DAYS = 30


def _transition(campaign: Campaign, target: str, action: str) -> None:
    if target not in TRANSITIONS[campaign.status]:
        raise CampaignStateConflict(
            f"Cannot {action} a campaign that is {campaign.status}.",
            extra={"campaign_status": campaign.status, "action": action},
        )
    campaign.status = target


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _snapshot(campaign: Campaign) -> None:
    """Copy the template's content onto the campaign: what is sent no longer follows edits."""
    template = campaign.template
    if template is None:
        raise ValidationFailed.for_field(
            "template", "Choose a template first.", code="campaign_template_missing"
        )
    campaign.subject, campaign.html, campaign.text = template.subject, template.html, template.text


def _clean_sender(from_email: str) -> str:
    """Empty (the platform's sender) or an address on one of the tenant's verified sending
    domains, optionally with a name: `Ada <ada@x.example>`."""
    from_email = (from_email or "").strip()
    if not from_email:
        return ""
    _, address = parseaddr(from_email)
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationFailed.for_field(
            "from_email",
            "Enter a sender address like ada@example.com or Ada <ada@example.com>.",
            code="sender_invalid",
        ) from exc
    sender_check(from_email=from_email)
    return from_email


@transaction.atomic
def campaign_create(
    *,
    name: str,
    template: EmailTemplate | None = None,
    lead_list: LeadList | None = None,
    segment: Segment | None = None,
    from_email: str = "",
    reply_to: str = "",
    created_by: str = "",
) -> Campaign:
    return Campaign.objects.create(
        name=clean_name(name),
        template=template,
        lead_list=lead_list,
        segment=segment,
        from_email=_clean_sender(from_email),
        reply_to=reply_to,
        created_by=created_by,
    )


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    name: str | Unchanged = UNCHANGED,
    template: EmailTemplate | Unchanged | None = UNCHANGED,
    lead_list: LeadList | Unchanged | None = UNCHANGED,
    segment: Segment | Unchanged | None = UNCHANGED,
    from_email: str | Unchanged = UNCHANGED,
    reply_to: str | Unchanged = UNCHANGED,
) -> Campaign:
    """Change the fields given; `UNCHANGED` (the default) leaves one as it is, while `None`
    clears the template, list or segment."""
    campaign = _locked(campaign)
    if campaign.status not in EDITABLE:
        raise CampaignStateConflict(
            f"A campaign that is {campaign.status} cannot be edited; pause it first."
            if campaign.status == S.SENDING
            else f"A campaign that is {campaign.status} cannot be edited.",
            code="campaign_not_editable",
            extra={"campaign_status": campaign.status},
        )
    if name is not UNCHANGED:
        campaign.name = clean_name(name)
    if template is not UNCHANGED:
        campaign.template = template
    if lead_list is not UNCHANGED:
        campaign.lead_list = lead_list
    if segment is not UNCHANGED:
        campaign.segment = segment
    if from_email is not UNCHANGED:
        campaign.from_email = _clean_sender(from_email)
    if reply_to is not UNCHANGED:
        campaign.reply_to = reply_to
    if lead_list is not UNCHANGED or segment is not UNCHANGED:
        campaign.audience_removed = ""  # an audience chosen again
    if campaign.status == S.PAUSED and template is not UNCHANGED:
        _snapshot(campaign)
    campaign.save()
    return campaign


# --- The dashboard's campaign wizard: one service per step, each validating its own fields -----
# The draft is saved after the first step, so reloading or going back loses nothing.

WIZARD_STEPS = ("audience", "template", "schedule", "review")


def _draft(campaign: Campaign) -> Campaign:
    campaign = _locked(campaign)
    if campaign.status != S.DRAFT or campaign.deleted_at is not None:
        raise CampaignStateConflict(
            f"Only drafts are edited step by step; this campaign is {campaign.status}.",
            code="campaign_not_draft",
            extra={"campaign_status": campaign.status},
        )
    return campaign


@transaction.atomic
def campaign_draft_audience(
    *,
    campaign: Campaign | None,
    name: str,
    lead_list: LeadList | None,
    segment: Segment | None,
    created_by: str = "",
) -> Campaign:
    """Step 1: name and audience (every lead, a list or a segment). Creates the draft."""
    if lead_list is not None and segment is not None:
        raise ValidationFailed.for_field(
            "audience", "Choose a list or a segment, not both.", code="audience_ambiguous"
        )
    if campaign is None:
        return campaign_create(
            name=name, lead_list=lead_list, segment=segment, created_by=created_by
        )
    _draft(campaign)
    return campaign_update(campaign=campaign, name=name, lead_list=lead_list, segment=segment)


@transaction.atomic
def campaign_draft_content(
    *, campaign: Campaign, template: EmailTemplate | None, from_email: str, reply_to: str = ""
) -> Campaign:
    """Step 2: the template (required here) and the sender."""
    _draft(campaign)
    if template is None:
        raise ValidationFailed.for_field(
            "template", "Choose a template.", code="campaign_template_missing"
        )
    return campaign_update(
        campaign=campaign, template=template, from_email=from_email, reply_to=reply_to
    )


@transaction.atomic
def campaign_draft_send_at(
    *, campaign: Campaign, tenant: Tenant, send_at: datetime | None
) -> Campaign:
    """Step 3: when to send. None: right after review; a time (naive means the organisation's
    time zone) must be in the future, and scheduling on the review step uses it."""
    campaign = _draft(campaign)
    if send_at is not None:
        send_at = local_to_utc(send_at, tenant)
        if send_at <= timezone.now():
            raise ValidationFailed.for_field(
                "send_at", "The time is in the past.", code="schedule_in_past"
            )
    campaign.send_at = send_at
    campaign.save(update_fields=["send_at", "updated_at"])
    return campaign


def campaign_spam_check(*, campaign: Campaign, tenant: Tenant) -> dict[str, Any]:
    if campaign.template is None:
        raise ValidationFailed.for_field(
            "template", "Choose a template first.", code="campaign_template_missing"
        )
    preview = template_preview(tenant=tenant, template=campaign.template)
    report = spam.spam_score(
        subject=preview["subject"],
        html=campaign.template.html,
        text=campaign.template.text if not campaign.template.text_generated else "",
        has_unsubscribe="/u/" in preview["html"] + preview["text"],
    )
    return report.as_dict(settings.CAMPAIGN_SPAM_THRESHOLD)


def _check_ready_to_send(*, campaign: Campaign, tenant: Tenant) -> None:
    if campaign.template is None:
        raise ValidationFailed.for_field(
            "template", "Choose a template first.", code="campaign_template_missing"
        )
    if not (tenant.postal_address or "").strip():
        raise ValidationFailed.for_field(
            "postal_address",
            "Add your organisation's postal address in Settings → "
            "Organisation before sending: the law requires it in every campaign email.",
            code="postal_address_required",
        )
    report = campaign_spam_check(campaign=campaign, tenant=tenant)
    campaign.spam_score, campaign.spam_reasons = report["score"], report["reasons"]
    if report["blocked"]:
        raise ValidationFailed(
            f"The content check scored {report['score']} (limit "
            f"{report['threshold']}): " + "; ".join(report["reasons"]),
            code="campaign_spam_blocked",
            errors={"content": report["reasons"]},
            extra={"spam": report},
        )
    if campaign.audience_removed:
        raise ValidationFailed.for_field(
            "audience",
            f"The audience of this campaign was deleted ({campaign.audience_removed}); "
            "choose a list or segment again.",
            code="campaign_audience_deleted",
        )
    if not selectors.campaign_audience(campaign=campaign).exists():
        raise ValidationFailed.for_field(
            "audience",
            "The audience is empty: no lead to send to (after suppressed addresses are removed).",
            code="campaign_audience_empty",
        )
    if campaign.from_email == "" and not settings.DEFAULT_FROM_EMAIL:
        raise ValidationFailed.for_field("from_email", "Set a sender address.")
    pause = tenant_sending_paused_reason()
    if pause:
        raise CampaignStateConflict(pause, code="tenant_sending_paused")


def local_to_utc(value: datetime, tenant: Tenant) -> datetime:
    """A naive time means the tenant's wall clock; an aware one is taken as given."""
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(tenant.timezone or "UTC"))
    return value.astimezone(zoneinfo.ZoneInfo("UTC"))


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, send_at: datetime, tenant: Tenant) -> Campaign:
    campaign = _locked(campaign)
    send_at = local_to_utc(send_at, tenant)
    if send_at <= timezone.now():
        raise ValidationFailed.for_field(
            "send_at", "The time is in the past.", code="schedule_in_past"
        )
    _transition(campaign, S.SCHEDULED, "schedule")
    _check_ready_to_send(campaign=campaign, tenant=tenant)
    campaign.send_at = send_at
    campaign.status_reason = ""
    campaign.save()
    return campaign


@transaction.atomic
def campaign_send_now(*, campaign: Campaign, tenant: Tenant) -> Campaign:
    campaign = _locked(campaign)
    _transition(campaign, S.SENDING, "send")
    _check_ready_to_send(campaign=campaign, tenant=tenant)
    return _start(campaign)


def _start(campaign: Campaign) -> Campaign:
    _snapshot(campaign)
    campaign.status = S.SENDING
    campaign.started_at = campaign.started_at or timezone.now()
    campaign.status_reason = ""
    campaign.save()
    pk = campaign.pk
    transaction.on_commit(lambda: tasks.expand_campaign.delay(pk))
    return campaign


@transaction.atomic
def campaigns_start_due() -> int:
    """Beat: start every scheduled campaign whose time has come (this tenant's schema)."""
    due = Campaign.objects.select_for_update(skip_locked=True).filter(
        status=S.SCHEDULED, send_at__lte=timezone.now(), deleted_at__isnull=True
    )
    started = 0
    for campaign in due:
        pause = tenant_sending_paused_reason()
        if pause:
            campaign.status_reason = pause
            campaign.save(update_fields=["status_reason", "updated_at"])
            continue
        _start(campaign)
        started += 1
    return started


@transaction.atomic
def campaign_pause(*, campaign: Campaign, reason: str = "") -> Campaign:
    campaign = _locked(campaign)
    _transition(campaign, S.PAUSED, "pause")
    campaign.status_reason = reason
    campaign.save()
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, tenant: Tenant) -> Campaign:
    campaign = _locked(campaign)
    _transition(campaign, S.SENDING, "resume")
    pause = tenant_sending_paused_reason()
    if pause:
        raise CampaignStateConflict(pause, code="tenant_sending_paused")
    campaign.status_reason = ""
    campaign.save()
    pk = campaign.pk
    # Expansion continues from its cursor and re-queues every message still waiting.
    transaction.on_commit(lambda: tasks.expand_campaign.delay(pk, requeue=True))
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign) -> Campaign:
    campaign = _locked(campaign)
    _transition(campaign, S.CANCELLED, "cancel")
    campaign.finished_at = timezone.now()
    campaign.save()
    Message.objects.filter(campaign=campaign, status=Message.Status.QUEUED).update(
        status=Message.Status.SKIPPED, error="campaign cancelled"
    )
    return campaign


@transaction.atomic
def campaign_duplicate(*, campaign: Campaign, created_by: str = "") -> Campaign:
    return Campaign.objects.create(
        name=f"{campaign.name} (copy)"[:200],
        template=campaign.template,
        lead_list=campaign.lead_list,
        segment=campaign.segment,
        audience_removed=campaign.audience_removed,
        from_email=campaign.from_email,
        reply_to=campaign.reply_to,
        created_by=created_by,
    )


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> Campaign:
    campaign = _locked(campaign)
    if campaign.status == S.SENDING:
        raise CampaignStateConflict(
            "A campaign cannot be deleted while it is sending; pause or cancel it first.",
            code="campaign_sending",
        )
    if campaign.status == S.SCHEDULED:
        campaign.status = S.DRAFT
    campaign.deleted_at = timezone.now()
    campaign.save()
    return campaign


@transaction.atomic
def campaign_restore(*, campaign: Campaign) -> Campaign:
    campaign = _locked(campaign)
    if campaign.deleted_at is None:
        return campaign
    if campaign.deleted_at < timezone.now() - timedelta(days=RESTORE_DAYS):
        raise NotFound(
            "Deleted campaigns can be restored for 30 days.", code="campaign_restore_expired"
        )
    campaign.deleted_at = None
    campaign.save()
    return campaign


@transaction.atomic
def campaigns_purge_deleted() -> int:
    cutoff = timezone.now() - timedelta(days=RESTORE_DAYS)
    deleted, _ = Campaign.objects.filter(deleted_at__lt=cutoff).delete()
    return deleted


CAMPAIGN_ACTIONS = (
    "schedule",
    "send-now",
    "pause",
    "resume",
    "cancel",
    "duplicate",
    "delete",
    "restore",
)


def campaign_action_apply(
    *,
    campaign: Campaign,
    action: str,
    tenant: Tenant,
    user: AbstractBaseUser | AnonymousUser,
    send_at: datetime | None = None,
) -> Campaign:
    """One of the actions the API and the dashboard offer on a campaign, by its URL name.

    Returns the campaign, or for `duplicate` the new draft. A pause records who paused it;
    `schedule` needs `send_at`.
    """
    email = str(getattr(user, "email", "") or "")
    if action == "schedule":
        if send_at is None:
            raise ValidationFailed.for_field(
                "send_at", "Enter a date and time to schedule.", code="send_at_required"
            )
        return campaign_schedule(campaign=campaign, send_at=send_at, tenant=tenant)
    if action == "send-now":
        return campaign_send_now(campaign=campaign, tenant=tenant)
    if action == "pause":
        return campaign_pause(campaign=campaign, reason=f"Paused by {email}")
    if action == "resume":
        return campaign_resume(campaign=campaign, tenant=tenant)
    if action == "cancel":
        return campaign_cancel(campaign=campaign)
    if action == "duplicate":
        return campaign_duplicate(campaign=campaign, created_by=email)
    if action == "delete":
        return campaign_delete(campaign=campaign)
    if action == "restore":
        return campaign_restore(campaign=campaign)
    raise ValidationFailed("Unknown action.", code="campaign_action_unknown")
