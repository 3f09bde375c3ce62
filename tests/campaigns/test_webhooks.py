"""Resend's tracking webhook: svix signature on the raw body, stored once, applied in schema."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.campaigns.models import Event, Message, Suppression
from apps.core import webhooks
from apps.core.models import WebhookEvent
from tests.campaigns.factories import MessageFactory
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db

SECRET_BYTES = b"strato-resend-webhook-test-secret"
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()


def signed(
    body: bytes, msg_id: str, *, secret: bytes = SECRET_BYTES, timestamp: int | None = None
) -> dict:
    timestamp = timestamp or int(time.time())
    signature = base64.b64encode(
        hmac.new(secret, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    return {
        "HTTP_SVIX_ID": msg_id,
        "HTTP_SVIX_TIMESTAMP": str(timestamp),
        "HTTP_SVIX_SIGNATURE": f"v1,{signature}",
    }


@pytest.fixture
def message(shop, campaign, settings) -> Message:
    settings.RESEND_WEBHOOK_SECRET = SECRET
    return MessageFactory(campaign=campaign, esp_message_id="4ef9a417-02e9-4d39")


def payload(kind: str, message: Message, **data) -> bytes:
    """Resend's event shape; `tags` are the ones the send attached (resend.message_tags)."""
    return json.dumps(
        {
            "type": kind,
            "created_at": "2026-05-01T10:00:00.000Z",
            "data": {
                "email_id": "4ef9a417-02e9-4d39",
                "from": "news@acme.example",
                "to": ["lead0@example.com"],
                "subject": "Hello",
                "tags": {"strato_tenant": "t_acme", "strato_message": str(message.pk)},
                **data,
            },
        }
    ).encode()


def post(body: bytes, headers: dict):
    connection.set_schema_to_public()
    return APIClient(HTTP_HOST="localhost").post(
        "/api/webhooks/resend", body, content_type="application/json", **headers
    )


def process(event_id: str, shop) -> str:
    connection.set_schema_to_public()
    event = WebhookEvent.objects.get(provider="resend", event_id=event_id)
    outcome = webhooks.webhook_process(event_pk=event.pk)
    connection.set_tenant(shop)
    return outcome


def test_hard_bounce_is_stored_once_applied_and_suppresses(shop, message):
    body = payload(
        "email.bounced",
        message,
        bounce={"type": "Permanent", "subType": "General", "message": "Mailbox does not exist"},
    )
    first = post(body, signed(body, "msg_bounce_1"))
    again = post(body, signed(body, "msg_bounce_1"))
    assert (first.status_code, first.json()) == (202, {"status": "accepted"})
    assert (again.status_code, again.json()) == (202, {"status": "duplicate"})
    assert WebhookEvent.objects.get(event_id="msg_bounce_1").schema_name == "t_acme"

    assert process("msg_bounce_1", shop) == "processed"
    message.refresh_from_db()
    assert message.bounced_at.isoformat() == "2026-05-01T10:00:00+00:00"
    assert list(Suppression.objects.values_list("email", "reason")) == [
        ("lead0@example.com", "hard_bounce")
    ]
    assert list(Event.objects.values_list("kind", "source")) == [("bounced", "esp")]


def test_complaint_suppresses_and_delivery_updates(shop, message):
    for event_id, kind in (("m1", "email.delivered"), ("m2", "email.complained")):
        body = payload(kind, message)
        assert post(body, signed(body, event_id)).status_code == 202
        assert process(event_id, shop) == "processed"
    message.refresh_from_db()
    assert message.delivered_at is not None
    assert message.complained_at is not None
    assert Suppression.objects.get().reason == "complaint"


def test_soft_bounce_does_not_suppress(shop, message):
    body = payload(
        "email.bounced", message, bounce={"type": "Transient", "message": "Mailbox full"}
    )
    post(body, signed(body, "soft"))
    process("soft", shop)
    assert not Suppression.objects.exists()


def test_bad_or_stale_signatures_are_refused(shop, message):
    body = payload("email.delivered", message)
    assert_problem(
        post(body, signed(body, "x", secret=b"another-secret")), 401, "webhook_signature_invalid"
    )
    assert_problem(
        post(body, signed(body, "y", timestamp=int(time.time()) - 3600)),
        401,
        "webhook_signature_invalid",
    )
    assert_problem(post(body + b" ", signed(body, "z")), 401, "webhook_signature_invalid")
    assert not WebhookEvent.objects.filter(provider="resend").exists()


def test_events_not_about_our_campaign_emails_are_stored_and_ignored(shop, message):
    untagged = json.dumps(
        {
            "type": "email.delivered",
            "created_at": "2026-05-01T10:00:00Z",
            "data": {"email_id": "not-ours"},
        }
    ).encode()
    unknown_tenant = payload(
        "email.delivered", message, tags={"strato_tenant": "t_gone", "strato_message": "1"}
    )
    public = payload(
        "email.delivered", message, tags={"strato_tenant": "public", "strato_message": "1"}
    )
    other_email = payload("email.delivered", message, email_id="another-resend-id")
    for event_id, body in (
        ("untagged", untagged),
        ("gone", unknown_tenant),
        ("public", public),
        ("other", other_email),
    ):
        assert post(body, signed(body, event_id)).status_code == 202
    connection.set_schema_to_public()
    assert dict(
        WebhookEvent.objects.filter(provider="resend").values_list("event_id", "schema_name")
    ) == {"untagged": "", "gone": "", "public": "", "other": "t_acme"}
    connection.set_tenant(shop)

    for event_id in ("untagged", "gone", "public", "other"):
        assert process(event_id, shop) == "ignored"
    message.refresh_from_db()
    assert message.delivered_at is None
    assert not Event.objects.exists()
