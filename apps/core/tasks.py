"""Plumbing tasks with no business meaning of their own."""

from __future__ import annotations

import logging

from celery import current_app, shared_task

logger = logging.getLogger(__name__)

# Options of every task that must survive a worker dying mid-run: acknowledged only once done,
# redelivered if the worker is lost. Such a task must be safe to run twice.
RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(ignore_result=True)
def for_each_ready_tenant(task_name: str, kwargs: dict | None = None) -> int:
    """Queue `task_name` once per ready tenant, each to run in that tenant's schema.

    Beat schedules jobs that concern every tenant through this task (see CELERY_BEAT_SCHEDULE):
    the schema travels in the `_schema_name` header that tenant-schemas-celery's base task reads
    before the task runs. Returns how many tasks were queued.
    """
    from apps.tenants.selectors import ready_tenants

    schemas = list(ready_tenants().order_by("id").values_list("schema_name", flat=True))
    for schema_name in schemas:
        current_app.send_task(task_name, kwargs=kwargs or {}, headers={"_schema_name": schema_name})
    logger.info("queued %s for %d tenants", task_name, len(schemas))
    return len(schemas)


@shared_task(bind=True, max_retries=8, **RELIABLE)
def process_webhook_event(self, event_pk: int) -> str:
    from . import webhooks

    try:
        return webhooks.webhook_process(event_pk=event_pk)
    except webhooks.WebhookProcessingFailed as exc:
        # Exponential backoff: 10 s, 20 s, 40 s … capped at an hour.
        raise self.retry(exc=exc, countdown=min(3600, 10 * 2**self.request.retries)) from exc
