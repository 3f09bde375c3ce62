import uuid

from django.db import models


class OutboxMessage(models.Model):
    """Mail captured by the development backend instead of being sent (see `mail.py`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    schema_name = models.CharField(max_length=63, db_index=True)
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


class WebhookEvent(models.Model):
    """The inbox: every inbound webhook, verified, stored once, processed by a task.

    Providers (GitHub, Stripe, Resend, …) register a handler in `apps.core.webhooks`; a failed
    event keeps its raw body and can be replayed from the admin.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255, help_text="The provider's delivery/event id.")
    event_type = models.CharField(max_length=100, blank=True)
    schema_name = models.CharField(
        max_length=63, blank=True, help_text="Tenant schema, when known."
    )
    headers = models.JSONField(default=dict)
    body = models.BinaryField(help_text="Raw body exactly as received and verified.")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="webhook_event_once_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_type or '-'}:{self.event_id}"
