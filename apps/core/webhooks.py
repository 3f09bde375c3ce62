"""The webhook inbox: receive once, acknowledge at once, process in Celery, replay on demand.

Each provider app verifies the signature on the raw body in its view, then calls
`webhook_receive`. It registers the function that applies an event with
`@webhook_handler("github")`; the function gets the stored `WebhookEvent` and returns
`"processed"` or `"ignored"` (raise to fail; the task retries with backoff).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import tasks
from .models import WebhookEvent

logger = logging.getLogger(__name__)

Handler = Callable[[WebhookEvent], str]
_HANDLERS: dict[str, Handler] = {}

# Headers worth keeping for debugging and replay; never authorisation material.
_KEPT_HEADER_PREFIXES = (
    "x-github-",
    "stripe-",
    "svix-",
    "webhook-",
    "user-agent",
    "content-type",
    "x-hub-signature",
)


def webhook_handler(provider: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        _HANDLERS[provider] = function
        return function

    return register


def signature_matches(
    *, secrets: Iterable[str], body: bytes, signature_hex: str, digest=hashlib.sha256
) -> bool:
    """Constant-time HMAC check against every currently valid secret (rotation).

    A signature that is not ASCII cannot be a hex digest (and `compare_digest` refuses
    non-ASCII text with a TypeError), so it simply does not match.
    """
    if not signature_hex.isascii():
        return False
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode(), body, digest).hexdigest()
        if hmac.compare_digest(expected, signature_hex):
            return True
    return False


def kept_headers(headers) -> dict[str, str]:
    return {
        key: value
        for key, value in headers.items()
        if key.lower().startswith(_KEPT_HEADER_PREFIXES)
    }


def webhook_receive(
    *,
    provider: str,
    event_id: str,
    body: bytes,
    headers: dict[str, str],
    event_type: str = "",
    schema_name: str = "",
) -> tuple[WebhookEvent, bool]:
    """Store a verified event once; returns (event, created). A redelivery changes nothing."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider,
                event_id=event_id,
                event_type=event_type,
                schema_name=schema_name,
                headers=headers,
                body=body,
            )
    except IntegrityError:
        return WebhookEvent.objects.get(provider=provider, event_id=event_id), False
    transaction.on_commit(lambda: tasks.process_webhook_event.delay(event.pk))
    return event, True


class WebhookProcessingFailed(Exception):
    pass


def webhook_process(*, event_pk: int) -> str:
    """Apply one stored event with its provider's handler. Idempotent by status.

    The handler runs in a savepoint: its writes and the event's status commit together, and a
    failure is recorded (status, attempts, error) before the caller is told to retry.
    """
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
        if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
            return event.status
        event.attempts += 1
        handler = _HANDLERS.get(event.provider)
        try:
            if handler is None:
                raise LookupError(f"No webhook handler registered for {event.provider!r}")
            with transaction.atomic():
                outcome = handler(event)
        except Exception as exc:
            event.status = WebhookEvent.Status.FAILED
            event.last_error = f"{type(exc).__name__}: {exc}"[:4000]
            event.save(update_fields=["status", "attempts", "last_error"])
            logger.warning(
                "webhook event failed",
                extra={"provider": event.provider, "event_id": event.event_id},
            )
            failure = exc
        else:
            event.status = (
                WebhookEvent.Status.IGNORED
                if outcome == "ignored"
                else WebhookEvent.Status.PROCESSED
            )
            event.last_error = ""
            event.processed_at = timezone.now()
            event.save(update_fields=["status", "attempts", "last_error", "processed_at"])
            return event.status
    raise WebhookProcessingFailed(event.last_error) from failure


def webhook_replay(*, event: WebhookEvent) -> None:
    """Queue a stored event again (admin action): failed ones are retried from their raw body."""
    WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEvent.Status.RECEIVED)
    transaction.on_commit(lambda: tasks.process_webhook_event.delay(event.pk))


def event_json(event: WebhookEvent) -> dict:
    return json.loads(bytes(event.body))
