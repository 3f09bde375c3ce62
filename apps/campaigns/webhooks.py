"""Resend's tracking webhook (via svix): verified on the raw body, stored once, applied in Celery.

Resend signs with svix (`svix-id`, `svix-timestamp`, `svix-signature`); the `svix` library checks
the HMAC and the timestamp window. Events are stored in the core inbox by `svix-id` and applied in
the schema that sent the message, named by the tags every campaign email carries
(`resend.message_tags`).
"""

from __future__ import annotations

import json

from django.conf import settings
from django_tenants.utils import get_public_schema_name, schema_context
from svix.webhooks import Webhook, WebhookVerificationError

from apps.core.errors import AuthenticationFailed, ServiceUnavailable, ValidationFailed
from apps.core.models import WebhookEvent
from apps.core.webhooks import event_json, kept_headers, webhook_handler, webhook_receive
from apps.tenants.models import Tenant

from . import resend, services

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
    route = resend.read_message_tags(payload.get("data") or {})
    schema = route[0] if route and _is_tenant_schema(route[0]) else ""
    return webhook_receive(
        provider=PROVIDER,
        event_id=event_id,
        body=body,
        headers=kept_headers(headers),
        event_type=payload.get("type", ""),
        schema_name=schema,
    )


def _is_tenant_schema(schema: str) -> bool:
    return (
        Tenant.objects.filter(schema_name=schema)
        .exclude(schema_name=get_public_schema_name())
        .exists()
    )


@webhook_handler(PROVIDER)
def apply_resend_event(event: WebhookEvent) -> str:
    """Apply one stored event in its tenant's schema; events about other mail are ignored."""
    if not event.schema_name:
        return "ignored"  # not a campaign email of ours (no tags), or its tenant is gone
    with schema_context(event.schema_name):
        return services.esp_event_apply(
            payload=event_json(event), event_id=f"resend:{event.event_id}"
        )
