"""Celery tasks for campaigns: thin wrappers around services.

Every task that touches tenant data runs in the schema it was queued from (tenant-schemas-celery)
and is safe to run twice: `acks_late` + `reject_on_worker_lost` mean a worker killed mid-task gets
its task redelivered, and the services are idempotent under that.
"""

from __future__ import annotations

import inspect
import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from apps.core.task_base import StratoTask
from apps.core.tasks import RELIABLE

from . import selectors, services, tracking

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, **RELIABLE)
def expand_campaign(self, campaign_pk: int, requeue: bool = False) -> int:
    """Create messages in keyset chunks and queue one send task per batch of ≤100."""
    queued = 0
    if requeue:
        for ids in selectors.queued_batches(campaign_pk=campaign_pk):
            send_batch.delay(campaign_pk, ids)
            queued += 1
    while True:
        state, batches = services.campaign_expand_step(
            campaign_pk=campaign_pk, chunk=settings.CAMPAIGN_EXPAND_CHUNK
        )
        for ids in batches:
            send_batch.delay(campaign_pk, ids)
            queued += 1
        if state != "more":
            break
    if state == "done" and not queued:
        services.campaign_finish_if_done(campaign_pk=campaign_pk)
    return queued


class SendBatchTask(StratoTask):
    def on_parked(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], reason: str
    ) -> tuple[list[Any], dict[str, Any]]:
        """Hold the batch's messages for the requeue, which must reuse this batch's key."""
        call = inspect.signature(self.run).bind(*args, **kwargs).arguments
        key = call.get("batch_key") or self.request.id
        services.messages_park_batch(
            campaign_pk=call["campaign_pk"],
            message_ids=call["message_ids"],
            batch_key=key,
            reason=reason,
        )
        return [], {
            "campaign_pk": call["campaign_pk"],
            "message_ids": call["message_ids"],
            "batch_key": key,
        }


@shared_task(bind=True, base=SendBatchTask, max_retries=None, **RELIABLE)
def send_batch(self, campaign_pk: int, message_ids: list[int], batch_key: str = "") -> str:
    # The key is the first delivery's task id: a redelivery (same id) or a retry (passed on)
    # reuses it, so the ESP sees the same Idempotency-Key and the claim is recognised as ours.
    key = batch_key or self.request.id
    try:
        outcome = services.messages_send_batch(
            campaign_pk=campaign_pk, message_ids=message_ids, batch_key=key
        )
    except services.AllowanceExhausted as exc:
        raise self.retry(
            kwargs={"campaign_pk": campaign_pk, "message_ids": message_ids, "batch_key": key},
            countdown=settings.CAMPAIGN_ALLOWANCE_RETRY_SECONDS,
            exc=exc,
        ) from exc
    except services.SendPostponed as exc:
        countdown = min(3600, 5 * 2 ** min(self.request.retries, 10))
        logger.warning("batch postponed %ss: %s", countdown, exc)
        raise self.retry(
            kwargs={"campaign_pk": campaign_pk, "message_ids": message_ids, "batch_key": key},
            countdown=countdown,
            exc=exc,
        ) from exc
    services.campaign_finish_if_done(campaign_pk=campaign_pk)
    return outcome


@shared_task(**RELIABLE)
def start_due_campaigns() -> int:
    """Beat, per tenant (through for_each_ready_tenant): start campaigns whose time has come."""
    return services.campaigns_start_due()


@shared_task(**RELIABLE)
def sweep_campaigns() -> int:
    """Beat, per tenant: re-queue work whose queueing was lost, finish campaigns, purge deletes.

    Queued messages nobody picked up for a while (the enqueue after a commit was lost with its
    process) and claims older than the broker's visibility timeout are queued again; stale
    claims keep their batch key, so the ESP deduplicates them.
    """
    requeued = 0
    for campaign in selectors.campaigns_sending():
        if not campaign.expansion_done:
            expand_campaign.delay(campaign.pk)
            continue
        for ids in selectors.pending_batches(campaign=campaign, older_than=timedelta(minutes=10)):
            send_batch.delay(campaign.pk, ids)
            requeued += 1
        stale_after = timedelta(seconds=settings.CAMPAIGN_STALE_CLAIM_SECONDS)
        claims = selectors.stale_claims(campaign=campaign, older_than=stale_after)
        for batch_key, claimed in claims.items():
            send_batch.delay(campaign.pk, claimed, batch_key=batch_key)
            requeued += 1
        services.campaign_finish_if_done(campaign_pk=campaign.pk)
    services.campaigns_purge_deleted()
    services.tenant_sending_health_check()
    return requeued


@shared_task(ignore_result=True)
def flush_tracking_events(limit: int = 5000) -> int:
    """Beat (public schema): move buffered opens/clicks from Redis into each tenant's table.

    Stops after a batch with failures: their events went back to the end of the buffer and are
    tried again on the next run (parked after a few tries), not in a tight loop."""
    total = 0
    while True:
        events = tracking.take_buffered(limit)
        if not events:
            return total
        recorded, failed = services.tracking_events_flush(events=events)
        total += recorded
        if failed or len(events) < limit:
            return total


@shared_task(bind=True, max_retries=3, **RELIABLE)
def import_leads(self, import_pk: int) -> str:
    return services.lead_import_run(import_pk=import_pk)


@shared_task(**RELIABLE)
def refresh_sending_domains() -> int:
    """Beat, per tenant: follow Resend's verification of the tenant's sending domains."""
    return services.sending_domains_refresh_due()


@shared_task
def purge_import_files() -> int:
    """Beat, per tenant: delete import uploads and error reports past their retention."""
    return services.lead_import_files_purge()
