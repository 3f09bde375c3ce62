import hashlib
import hmac

import pytest

from apps.core import webhooks
from apps.core.models import WebhookEvent

pytestmark = pytest.mark.django_db

applied: list[str] = []


@webhooks.webhook_handler("test-provider")
def apply_test_event(event: WebhookEvent) -> str:
    payload = webhooks.event_json(event)
    if payload.get("explode"):
        raise RuntimeError("downstream unavailable")
    applied.append(payload["id"])
    return "ignored" if payload.get("irrelevant") else "processed"


def receive(event_id: str, body: bytes) -> tuple[WebhookEvent, bool]:
    return webhooks.webhook_receive(
        provider="test-provider",
        event_id=event_id,
        body=body,
        headers={"content-type": "application/json"},
        event_type="thing.happened",
    )


def test_an_event_is_stored_once_with_its_raw_body():
    first, created = receive("evt_1", b'{"id": "evt_1"}')
    again, created_again = receive("evt_1", b'{"id": "evt_1", "redelivered": true}')
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert bytes(WebhookEvent.objects.get(pk=first.pk).body) == b'{"id": "evt_1"}'
    assert WebhookEvent.objects.filter(provider="test-provider").count() == 1


def test_processing_applies_once_and_is_idempotent():
    applied.clear()
    event, _ = receive("evt_2", b'{"id": "evt_2"}')
    assert webhooks.webhook_process(event_pk=event.pk) == "processed"
    assert webhooks.webhook_process(event_pk=event.pk) == "processed"
    assert applied == ["evt_2"]
    event.refresh_from_db()
    assert (event.status, event.attempts, event.processed_at is not None) == ("processed", 1, True)


def test_irrelevant_events_are_marked_ignored():
    event, _ = receive("evt_3", b'{"id": "evt_3", "irrelevant": true}')
    assert webhooks.webhook_process(event_pk=event.pk) == "ignored"


def test_a_failure_is_recorded_and_the_event_can_be_replayed():
    event, _ = receive("evt_4", b'{"id": "evt_4", "explode": true}')
    with pytest.raises(webhooks.WebhookProcessingFailed, match="downstream unavailable"):
        webhooks.webhook_process(event_pk=event.pk)
    event.refresh_from_db()
    assert event.status == "failed"
    assert event.attempts == 1
    assert "RuntimeError: downstream unavailable" in event.last_error

    WebhookEvent.objects.filter(pk=event.pk).update(body=b'{"id": "evt_4"}')
    webhooks.webhook_replay(event=event)
    assert webhooks.webhook_process(event_pk=event.pk) == "processed"
    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == ("processed", 2, "")


def test_an_unknown_provider_fails_visibly():
    event, _ = webhooks.webhook_receive(provider="nobody", event_id="x", body=b"{}", headers={})
    with pytest.raises(webhooks.WebhookProcessingFailed):
        webhooks.webhook_process(event_pk=event.pk)
    event.refresh_from_db()
    assert "No webhook handler registered for 'nobody'" in event.last_error


def test_signature_matches_current_and_previous_secret_only():
    body = b'{"zen": "Keep it logically awesome."}'
    signature = hmac.new(b"old-secret", body, hashlib.sha256).hexdigest()
    assert webhooks.signature_matches(
        secrets=["new-secret", "old-secret"], body=body, signature_hex=signature
    )
    assert not webhooks.signature_matches(
        secrets=["new-secret"], body=body, signature_hex=signature
    )
    assert not webhooks.signature_matches(
        secrets=["", "old-secret"], body=body + b" ", signature_hex=signature
    )
