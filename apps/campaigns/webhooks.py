"""Resend's tracking webhook (via svix): verified on the raw body, stored once, applied in Celery.

Resend signs with svix (`svix-id`, `svix-timestamp`, `svix-signature`); the `svix` library checks
the HMAC and the timestamp window. Events are stored in the core inbox by `svix-id` and applied in
the schema that sent the message (found through `EspMessageRoute`).
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context
from svix.webhooks import Webhook, WebhookVerificationError

from apps.core.errors import AuthenticationFailed, ServiceUnavailable, ValidationFailed
from apps.core.models import WebhookEvent
from apps.core.webhooks import event_json, kept_headers, webhook_handler, webhook_receive

from .routing.models import EspMessageRoute

PROVIDER = "resend"


def resend_webhook_receive(*, body: bytes, headers) -> tuple[WebhookEvent, bool]:
    secret = settings.RESEND_WEBHOOK_SECRET
    if not secret:
        raise ServiceUnavailable(
            "Resend webhooks are not configured on this server.", code="webhook_not_configured"
        )
    try:
        Webhook(secret).verify(body, dict(headers))
    except WebhookVerificationError as exc:
        raise AuthenticationFailed(
            f"The svix signature does not match: {exc}", code="webhook_signature_invalid"
        ) from exc
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("The body is not JSON.", code="webhook_malformed") from exc
    event_id = headers.get("svix-id", "")
    email_id = (payload.get("data") or {}).get("email_id", "")
    schema = (
        EspMessageRoute.objects.filter(esp_message_id=email_id)
        .values_list("schema_name", flat=True)
        .first()
        or ""
    )
    return webhook_receive(
        provider=PROVIDER,
        event_id=event_id,
        body=body,
        headers=kept_headers(headers),
        event_type=payload.get("type", ""),
        schema_name=schema,
    )


class RouteNotYetKnown(LookupError):
    """The webhook beat our own commit of the send; the inbox retries with backoff."""


@webhook_handler(PROVIDER)
def apply_resend_event(event: WebhookEvent) -> str:
    from . import services

    payload = event_json(event)
    schema = event.schema_name
    if not schema:
        email_id = (payload.get("data") or {}).get("email_id", "")
        schema = (
            EspMessageRoute.objects.filter(esp_message_id=email_id)
            .values_list("schema_name", flat=True)
            .first()
            or ""
        )
        if not schema:
            if event.received_at > timezone.now() - timedelta(hours=1):
                raise RouteNotYetKnown(f"No tenant knows Resend email {email_id!r} yet")
            return "ignored"
        WebhookEvent.objects.filter(pk=event.pk).update(schema_name=schema)
    with schema_context(schema):
        return services.esp_event_apply(payload=payload, event_id=f"resend:{event.event_id}")
