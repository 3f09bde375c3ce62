"""Plumbing tasks with no business meaning of their own."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)

# Options of every task that must survive a worker dying mid-run: acknowledged only once done,
# redelivered if the worker is lost. Such a task must be safe to run twice.
RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(bind=True, max_retries=8, **RELIABLE)
def process_webhook_event(self, event_pk: int) -> str:
    # In the function: webhooks imports this module to queue the task (import cycle).
    from . import webhooks

    try:
        return webhooks.webhook_process(event_pk=event_pk)
    except webhooks.WebhookProcessingFailed as exc:
        # Exponential backoff: 10 s, 20 s, 40 s … capped at an hour.
        raise self.retry(exc=exc, countdown=min(3600, 10 * 2**self.request.retries)) from exc
