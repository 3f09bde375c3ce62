from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

from .models import OutboxMessage


class OutboxEmailBackend(BaseEmailBackend):
    """Development backend: keeps every message in the outbox table, shown in the dashboard."""

    def send_messages(self, email_messages):
        rows = []
        for message in email_messages:
            html = next(
                (
                    content
                    for content, mimetype in getattr(message, "alternatives", [])
                    if mimetype == "text/html"
                ),
                "",
            )
            rows.append(
                OutboxMessage(
                    schema_name=connection.schema_name,  # type: ignore[attr-defined]  # django-tenants
                    from_email=message.from_email,
                    to=list(message.to) + list(message.cc) + list(message.bcc),
                    subject=message.subject,
                    text_body=message.body,
                    html_body=html,
                    headers={key: str(value) for key, value in message.extra_headers.items()},
                )
            )
        OutboxMessage.objects.bulk_create(rows)
        return len(rows)
