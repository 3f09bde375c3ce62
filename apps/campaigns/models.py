"""Leads, lists, segments, templates, campaigns, messages, events and suppression.

All of it lives in the tenant's schema; ESP webhooks find their tenant through the tags each
campaign email carries (`resend.message_tags`), not through a public lookup table.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Lower

# What services and imports may write on a lead besides its email.
LEAD_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "github_username",
    "github_url",
    "attributes",
    "tags",
)


class LeadList(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(max_length=320)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    company = models.CharField(max_length=200, blank=True)
    github_username = models.CharField(max_length=39, blank=True)
    github_url = models.URLField(max_length=500, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    lists = models.ManyToManyField(LeadList, related_name="leads", blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="lead_email_ci_unique"),
        ]
        indexes = [GinIndex(fields=["tags"], name="lead_tags_gin")]

    def __str__(self) -> str:
        return self.email


class Segment(models.Model):
    """A saved filter over leads; `filters` is validated by `segments.validate_filters`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, unique=True)
    filters = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class EmailTemplate(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=998)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True, help_text="Generated from the HTML when left empty.")
    text_generated = models.BooleanField(default=False)
    variables = models.JSONField(default=list, help_text="Variables the template uses.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    template = models.ForeignKey(
        EmailTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    lead_list = models.ForeignKey(
        LeadList, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    # What the audience was when its list or segment is deleted later (`list "Django shops"`):
    # sent campaigns keep it for their report; a draft must choose an audience again before it
    # can be sent, so a deleted list never silently widens it to every lead.
    audience_removed = models.CharField(max_length=500, blank=True, default="", db_default="")
    from_email = models.CharField(max_length=320, blank=True)
    reply_to = models.EmailField(blank=True)
    # Snapshot of the template taken when sending starts: edits cannot change a running send.
    subject = models.CharField(max_length=998, blank=True)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    send_at = models.DateTimeField(null=True, blank=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(blank=True)
    spam_score = models.FloatField(null=True, blank=True)
    spam_reasons = models.JSONField(default=list, blank=True)
    # Keyset expansion cursor: leads with id <= this already have their Message row.
    expanded_through = models.BigIntegerField(default=0)
    expansion_done = models.BooleanField(default=False)
    recipients = models.PositiveIntegerField(default=0)
    created_by = models.CharField(max_length=320, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One recipient of one campaign; the unique pair makes a retry unable to send twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Handed to a worker"
        SENT = "sent", "Accepted by the ESP"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (suppressed at send time)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Every index is written three times per recipient (queued, sending, sent), so only the
    # ones queries use: campaign lookups go through the two composite indexes below, and ESP
    # webhooks find a message by the id in its tags, not by `esp_message_id`.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    lead = models.ForeignKey(Lead, on_delete=models.SET_NULL, null=True, related_name="messages")
    email = models.CharField(max_length=320)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    batch_key = models.CharField(
        max_length=80, blank=True, help_text="Idempotency key of the ESP batch this went out in."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    esp_message_id = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "lead"], name="message_once_per_lead"),
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="message_campaign_status")]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.email}"


class Event(models.Model):
    class Kind(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        DEFERRED = "deferred", "Deferred"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    machine = models.BooleanField(
        default=False, help_text="Prefetcher or scanner: kept out of human rates."
    )
    machine_reason = models.CharField(max_length=64, blank=True)
    url = models.TextField(blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=16, default="tracking")  # tracking | esp
    external_id = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "kind"], name="event_campaign_kind")]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="event_external_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class Suppression(models.Model):
    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Complaint"
        MANUAL = "manual", "Manual"

    email = models.CharField(max_length=320)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="suppression_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class LeadImport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        # Finished, but some rows were refused: `error` says how many, the report says which.
        PARTIAL = "partial", "Partially imported"
        FAILED = "failed", "Failed"

    FINISHED = (Status.DONE, Status.PARTIAL, Status.FAILED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    file_path = models.CharField(max_length=500)
    file_size = models.BigIntegerField(default=0)
    mapping = models.JSONField(default=dict, blank=True)
    lead_list = models.ForeignKey(LeadList, on_delete=models.SET_NULL, null=True, blank=True)
    bytes_read = models.BigIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors_count = models.PositiveIntegerField(default=0)
    errors_path = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.public_id} ({self.status})"

    @property
    def progress(self) -> float:
        if not self.file_size:
            return 1.0 if self.status in (self.Status.DONE, self.Status.PARTIAL) else 0.0
        return min(1.0, self.bytes_read / self.file_size)


class SendingDomain(models.Model):
    """A domain this tenant sends from, registered with Resend; only a verified one may be used
    in a campaign's sender (`services.domains`). Which tenant owns a name is kept in the public
    `domain_claims` table, so two tenants can never hold the same domain."""

    class Status(models.TextChoices):
        # Resend's own statuses, as `GET /domains/{id}` reports them.
        NOT_STARTED = "not_started", "Not started"
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        FAILED = "failed", "Failed"
        TEMPORARY_FAILURE = "temporary_failure", "Temporary failure"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=253, unique=True, help_text="IDNA-normalised, lowercase.")
    resend_id = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NOT_STARTED)
    region = models.CharField(max_length=32, blank=True)
    # Resend's `records`: [{record, name, type, value, ttl, priority?, status}, …].
    records = models.JSONField(default=list, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED
