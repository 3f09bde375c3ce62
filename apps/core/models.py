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
