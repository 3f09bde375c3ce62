"""A send batch whose worker dies on every delivery is parked as a dead letter, not redelivered
forever; staff requeue it from the admin and every lead gets exactly one email.

A real `celery worker` (prefork) runs against the test database with TASK_MAX_DELIVERIES=2; the
test SIGKILLs the child running the batch each time the stub Resend holds its answer (as an
out-of-memory kill would), so every delivery dies after Resend took the batch.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import timedelta

import psutil
import pytest
from django.db import connection

from apps.campaigns import services, tasks
from apps.campaigns.models import Campaign, Message
from apps.monitoring.models import DeadLetter
from tests.campaigns.factories import create_leads
from tests.campaigns.support import (
    child_holding_an_answer,
    stop_worker,
    wait_for_children,
    worker_process,
)
from tests.helpers import staff_signed_in, wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_batch_killing_its_worker_is_parked_then_requeued_once(
    shop, campaign, stub_resend, staff, settings
):
    from apps.billing.services import billing_plan_set
    from strato.celery import app

    app.control.purge()
    DeadLetter.objects.all().delete()
    billing_plan_set(tenant=shop, plan_code="pro")
    create_leads(60)  # one batch
    stub_resend.record_bodies = False
    stub_resend.delay_after_accept = 0.5
    worker = worker_process(stub_resend.url, env={"TASK_MAX_DELIVERIES": "2"})
    master = psutil.Process(worker.pid)
    killed: list[int] = []
    try:
        wait_for_children(master)
        services.campaign_send_now(campaign=campaign, tenant=shop)
        deadline = time.monotonic() + 120
        while not DeadLetter.objects.exists():
            assert time.monotonic() < deadline, f"not parked; killed {len(killed)}"
            victim = child_holding_an_answer(master, stub_resend)
            if victim is not None and victim.pid not in killed:
                os.kill(victim.pid, signal.SIGKILL)
                killed.append(victim.pid)
            time.sleep(0.02)

        # Two deliveries died; the third was parked without running (nothing more at Resend).
        assert len(killed) == 2
        dead = DeadLetter.objects.get()
        assert dead.task_name == "apps.campaigns.tasks.send_batch"
        assert dead.schema_name == shop.schema_name
        assert dead.deliveries == 3
        assert "worker running it was lost" in dead.reason
        ids = sorted(Message.objects.values_list("id", flat=True))
        assert dead.kwargs["campaign_pk"] == campaign.pk
        assert sorted(dead.kwargs["message_ids"]) == ids
        batch_key = dead.kwargs["batch_key"]
        assert batch_key == dead.task_id
        assert len([c for c in stub_resend.calls if c["key"]]) == 2  # first + one replay

        # The messages are held for the requeue, visible with the reason, the campaign unfinished.
        held = Message.objects.all()
        assert {(m.status, m.batch_key, m.claimed_at) for m in held} == {
            ("sending", batch_key, None)
        }
        assert all(m.error.startswith("Parked: Delivered 3 times") for m in held)
        assert Campaign.objects.get(pk=campaign.pk).status == "sending"
        # The sweeper leaves parked messages alone, however old the claim limit says they are.
        settings.CAMPAIGN_STALE_CLAIM_SECONDS = 0
        Message.objects.update(created_at=campaign.created_at - timedelta(hours=1))
        assert tasks.sweep_campaigns() == 0

        # Staff requeue it: the batch goes out under the same key, so Resend sends nothing twice.
        admin = staff_signed_in("localhost")
        response = admin.post(
            "/admin/monitoring/deadletter/",
            {"action": "requeue", "_selected_action": [dead.pk]},
        )
        assert response.status_code == 302
        connection.set_tenant(shop)  # the admin request left the connection on public
        wait_for(lambda: Campaign.objects.get(pk=campaign.pk).status == "sent", seconds=60)
    finally:
        stop_worker(worker)
    dead.refresh_from_db()
    assert dead.requeued_at is not None
    recipients = stub_resend.delivered_to()
    assert len(recipients) == 60
    assert len(set(recipients)) == 60
    assert Message.objects.filter(status="sent", error="").exclude(esp_message_id="").count() == 60


def test_a_task_still_failing_on_a_transient_error_is_parked_after_its_retries(
    shop, campaign, stub_resend
):
    """The worker's cache Redis (where deliveries are counted) is unreachable, its broker is
    not: every run fails on a connection error, is retried with backoff, and after
    TASK_TRANSIENT_MAX_RETRIES is parked instead of dropped or retried forever."""
    from strato.celery import app

    app.control.purge()
    DeadLetter.objects.all().delete()
    create_leads(5)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    worker = worker_process(
        stub_resend.url,
        env={
            "CELERY_BROKER_URL": os.environ["REDIS_URL"],
            "REDIS_URL": f"redis://127.0.0.1:{closed}/0",
            "TASK_TRANSIENT_MAX_RETRIES": "2",
        },
    )
    try:
        wait_for_children(psutil.Process(worker.pid))
        services.campaign_send_now(campaign=campaign, tenant=shop)
        wait_for(DeadLetter.objects.exists, seconds=60)
    finally:
        stop_worker(worker)
    dead = DeadLetter.objects.get()
    assert dead.task_name == "apps.campaigns.tasks.expand_campaign"
    assert dead.args == [campaign.pk]
    assert dead.schema_name == shop.schema_name
    assert dead.deliveries == 3
    assert dead.reason.startswith("Still failing after 2 retries on a transient error:")
    assert "Connection" in dead.reason
    assert Message.objects.count() == 0  # never ran: the campaign waits for the requeue
    assert Campaign.objects.get(pk=campaign.pk).status == "sending"
