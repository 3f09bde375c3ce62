"""Recovery paths: the sweeper re-queues claims a dead worker left behind (same Idempotency-Key,
so Resend replays instead of sending again), and the dev outbox sends exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.campaigns import services
from apps.campaigns.models import Campaign, Message
from apps.campaigns.services.lifecycle import _snapshot
from apps.campaigns.services.sending import _idempotency_key
from apps.campaigns.tasks import sweep_campaigns
from apps.core.models import OutboxMessage
from tests.campaigns.factories import create_leads
from tests.helpers import wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def sending(campaign) -> list[int]:
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign.refresh_from_db()
    _snapshot(campaign)
    campaign.save()
    ids: list[int] = []
    while True:
        state, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=1000)
        ids += [i for batch in batches for i in batch]
        if state != "more":
            return ids


def test_sweeper_resends_stale_claims_with_their_key(shop, campaign, stub_resend, worker, settings):
    create_leads(3)
    ids = sending(campaign)
    # A worker claimed the batch, Resend accepted it, then the worker died before recording
    # the answer; its task message was lost too (the broker's visibility timeout passed).
    Message.objects.filter(pk__in=ids).update(
        status="sending", batch_key="dead-task", claimed_at=timezone.now() - timedelta(hours=3)
    )
    stub_resend.by_key[_idempotency_key("dead-task")] = ["e1", "e2", "e3"]

    sweep_campaigns.delay()
    wait_for(lambda: Campaign.objects.get(pk=campaign.pk).status == "sent")
    assert stub_resend.delivered == []  # replayed by key, nothing sent twice
    assert sorted(Message.objects.values_list("esp_message_id", flat=True)) == ["e1", "e2", "e3"]


def test_sweeper_queues_messages_whose_enqueue_was_lost(shop, campaign, stub_resend, worker):
    create_leads(2)
    sending(campaign)
    Message.objects.update(created_at=timezone.now() - timedelta(minutes=30))
    sweep_campaigns.delay()
    wait_for(lambda: Campaign.objects.get(pk=campaign.pk).status == "sent")
    assert sorted(stub_resend.delivered_to()) == ["lead0@example.com", "lead1@example.com"]


def test_dev_outbox_sends_each_message_once(shop, campaign, settings):
    settings.EMAIL_BACKEND = "apps.core.mail.OutboxEmailBackend"
    settings.CAMPAIGN_TRANSPORT = "auto"
    create_leads(2)
    ids = sending(campaign)
    assert (
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=ids, batch_key="a")
        == "sent"
    )
    assert (
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=ids, batch_key="b")
        == "skipped"
    )
    connection.set_schema_to_public()
    rows = list(OutboxMessage.objects.filter(schema_name="t_acme").order_by("id"))
    assert [r.to for r in rows] == [["lead0@example.com"], ["lead1@example.com"]]
    assert rows[0].headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert rows[0].subject == "Hello Name0"
