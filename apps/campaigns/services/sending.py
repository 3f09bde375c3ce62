"""Sending: expanding a campaign into messages, claiming and sending them in batches, finishing
the campaign, and test sends.

Sending is at-most-once per (campaign, lead) by construction: expansion inserts one `Message` per
recipient under a unique constraint, a send task claims its messages with a row lock and a batch
key (its own Celery task id, so a redelivered task re-claims what it held), and the batch goes to
Resend with that key as `Idempotency-Key`. With the development outbox the send and the status
change commit in one transaction. Messages that cannot go out yet (paused campaign, monthly
allowance used up, ESP outage) stay queued and are picked up again; none is dropped.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from apps.billing.services import PlanLimitExceeded, entitlement_consume
from apps.core.errors import ValidationFailed
from apps.tenants.models import Tenant

from .. import rendering, resend, selectors, tracking
from ..models import Campaign, Lead, Message, Suppression
from .common import S, current_schema, current_tenant
from .domains import campaign_sender
from .templates import SAMPLE_LEAD, render_checked, render_message

TEST_SEND_MAX = 5
LOCAL_BACKENDS = {
    "apps.core.mail.OutboxEmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}


class AllowanceExhausted(Exception):
    pass


class SendPostponed(Exception):
    """Transient failure: the task retries later with the same batch key."""


class _Waiting(Exception):
    pass


@dataclass(slots=True)
class _Claimed:
    """A message of the batch being sent, with what rendering needs of its lead."""

    pk: int
    public_id: uuid.UUID
    email: str
    lead: rendering.LeadFields | None


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


def _insert_messages(*, campaign: Campaign, audience: models.QuerySet[Lead]) -> list[int]:
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
        never_analysed = cursor.fetchone()
        if ids and never_analysed is not None and never_analysed[0]:
            cursor.execute(f"ANALYZE {Message._meta.db_table}")
        return ids


def transport() -> str:
    if settings.CAMPAIGN_TRANSPORT != "auto":
        return str(settings.CAMPAIGN_TRANSPORT)
    return "resend" if settings.ANYMAIL.get("RESEND_API_KEY") else "backend"


def _headers(unsubscribe_url: str, message: _Claimed) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "X-Strato-Message": str(message.public_id),
    }


def _lead_of(message: _Claimed) -> rendering.LeadFields:
    if message.lead is None:
        raise LookupError(f"Message {message.pk} has no lead left to render for.")
    return message.lead


def _compose(
    campaign: Campaign, tenant: Tenant, messages: list[_Claimed], base: str
) -> tuple[list[_Claimed], list[resend.BatchEmail]]:
    """Render each claimed message; `_send_batch` has skipped those whose lead was erased.

    A message whose rendering is over a size cap is marked failed with the reason and left
    out; returns the messages to send and their emails, in the same order.
    """
    sender = campaign_sender(campaign=campaign, tenant=tenant)
    leads = [_lead_of(message) for message in messages]
    stacks = selectors.lead_stacks(leads=leads)
    sendable, out = [], []
    for message, lead in zip(messages, leads, strict=True):
        try:
            rendered = render_message(
                tenant=tenant,
                subject=campaign.subject,
                html=campaign.html,
                text=campaign.text,
                lead=lead,
                campaign_name=campaign.name,
                message_id=message.pk,
                base=base,
                stack=stacks.get(rendering.lead_github_owner(lead).lower(), {}),
            )
        except rendering.RenderFailed as exc:
            Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
                status=Message.Status.FAILED, error=f"{exc.field or 'html'}: {exc}"
            )
            continue
        sendable.append(message)
        out.append(
            resend.BatchEmail(
                from_email=sender.from_email,
                to=message.email,
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                headers=_headers(rendered.unsubscribe_url, message),
                reply_to=sender.reply_to,
                tags=resend.message_tags(schema=tenant.schema_name, message_id=message.pk),
            )
        )
    return sendable, out


def _mark_sent(pairs: list[tuple[int, str]], key: str) -> None:
    if not pairs:
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        values = ", ".join(["(%s::bigint, %s)"] * len(pairs))
        params: list[int | str] = [v for pair in pairs for v in pair]
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


def _claim(
    *, campaign_pk: int, message_ids: list[int], batch_key: str
) -> list[tuple[_Claimed, bool]]:
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
            messages = _send_with_backend(campaign, tenant, messages, base)
            _mark_sent([(m.pk, "") for m in messages], batch_key)
            return "sent" if messages else "failed"

    if mode == "resend":
        messages, emails = _compose(campaign, tenant, messages, base)
        if not emails:
            return "failed"
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
        messages = _send_with_backend(campaign, tenant, messages, base)
        pairs = [(m.pk, "") for m in messages]
    with transaction.atomic():
        _mark_sent(pairs, batch_key)
    return "sent"


def messages_park_batch(
    *, campaign_pk: int, message_ids: list[int], batch_key: str, reason: str
) -> int:
    """Hold the messages of a batch whose send task was parked as a dead letter.

    Those still queued or claimed by this batch become claimed by it with no claim time: the
    sweeper (which re-queues old queued messages and old claims) leaves them alone, the
    campaign stays `sending` with the reason on each message, and the dead letter's requeue
    (same batch key) claims them as its own and sends them under the same Idempotency-Key.
    Returns how many messages are held.
    """
    return (
        Message.objects.filter(pk__in=message_ids, campaign_id=campaign_pk)
        .filter(
            models.Q(status=Message.Status.QUEUED)
            | models.Q(status=Message.Status.SENDING, batch_key=batch_key)
        )
        .update(
            status=Message.Status.SENDING,
            batch_key=batch_key,
            claimed_at=None,
            error=f"Parked: {reason}"[:2000],
        )
    )


def _backend_is_transactional() -> bool:
    if settings.CAMPAIGN_BACKEND_TRANSACTIONAL is not None:
        return bool(settings.CAMPAIGN_BACKEND_TRANSACTIONAL)
    return settings.EMAIL_BACKEND in LOCAL_BACKENDS


def _idempotency_key(batch_key: str) -> str:
    return hashlib.sha256(f"{current_schema()}:{batch_key}".encode()).hexdigest()[:64]


def _send_with_backend(
    campaign: Campaign, tenant: Tenant, messages: list[_Claimed], base: str
) -> list[_Claimed]:
    """Any Django/anymail backend: one EmailMessage per recipient, one connection per batch.

    Returns the messages sent (those `_compose` could render)."""
    sendable, emails = _compose(campaign, tenant, messages, base)
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
    return sendable


@transaction.atomic
def campaign_finish_if_done(*, campaign_pk: int) -> bool:
    # Cheap checks first, without the row lock every batch would otherwise queue behind.
    if not Campaign.objects.filter(
        pk=campaign_pk, status=S.SENDING, expansion_done=True
    ).exists() or selectors.campaign_has_unfinished_messages(campaign_pk=campaign_pk):
        return False
    campaign = Campaign.objects.select_for_update().get(pk=campaign_pk)
    if (
        campaign.status != S.SENDING
        or not campaign.expansion_done
        or selectors.campaign_has_unfinished_messages(campaign_pk=campaign_pk)
    ):
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


def campaign_test_send(
    *, campaign: Campaign, tenant: Tenant, emails: list[str], lead: Lead | None = None
) -> int:
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
    rendered = render_checked(
        tenant=tenant,
        subject=template.subject,
        html=template.html,
        text=template.text,
        lead=lead or SAMPLE_LEAD,
        campaign_name=campaign.name,
    )
    sender = campaign_sender(campaign=campaign, tenant=tenant)
    messages = []
    for address in emails:
        message = EmailMultiAlternatives(
            subject=f"[Test] {rendered.subject}",
            body=rendered.text,
            from_email=sender.from_email,
            to=[address],
            reply_to=[sender.reply_to] if sender.reply_to else None,
        )
        if rendered.html:
            message.attach_alternative(rendered.html, "text/html")
        messages.append(message)
    return get_connection().send_messages(messages) or 0
