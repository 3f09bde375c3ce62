"""kill -9 of a worker process mid-campaign: nothing lost, nothing sent twice.

A real `celery worker` (prefork, 2 children) runs as a separate process against the test
database and the real Redis broker; the stub Resend holds each accepted batch's answer for a
moment, so the child killed with SIGKILL dies after Resend took its batch but before it recorded
the answer. acks_late + reject_on_worker_lost put the task back; the new child claims the same
messages under the same key, and Resend (the stub, like the real API) replays the first answer.
"""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from apps.campaigns import services
from apps.campaigns.models import Campaign, Message
from tests.campaigns.factories import create_leads
from tests.campaigns.support import (
    child_holding_an_answer,
    stop_worker,
    wait_for_children,
    worker_process,
)

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_sigkill_mid_campaign_loses_and_duplicates_nothing(shop, campaign, stub_resend):
    from apps.billing.services import billing_plan_set
    from strato.celery import app

    app.control.purge()
    billing_plan_set(tenant=shop, plan_code="pro")  # the free plan's 500 a month would wait
    create_leads(1500)
    stub_resend.record_bodies = False
    stub_resend.delay_after_accept = 0.3
    worker = worker_process(stub_resend.url)
    master = psutil.Process(worker.pid)
    killed = []
    try:
        wait_for_children(master)
        services.campaign_send_now(campaign=campaign, tenant=shop)
        deadline = time.monotonic() + 120
        while Campaign.objects.get(pk=campaign.pk).status != "sent":
            if time.monotonic() > deadline:
                from django.db.models import Count

                from apps.campaigns.models import Message as M

                states = dict(M.objects.values_list("status").annotate(n=Count("id")))
                keys = list(M.objects.values_list("batch_key", flat=True).distinct())
                c = Campaign.objects.get(pk=campaign.pk)
                raise AssertionError(
                    f"{len(stub_resend.delivered)} delivered {states} "
                    f"{c.status} {c.expansion_done} {c.status_reason} "
                    f"keys={len(keys)} calls={stub_resend.calls[-3:]}"
                )
            if not killed and len(stub_resend.delivered) >= 300:
                # Kill the child whose batch Resend has just accepted (answer still held).
                victim = child_holding_an_answer(master, stub_resend)
                if victim is not None:
                    os.kill(victim.pid, signal.SIGKILL)
                    killed.append(victim.pid)
            time.sleep(0.05)
    finally:
        stop_worker(worker)
    recipients = stub_resend.delivered_to()
    assert killed
    # The killed child's batch had been accepted: its redelivery was answered by key.
    assert sum(1 for call in stub_resend.calls if call.get("replay")) == 1
    assert len(recipients) == 1500
    assert len(set(recipients)) == 1500
    assert Message.objects.filter(status="sent").count() == 1500
    assert Message.objects.exclude(esp_message_id="").count() == 1500
