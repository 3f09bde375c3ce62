"""Campaign rules: leads, suppression, templates, the campaign state machine and sending.

Sending is at-most-once per (campaign, lead) by construction: expansion inserts one `Message` per
recipient under a unique constraint, a send task claims its messages with a row lock and a batch
key (its own Celery task id, so a redelivered task re-claims what it held), and the batch goes to
Resend with that key as `Idempotency-Key`. With the development outbox the send and the status
change commit in one transaction. Messages that cannot go out yet (paused campaign, monthly
allowance used up, ESP outage) stay queued and are picked up again; none is dropped.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from apps.core.errors import Conflict, NotFound, ValidationFailed
from apps.tenants.models import Tenant

from . import rendering, resend, selectors, spam, tracking
from .models import (
    LEAD_FIELDS,
    Campaign,
    EmailTemplate,
    Event,
    Lead,
    LeadList,
    Message,
    Segment,
    Suppression,
)

logger = logging.getLogger(__name__)
S = Campaign.Status

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
TEST_SEND_MAX = 5
RESTORE_DAYS = 30


class CampaignStateConflict(Conflict):
    code = "campaign_invalid_transition"
    title = "Not allowed in the campaign's current state"


def current_tenant() -> Tenant:
    return connection.tenant


# --- Leads ------------------------------------------------------------------------------------


def _normalise_tags(tags: list[str] | None) -> list[str]:
    return sorted({t.strip().lower()[:64] for t in (tags or []) if t and t.strip()})


def _check_lead_allowance(*, tenant: Tenant, adding: int = 1) -> None:
    from apps.billing.services import entitlement_check

    entitlement_check(tenant=tenant, resource="leads", amount=adding, current=Lead.objects.count())


GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


def _check_github_fields(fields: dict[str, Any]) -> None:
    login = (fields.get("github_username") or "").strip()
    if login and not GITHUB_LOGIN.match(login):
        raise ValidationFailed.for_field(
            "github_username",
            "A GitHub username has at most 39 letters, digits or hyphens.",
            code="github_username_invalid",
        )
    if len(fields.get("github_url") or "") > 500:
        raise ValidationFailed.for_field(
            "github_url", "The GitHub URL is longer than 500 characters.", code="github_url_invalid"
        )


def _github_identity(lead: Lead) -> tuple[str, str]:
    return (lead.github_username or "").strip(), (lead.github_url or "").strip()


def lead_repositories_analyse_later(*, leads) -> int:
    """Once the transaction commits, analyse the public GitHub repositories of these leads.

    One task per distinct GitHub username / URL; the work (and any trouble with GitHub)
    happens in the task, so saving leads never waits for or fails because of GitHub.
    """
    from apps.repos.services import github_account_analyse_later

    seen: set[tuple[str, str]] = set()
    for lead in leads:
        login, url = _github_identity(lead)
        key = (login.lower(), url.lower())
        if key in seen or not (login or url):
            continue
        seen.add(key)
        github_account_analyse_later(login=login, url=url)
    return len(seen)


@transaction.atomic
def lead_create(
    *, tenant: Tenant, email: str, lists: list[LeadList] | None = None, **fields: Any
) -> Lead:
    email = email.strip()
    if Lead.objects.filter(email__iexact=email).exists():
        raise Conflict(f"A lead with the address {email} already exists.", code="lead_exists")
    _check_lead_allowance(tenant=tenant)
    data = {k: v for k, v in fields.items() if k in LEAD_FIELDS}
    _check_github_fields(data)
    data["tags"] = _normalise_tags(data.get("tags"))
    try:
        with transaction.atomic():
            lead = Lead.objects.create(email=email, **data)
    except IntegrityError as exc:
        raise Conflict(
            f"A lead with the address {email} already exists.", code="lead_exists"
        ) from exc
    if lists:
        lead.lists.set(lists)
    lead_repositories_analyse_later(leads=[lead])
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, lists: list[LeadList] | None = None, **fields: Any) -> Lead:
    from apps.billing.services import entitlement_ensure_writable

    entitlement_ensure_writable(
        tenant=current_tenant(), resource="leads", current=Lead.objects.count()
    )
    if "email" in fields:
        email = fields.pop("email").strip()
        if Lead.objects.filter(email__iexact=email).exclude(pk=lead.pk).exists():
            raise Conflict(f"A lead with the address {email} already exists.", code="lead_exists")
        lead.email = email
    _check_github_fields(fields)
    github_before = _github_identity(lead)
    for key, value in fields.items():
        if key in LEAD_FIELDS:
            setattr(lead, key, _normalise_tags(value) if key == "tags" else value)
    lead.save()
    if lists is not None:
        lead.lists.set(lists)
    if _github_identity(lead) != github_before:
        lead_repositories_analyse_later(leads=[lead])
    return lead


@transaction.atomic
def lead_erase(*, lead: Lead) -> None:
    """GDPR erasure: the lead and its personal data go; messages keep counts, not the address.

    The address is not added to the suppression list (that would keep it); a later import may
    bring it back, which is the data subject's controller's call.
    """
    Message.objects.filter(lead=lead).update(email="erased@invalid", lead=None)
    Event.objects.filter(message__lead__isnull=True, message__email="erased@invalid").update(
        user_agent="", url=""
    )
    lead.delete()


def lead_export_data(*, lead: Lead) -> dict:
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
        "suppressed": selectors.is_suppressed(email=lead.email),
        "messages": [
            {
                **row,
                "sent_at": row["sent_at"] and row["sent_at"].isoformat(),
                "delivered_at": row["delivered_at"] and row["delivered_at"].isoformat(),
                "bounced_at": row["bounced_at"] and row["bounced_at"].isoformat(),
                "complained_at": row["complained_at"] and row["complained_at"].isoformat(),
                "unsubscribed_at": row["unsubscribed_at"] and row["unsubscribed_at"].isoformat(),
            }
            for row in selectors.lead_history(lead=lead)
        ],
    }


# --- Lists and segments -----------------------------------------------------------------------

# A list or segment under one of these campaigns is what it is sending (or about to send) to.
AUDIENCE_LOCKING = (S.SCHEDULED, S.SENDING, S.PAUSED)


class AudienceInUse(Conflict):
    title = "Used by an active campaign"


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.for_field("name", "Enter a name.", code="name_required")
    return name


def _unique_name(model, *, name: str, label: str, exclude_pk: int | None = None) -> None:
    others = model.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise Conflict(f"A {label} named {name!r} already exists.", code=f"{label}_exists")


def _save_named(obj, *, label: str):
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
    name = _clean_name(name)
    _unique_name(LeadList, name=name, label="list")
    return _save_named(LeadList(name=name), label="list")


@transaction.atomic
def list_update(*, lead_list: LeadList, name: str) -> LeadList:
    name = _clean_name(name)
    _unique_name(LeadList, name=name, label="list", exclude_pk=lead_list.pk)
    lead_list.name = name
    return _save_named(lead_list, label="list")


def _refuse_if_locked(campaigns, *, what: str, code: str) -> None:
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


def _detach_audience(campaigns, *, field: str, label: str) -> int:
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
    from apps.billing.services import entitlement_ensure_writable

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


def _clean_filters(filters: dict) -> dict:
    errors = selectors.segment_filter_errors(filters)
    if errors:
        raise ValidationFailed("The segment's filters are invalid.", errors=errors)
    return filters


@transaction.atomic
def segment_create(*, name: str, filters: dict) -> Segment:
    filters = _clean_filters(filters)
    name = _clean_name(name)
    _unique_name(Segment, name=name, label="segment")
    return _save_named(Segment(name=name, filters=filters), label="segment")


@transaction.atomic
def segment_update(
    *, segment: Segment, name: str | None = None, filters: dict | None = None
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
        segment.name = _clean_name(name)
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


# --- Suppression ------------------------------------------------------------------------------


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


# --- Templates --------------------------------------------------------------------------------


def _prepare_template(*, subject: str, html: str, text: str) -> dict:
    html = rendering.sanitise_html(html or "")
    generated = not (text or "").strip()
    if generated:
        text = rendering.html_to_text(html)
    try:
        variables = rendering.validate_template(subject=subject, html=html, text=text)
    except rendering.TemplateInvalid as exc:
        raise ValidationFailed(
            "The template has errors.", code="template_invalid", errors=exc.errors
        ) from exc
    if not html.strip() and not text.strip():
        raise ValidationFailed.for_field(
            "html", "A template needs an HTML or a text part.", code="template_empty"
        )
    return {
        "subject": subject,
        "html": html,
        "text": text,
        "text_generated": generated,
        "variables": variables,
    }


@transaction.atomic
def template_create(*, name: str, subject: str, html: str = "", text: str = "") -> EmailTemplate:
    return EmailTemplate.objects.create(
        name=name, **_prepare_template(subject=subject, html=html, text=text)
    )


@transaction.atomic
def template_update(
    *,
    template: EmailTemplate,
    name: str | None = None,
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
) -> EmailTemplate:
    if text is None and template.text_generated:
        text = ""
    prepared = _prepare_template(
        subject=template.subject if subject is None else subject,
        html=template.html if html is None else html,
        text=template.text if text is None else text,
    )
    for key, value in prepared.items():
        setattr(template, key, value)
    if name is not None:
        template.name = name
    template.save()
    return template


@transaction.atomic
def template_delete(*, template: EmailTemplate) -> None:
    if template.campaigns.exists():
        raise Conflict(
            "Campaigns use this template; delete or change them first.", code="template_in_use"
        )
    template.delete()


SAMPLE_LEAD = Lead(
    email="ada@example.com",
    first_name="Ada",
    last_name="Lovelace",
    company="Analytical Engines",
    github_username="ada",
    attributes={"plan": "pro"},
    tags=["sample"],
)


@lru_cache(maxsize=128)
def _footer_parts(name: str, address: str) -> tuple[str, str]:
    from django.template.defaultfilters import linebreaksbr
    from django.utils.html import escape

    html = (
        '<div style="margin-top:32px;padding-top:12px;border-top:1px solid #ddd;'
        f'font-size:12px;color:#666">{escape(name)}<br>{linebreaksbr(escape(address))}<br>'
    )
    return html, f"\n\n--\n{name}\n{address}\nUnsubscribe: "


def _footer(tenant: Tenant, unsubscribe_url: str) -> tuple[str, str]:
    """Sender identity, postal address (required by law) and the unsubscribe link."""
    from django.utils.html import escape

    html, text = _footer_parts(tenant.name, tenant.postal_address or "")
    return (
        f'{html}<a href="{escape(unsubscribe_url)}" style="color:#666">Unsubscribe</a></div>',
        f"{text}{unsubscribe_url}\n",
    )


def lead_stacks(*, leads) -> dict[str, dict]:
    """`lead.stack` variables for many leads in one query, keyed by lower-cased GitHub owner."""
    from apps.repos.selectors import owner_stacks

    return owner_stacks(owners=[rendering.lead_github_owner(lead) for lead in leads])


def lead_stack(*, lead) -> dict:
    owner = rendering.lead_github_owner(lead)
    return lead_stacks(leads=[lead]).get(owner.lower(), {}) if owner else {}


def render_message(
    *,
    tenant: Tenant,
    subject: str,
    html: str,
    text: str,
    lead: Lead | rendering.LeadFields,
    campaign_name: str,
    message_id: int | None,
    base: str,
    stack: dict | None = None,
) -> rendering.Rendered:
    """Subject, HTML and text for one recipient: personalised, tracked, with the footer.

    `stack` is the lead's `lead.stack` variables; looked up here unless the caller batched it.
    """
    schema = tenant.schema_name
    unsubscribe_url = (
        f"{base}/u/{tracking.unsubscribe_token(schema=schema, message_id=message_id)}"
        if message_id is not None
        else f"{base}/u/preview"
    )
    context = {
        "lead": rendering.lead_context(lead, stack if stack is not None else lead_stack(lead=lead)),
        "tenant": rendering.tenant_context(tenant),
        "campaign": {"name": campaign_name},
        "unsubscribe_url": unsubscribe_url,
    }
    rendered = rendering.render_parts(rendering.compile_parts(subject, html, text), context)
    footer_html, footer_text = _footer(tenant, unsubscribe_url)
    body_html = rendered.html
    if message_id is not None:
        body_html = tracking.rewrite_links(
            body_html, schema=schema, message_id=message_id, base=base, skip=(f"{base}/u/",)
        )
        body_html += tracking.pixel_tag(schema=schema, message_id=message_id, base=base)
    rendered.html = f"{body_html}{footer_html}" if rendered.html.strip() else ""
    rendered.text = rendered.text.rstrip() + footer_text
    rendered.unsubscribe_url = unsubscribe_url
    return rendered


def template_preview(
    *,
    tenant: Tenant,
    template: EmailTemplate | None = None,
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
    lead: Lead | None = None,
) -> dict:
    if template is not None:
        subject, html, text = template.subject, template.html, template.text
    prepared = _prepare_template(subject=subject or "", html=html or "", text=text or "")
    rendered = render_message(
        tenant=tenant,
        subject=prepared["subject"],
        html=prepared["html"],
        text=prepared["text"],
        lead=lead or SAMPLE_LEAD,
        campaign_name="Preview",
        message_id=None,
        base=tracking.public_base_url(),
    )
    return {
        "subject": rendered.subject,
        "html": rendered.html,
        "text": rendered.text,
        "variables": prepared["variables"],
    }


# --- Campaigns --------------------------------------------------------------------------------


def _transition(campaign: Campaign, target: str, action: str) -> None:
    if target not in TRANSITIONS[campaign.status]:
        raise CampaignStateConflict(
            f"Cannot {action} a campaign that is {campaign.status}.",
            extra={"campaign_status": campaign.status, "action": action},
        )
    campaign.status = target


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


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
        name=_clean_name(name),
        template=template,
        lead_list=lead_list,
        segment=segment,
        from_email=_clean_sender(from_email),
        reply_to=reply_to,
        created_by=created_by,
    )


def _clean_sender(from_email: str) -> str:
    """Empty (the default sender) or an address, optionally with a name: `Ada <ada@x.example>`."""
    from email.utils import parseaddr

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

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
    return from_email


@transaction.atomic
def campaign_update(*, campaign: Campaign, **fields: Any) -> Campaign:
    campaign = _locked(campaign)
    if campaign.status not in EDITABLE:
        raise CampaignStateConflict(
            f"A campaign that is {campaign.status} cannot be edited; pause it first."
            if campaign.status == S.SENDING
            else f"A campaign that is {campaign.status} cannot be edited.",
            code="campaign_not_editable",
            extra={"campaign_status": campaign.status},
        )
    if "name" in fields:
        fields["name"] = _clean_name(fields["name"])
    if "from_email" in fields:
        fields["from_email"] = _clean_sender(fields["from_email"])
    for key in ("name", "template", "lead_list", "segment", "from_email", "reply_to"):
        if key in fields:
            setattr(campaign, key, fields[key])
    if "lead_list" in fields or "segment" in fields:
        campaign.audience_removed = ""  # an audience chosen again
    if campaign.status == S.PAUSED and "template" in fields:
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


def _snapshot(campaign: Campaign) -> None:
    template = campaign.template
    campaign.subject, campaign.html, campaign.text = template.subject, template.html, template.text


def campaign_spam_check(*, campaign: Campaign, tenant: Tenant) -> dict:
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
    from .tasks import expand_campaign

    _snapshot(campaign)
    campaign.status = S.SENDING
    campaign.started_at = campaign.started_at or timezone.now()
    campaign.status_reason = ""
    campaign.save()
    pk = campaign.pk
    transaction.on_commit(lambda: expand_campaign.delay(pk))
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
    from .tasks import expand_campaign

    # Expansion continues from its cursor and re-queues every message still waiting.
    transaction.on_commit(lambda: expand_campaign.delay(pk, requeue=True))
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


def campaign_test_send(
    *, campaign: Campaign, tenant: Tenant, emails: list[str], lead: Lead | None = None
) -> int:
    from apps.billing.services import entitlement_consume

    if not 1 <= len(emails) <= TEST_SEND_MAX:
        raise ValidationFailed.for_field(
            "emails", f"Send a test to 1 to {TEST_SEND_MAX} addresses.", code="test_send_limit"
        )
    if campaign.template is None:
        raise ValidationFailed.for_field(
            "template", "Choose a template first.", code="campaign_template_missing"
        )
    entitlement_consume(tenant=tenant, resource="emails", amount=len(emails))
    template = campaign.template
    rendered = render_message(
        tenant=tenant,
        subject=template.subject,
        html=template.html,
        text=template.text,
        lead=lead or SAMPLE_LEAD,
        campaign_name=campaign.name,
        message_id=None,
        base=tracking.public_base_url(),
    )
    messages = []
    for address in emails:
        message = EmailMultiAlternatives(
            subject=f"[Test] {rendered.subject}",
            body=rendered.text,
            from_email=campaign.from_email or settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
        if rendered.html:
            message.attach_alternative(rendered.html, "text/html")
        messages.append(message)
    return get_connection().send_messages(messages) or 0


# --- Expansion and sending --------------------------------------------------------------------


def campaign_expand_step(*, campaign_pk: int, chunk: int) -> tuple[str, list[list[int]]]:
    """Create the next keyset chunk of messages; returns (state, batches of message ids).

    The insert and the cursor move commit together; a rerun after a crash continues where the
    last commit left off, and the unique (campaign, lead) pair absorbs any overlap.
    """
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("segment")
            .get(pk=campaign_pk)
        )
        if campaign.status != S.SENDING:
            return campaign.status, []
        if campaign.expansion_done:
            return "done", []
        # The window is the next `chunk` lead ids (a primary-key range scan); the audience
        # filter runs inside it, so each step reads a bounded slice however large the table.
        window = list(
            Lead.objects.filter(id__gt=campaign.expanded_through)
            .order_by("id")
            .values_list("id", flat=True)[:chunk]
        )
        if not window:
            campaign.expansion_done = True
            campaign.save(update_fields=["expansion_done", "updated_at"])
            return "done", []
        ids = _insert_messages(
            campaign=campaign,
            audience=selectors.campaign_audience(campaign=campaign).filter(
                id__gt=campaign.expanded_through, id__lte=window[-1]
            ),
        )
        # The cursor and the count move in the same transaction as the insert, so a rerun of
        # this chunk (after a crash before commit) counts nothing twice.
        campaign.expanded_through = window[-1]
        campaign.recipients += len(ids)
        campaign.save(update_fields=["expanded_through", "recipients", "updated_at"])
    size = settings.CAMPAIGN_BATCH_SIZE
    return "more", [ids[i : i + size] for i in range(0, len(ids), size)]


def _insert_messages(*, campaign: Campaign, audience: models.QuerySet) -> list[int]:
    """One queued message per lead of `audience` (a Lead queryset), in one INSERT … SELECT;
    returns the new messages' ids in order.

    PostgreSQL builds the rows from the audience query itself (no lead crosses the wire and no
    model is instantiated), in lead order; the unique (campaign, lead) pair skips leads that
    already have one (none can: the expansion cursor moves in the same transaction).
    """
    audience_sql, params = audience.values("id", "email").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Message._meta.db_table} (
                public_id, campaign_id, lead_id, email, status, batch_key, esp_message_id,
                error, created_at
            )
            SELECT gen_random_uuid(), %s, audience.id, audience.email, %s, '', '', '', %s
            FROM ({audience_sql}) AS audience
            ORDER BY audience.id
            ON CONFLICT DO NOTHING
            RETURNING id
            """,  # noqa: S608 - the table name is ours, the audience SQL is Django's
            [campaign.pk, Message.Status.QUEUED, timezone.now(), *params],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        # A tenant's first campaign fills a table PostgreSQL has never analysed, and the send
        # batches' plans would be guessed (a scan per batch); once analysed, its estimates
        # follow the table as it grows.
        cursor.execute(
            "SELECT reltuples < 0 FROM pg_class WHERE oid = to_regclass(%s)",
            [Message._meta.db_table],
        )
        if ids and cursor.fetchone()[0]:
            cursor.execute(f"ANALYZE {Message._meta.db_table}")
        return ids


def queued_batches(*, campaign_pk: int) -> list[list[int]]:
    ids = list(
        Message.objects.filter(campaign_id=campaign_pk, status=Message.Status.QUEUED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    size = settings.CAMPAIGN_BATCH_SIZE
    return [ids[i : i + size] for i in range(0, len(ids), size)]


class AllowanceExhausted(Exception):
    pass


class SendPostponed(Exception):
    """Transient failure: the task retries later with the same batch key."""


def transport() -> str:
    if settings.CAMPAIGN_TRANSPORT != "auto":
        return settings.CAMPAIGN_TRANSPORT
    return "resend" if settings.ANYMAIL.get("RESEND_API_KEY") else "backend"


def _headers(unsubscribe_url: str, message: _Claimed) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "X-Strato-Message": str(message.public_id),
    }


def _compose(campaign: Campaign, tenant: Tenant, messages: list[_Claimed], base: str) -> list:
    sender = campaign.from_email or settings.DEFAULT_FROM_EMAIL
    stacks = lead_stacks(leads=[message.lead for message in messages])
    out = []
    for message in messages:
        rendered = render_message(
            tenant=tenant,
            subject=campaign.subject,
            html=campaign.html,
            text=campaign.text,
            lead=message.lead,
            campaign_name=campaign.name,
            message_id=message.pk,
            base=base,
            stack=stacks.get(rendering.lead_github_owner(message.lead).lower(), {}),
        )
        out.append(
            resend.BatchEmail(
                from_email=sender,
                to=message.email,
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                headers=_headers(rendered.unsubscribe_url, message),
                reply_to=campaign.reply_to,
                tags=resend.message_tags(schema=tenant.schema_name, message_id=message.pk),
            )
        )
    return out


def _mark_sent(pairs: list[tuple[int, str]], key: str) -> None:
    if not pairs:
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        values = ", ".join(["(%s::bigint, %s)"] * len(pairs))
        params: list = [v for pair in pairs for v in pair]
        cursor.execute(
            f"UPDATE {Message._meta.db_table} AS m SET status = %s, esp_message_id = v.esp, "  # noqa: S608
            f"sent_at = %s, error = '' FROM (VALUES {values}) AS v(id, esp) "
            "WHERE m.id = v.id AND m.status = %s AND m.batch_key = %s",
            [Message.Status.SENT, now, *params, Message.Status.SENDING, key],
        )


def messages_send_batch(*, campaign_pk: int, message_ids: list[int], batch_key: str) -> str:
    """Claim, render and send one batch; idempotent under redelivery with the same key.

    Returns "sent", "skipped" (nothing of ours left to send) or "paused". Raises
    AllowanceExhausted or SendPostponed for the task to retry later.
    """
    try:
        return _send_batch(campaign_pk=campaign_pk, message_ids=message_ids, batch_key=batch_key)
    except _Waiting as waiting:
        detail = waiting.args[0].detail
        Campaign.objects.filter(pk=campaign_pk).update(
            status_reason=f"Waiting for the monthly email allowance: {detail}"
        )
        raise AllowanceExhausted(detail) from waiting.args[0]


class _Waiting(Exception):
    pass


@dataclass(slots=True)
class _Claimed:
    """A message of the batch being sent, with what rendering needs of its lead."""

    pk: int
    public_id: uuid.UUID
    email: str
    lead: rendering.LeadFields | None


def _claim(*, campaign_pk: int, message_ids: list[int], batch_key: str) -> list[tuple]:
    """Lock this batch's messages and mark them ours, in one statement.

    Takes the ones still queued and the ones a previous delivery of this same batch claimed;
    rows another worker holds are skipped, not waited for. The rows are locked by primary key
    alone: with a campaign or status condition there, a new table's missing statistics can lead
    the planner to scan every queued message of the campaign for each batch. Returns
    (message, was_queued) in id order, each message carrying its lead's fields (None once the
    lead is erased) read from the same row.
    """
    message_table, lead_table = Message._meta.db_table, Lead._meta.db_table
    lead_columns = ", ".join(f"lead.{field}" for field in rendering.LEAD_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH candidate AS (
                SELECT id, campaign_id, status, batch_key, lead_id FROM {message_table}
                WHERE id = ANY(%s::bigint[])
                ORDER BY id FOR UPDATE SKIP LOCKED
            )
            UPDATE {message_table} AS m SET status = %s, batch_key = %s, claimed_at = %s
            FROM candidate LEFT JOIN {lead_table} AS lead ON lead.id = candidate.lead_id
            WHERE m.id = candidate.id AND candidate.campaign_id = %s
              AND (candidate.status = %s OR (candidate.status = %s AND candidate.batch_key = %s))
            RETURNING m.id, m.public_id, m.email, candidate.status, lead.id, {lead_columns}
            """,  # noqa: S608 - table and column names are ours
            [
                list(message_ids), Message.Status.SENDING, batch_key, timezone.now(),
                campaign_pk, Message.Status.QUEUED, Message.Status.SENDING, batch_key,
            ],
        )  # fmt: skip
        rows = sorted(cursor.fetchall())
    return [
        (
            _Claimed(pk, public_id, email, rendering.LeadFields.from_row(values) if lead else None),
            previous == Message.Status.QUEUED,
        )
        for pk, public_id, email, previous, lead, *values in rows
    ]


def _send_batch(*, campaign_pk: int, message_ids: list[int], batch_key: str) -> str:
    from apps.billing.services import PlanLimitExceeded, entitlement_consume

    tenant = current_tenant()
    base = tracking.public_base_url()
    mode = transport()
    waiting = None
    with transaction.atomic():
        campaign = Campaign.objects.get(pk=campaign_pk)
        if campaign.status != S.SENDING:
            return "paused"
        claimed = _claim(campaign_pk=campaign_pk, message_ids=message_ids, batch_key=batch_key)
        messages = [message for message, _ in claimed]
        fresh = [message for message, was_queued in claimed if was_queued]
        if fresh:
            suppressed = set(
                Suppression.objects.annotate(l_email=Lower("email"))
                .filter(l_email__in=[m.email.lower() for m in fresh])
                .values_list("l_email", flat=True)
            )
            gone = [m.pk for m in fresh if m.email.lower() in suppressed or m.lead is None]
            if gone:
                Message.objects.filter(pk__in=gone).update(
                    status=Message.Status.SKIPPED, error="suppressed"
                )
                messages = [m for m in messages if m.pk not in gone]
                fresh = [m for m in fresh if m.pk not in gone]
        if fresh:
            try:
                entitlement_consume(tenant=tenant, resource="emails", amount=len(fresh))
            except PlanLimitExceeded as exc:
                waiting = exc
        if waiting is not None:
            # Leave the atomic block first: the claim rolls back, the messages stay queued.
            raise _Waiting(waiting)
        if not messages:
            return "skipped"
        if mode == "backend" and _backend_is_transactional():
            # Local backends (outbox, locmem): the send and the status change commit together.
            _send_with_backend(campaign, tenant, messages, base)
            _mark_sent([(m.pk, "") for m in messages], batch_key)
            return "sent"

    if mode == "resend":
        emails = _compose(campaign, tenant, messages, base)
        try:
            ids = resend.send_batch(emails, idempotency_key=_idempotency_key(batch_key))
        except resend.ResendRejected as exc:
            with transaction.atomic():
                Message.objects.filter(pk__in=[m.pk for m in messages], batch_key=batch_key).update(
                    status=Message.Status.FAILED, error=str(exc)[:2000]
                )
            return "failed"
        except (resend.ResendUnavailable, TimeoutError) as exc:
            raise SendPostponed(str(exc)) from exc
        pairs = [(m.pk, esp) for m, esp in zip(messages, ids, strict=True)]
    else:
        _send_with_backend(campaign, tenant, messages, base)
        pairs = [(m.pk, "") for m in messages]
    with transaction.atomic():
        _mark_sent(pairs, batch_key)
    return "sent"


LOCAL_BACKENDS = {
    "apps.core.mail.OutboxEmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}


def _backend_is_transactional() -> bool:
    if settings.CAMPAIGN_BACKEND_TRANSACTIONAL is not None:
        return settings.CAMPAIGN_BACKEND_TRANSACTIONAL
    return settings.EMAIL_BACKEND in LOCAL_BACKENDS


def _idempotency_key(batch_key: str) -> str:
    return hashlib.sha256(f"{connection.schema_name}:{batch_key}".encode()).hexdigest()[:64]


def _send_with_backend(
    campaign: Campaign, tenant: Tenant, messages: list[_Claimed], base: str
) -> None:
    """Any Django/anymail backend: one EmailMessage per recipient, one connection per batch."""
    emails = _compose(campaign, tenant, messages, base)
    out = []
    for email in emails:
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.text,
            from_email=email.from_email,
            to=[email.to],
            headers=email.headers,
            reply_to=[email.reply_to] if email.reply_to else None,
        )
        if email.html:
            message.attach_alternative(email.html, "text/html")
        out.append(message)
    try:
        get_connection(fail_silently=False).send_messages(out)
    except Exception as exc:
        raise SendPostponed(f"{type(exc).__name__}: {exc}") from exc


def _unfinished(campaign_pk: int) -> bool:
    return Message.objects.filter(
        campaign_id=campaign_pk, status__in=[Message.Status.QUEUED, Message.Status.SENDING]
    ).exists()


@transaction.atomic
def campaign_finish_if_done(*, campaign_pk: int) -> bool:
    # Cheap checks first, without the row lock every batch would otherwise queue behind.
    if not Campaign.objects.filter(
        pk=campaign_pk, status=S.SENDING, expansion_done=True
    ).exists() or _unfinished(campaign_pk):
        return False
    campaign = Campaign.objects.select_for_update().get(pk=campaign_pk)
    if campaign.status != S.SENDING or not campaign.expansion_done or _unfinished(campaign_pk):
        return False
    sent = Message.objects.filter(campaign=campaign, status=Message.Status.SENT).exists()
    campaign.status = (
        S.SENT
        if sent
        or not Message.objects.filter(campaign=campaign, status=Message.Status.FAILED).exists()
        else S.FAILED
    )
    if campaign.status == S.FAILED:
        campaign.status_reason = "Every message was refused by the email provider."
    campaign.finished_at = timezone.now()
    campaign.save()
    return True


# --- Events: tracking, ESP webhooks, unsubscribe ----------------------------------------------


def tracking_events_record(*, events: list[dict]) -> int:
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


def esp_event_apply(*, payload: dict, event_id: str) -> str:
    """Apply one Resend webhook event in this tenant's schema. Returns processed/ignored."""
    kind = ESP_KINDS.get(payload.get("type", ""))
    data = payload.get("data") or {}
    route = resend.read_message_tags(data)
    email_id = data.get("email_id", "")
    message = (
        Message.objects.select_for_update().filter(pk=route[1]).first() if route and kind else None
    )
    if message is None or (message.esp_message_id and message.esp_message_id != email_id):
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
