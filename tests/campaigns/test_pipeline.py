"""The sending pipeline end to end: a real Celery worker on the real Redis broker, PostgreSQL,
and a stub Resend HTTP server that answers 429 and 5xx and honours Idempotency-Key."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from apps.campaigns import resend, services
from apps.campaigns.models import Campaign, Message
from apps.campaigns.services.lifecycle import _snapshot
from apps.campaigns.tasks import send_batch
from tests.campaigns.factories import create_leads
from tests.helpers import wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def status_of(campaign) -> str:
    return Campaign.objects.get(pk=campaign.pk).status


def test_campaign_goes_out_in_batches_of_100_once_each_through_429_and_5xx(
    shop, campaign, stub_resend, worker
):
    create_leads(250)
    services.suppression_add(email="lead7@example.com", reason="complaint")
    stub_resend.fail_next((429, {"Retry-After": "1"}), (500, {}), (503, {}))

    services.campaign_send_now(campaign=campaign, tenant=shop)
    wait_for(lambda: status_of(campaign) == "sent", seconds=60)

    delivered = stub_resend.delivered_to()
    assert len(delivered) == 249
    assert len(set(delivered)) == 249
    assert "lead7@example.com" not in delivered
    ok_calls = [c for c in stub_resend.calls if c["status"] == 200]
    assert sorted(c["size"] for c in ok_calls) == [49, 100, 100]
    assert [c["status"] for c in stub_resend.calls[:3]] == [429, 500, 503]
    assert Message.objects.filter(status="sent").count() == 249
    assert Message.objects.exclude(esp_message_id="").count() == 249

    email = next(e for e in stub_resend.delivered if e["to"] == ["lead1@example.com"])
    message = Message.objects.get(email="lead1@example.com")
    # The tags come back in Resend's webhooks: they name the tenant and the message.
    assert email["tags"] == [
        {"name": "strato_tenant", "value": "t_acme"},
        {"name": "strato_message", "value": str(message.pk)},
    ]
    assert email["subject"] == "Hello Name1"
    assert email["from"] == "Acme <news@acme.example>"
    assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["headers"]["List-Unsubscribe"].startswith("<http://localhost/u/")
    assert "http://localhost/t/c/" in email["html"]  # links rewritten for click tracking
    assert "http://localhost/t/o/" in email["html"]  # open pixel
    assert "1 Analytical Way" in email["html"]
    assert "1 Analytical Way" in email["text"]
    assert "https://acme.example/offer" not in email["html"]


def test_a_redelivered_batch_is_not_sent_twice(shop, campaign, stub_resend):
    create_leads(3)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign.refresh_from_db()
    _snapshot(campaign)
    campaign.save()
    _, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=10)
    ids = batches[0]
    # First delivery claims the batch, then "dies" before recording the answer: simulate by
    # sending and resetting the claim to what a crash would leave (status sending, same key).
    assert (
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=ids, batch_key="task-1")
        == "sent"
    )
    Message.objects.filter(pk__in=ids).update(status="sending", esp_message_id="")
    # The redelivered task (same key) resends with the same Idempotency-Key: Resend replays.
    assert (
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=ids, batch_key="task-1")
        == "sent"
    )
    # A duplicate task with another key finds nothing of its own to send.
    assert (
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=ids, batch_key="task-2")
        == "skipped"
    )
    assert len(stub_resend.delivered) == 3
    assert [c.get("replay", False) for c in stub_resend.calls] == [False, True]
    assert Message.objects.filter(status="sent").exclude(esp_message_id="").count() == 3


def test_outage_longer_than_the_wait_postpones_without_losing(
    shop, campaign, stub_resend, settings
):
    settings.RESEND_MAX_WAIT_SECONDS = 1.5
    create_leads(2)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign.refresh_from_db()
    _snapshot(campaign)
    campaign.save()
    _, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=10)
    stub_resend.fail_next(*[(500, {})] * 20)
    with pytest.raises(services.SendPostponed, match="Resend unavailable after"):
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=batches[0], batch_key="k")
    assert Message.objects.filter(status="sending", batch_key="k").count() == 2
    stub_resend.script.clear()
    assert (
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=batches[0], batch_key="k")
        == "sent"
    )
    assert sorted(stub_resend.delivered_to()) == ["lead0@example.com", "lead1@example.com"]


def test_a_batch_resend_refuses_fails_its_messages_visibly(shop, campaign, stub_resend):
    create_leads(1)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign.refresh_from_db()
    _snapshot(campaign)
    campaign.save()
    _, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=10)
    stub_resend.fail_next((422, {}))
    assert (
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=batches[0], batch_key="k")
        == "failed"
    )
    message = Message.objects.get()
    assert message.status == "failed"
    assert message.error.startswith("Resend refused the batch: 422")


def test_paused_campaign_keeps_its_messages_queued_and_resume_sends_them(
    shop, campaign, stub_resend, worker
):
    create_leads(120)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign.refresh_from_db()
    _snapshot(campaign)
    campaign.save()
    _, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=1000)
    services.campaign_expand_step(campaign_pk=campaign.pk, chunk=1000)
    services.campaign_pause(campaign=campaign)
    for ids in batches:
        send_batch.delay(campaign.pk, ids)
    time.sleep(1.0)  # the worker has had time to see (and leave) the batches
    assert stub_resend.delivered == []
    assert Message.objects.filter(status="queued").count() == 120
    services.campaign_resume(campaign=campaign, tenant=shop)
    wait_for(lambda: status_of(campaign) == "sent", seconds=60)
    assert sorted(stub_resend.delivered_to()) == sorted(f"lead{i}@example.com" for i in range(120))


def test_beat_starts_scheduled_campaigns_when_due(shop, campaign, stub_resend, worker):
    from datetime import timedelta

    from django.utils import timezone

    from apps.tenants.tasks import for_each_ready_tenant

    create_leads(2)
    services.campaign_schedule(
        campaign=campaign, tenant=shop, send_at=timezone.now() + timedelta(hours=1)
    )
    Campaign.objects.filter(pk=campaign.pk).update(send_at=timezone.now() - timedelta(seconds=1))
    connection.set_schema_to_public()
    for_each_ready_tenant.delay("apps.campaigns.tasks.start_due_campaigns")
    connection.set_tenant(shop)
    wait_for(lambda: status_of(campaign) == "sent", seconds=60)
    assert sorted(stub_resend.delivered_to()) == ["lead0@example.com", "lead1@example.com"]


def test_token_bucket_is_shared_and_limits_the_rate(shop):
    from apps.campaigns.ratelimit import TokenBucket

    bucket = TokenBucket(key="test:bucket", rate_per_second=20, capacity=1)
    started = time.monotonic()
    for _ in range(11):
        bucket.acquire()
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 1.5  # 10 refills at 20/s after the first token


def test_resend_client_rejects_oversized_batches():
    with pytest.raises(ValueError, match="at most 100"):
        resend.send_batch(
            [resend.BatchEmail("a@x", f"b{i}@x", "s", "", "t", {}) for i in range(101)],
            idempotency_key="k",
        )
