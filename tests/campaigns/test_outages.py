"""A database restart in the middle of a campaign: the send resumes by itself within a minute of
the database coming back, and every lead gets exactly one email.

A real `celery worker` (prefork) sends to the stub Resend while the test restarts the test
PostgreSQL server as `pg_ctl restart -m immediate` does, kept down for 3 seconds (every connection killed, no clean
shutdown). Tasks that fail on the lost connection retry with backoff (apps/core/task_base.py);
a batch Resend accepted but whose answer was not recorded is re-claimed under the same key, and
the stub (like Resend) replays the first answer instead of sending again.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from django.db import InterfaceError, OperationalError, connection

from apps.campaigns import services
from apps.campaigns.models import Campaign, Message
from tests.campaigns.factories import create_leads
from tests.campaigns.support import stop_worker, wait_for_children, worker_process

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LEADS = 400


def pg_ctl() -> str:
    from pgserver._commands import pg_ctl as command

    return str(Path(command.__code__.co_filename).parent / "pginstall" / "bin" / "pg_ctl")


def restart_postgres_immediately(*, down_seconds: float) -> None:
    """`pg_ctl restart -m immediate` of the test server (every backend killed, no clean
    shutdown), kept down for `down_seconds` so that work in flight really meets the outage;
    returns once it accepts connections again."""
    import pgserver

    pgdata = ROOT / ".data" / "test" / "pg"
    subprocess.run(
        [pg_ctl(), "-D", str(pgdata), "-m", "immediate", "-w", "stop"],
        check=True,
        capture_output=True,
        user="pgserver" if os.geteuid() == 0 else None,
    )
    time.sleep(down_seconds)
    pgserver.get_server(pgdata, cleanup_mode=None)  # started as scripts/services.py does


def test_database_restart_mid_send_resumes_within_a_minute_without_duplicates(
    shop, campaign, stub_resend
):
    from apps.billing.services import billing_plan_set
    from strato.celery import app

    app.control.purge()
    billing_plan_set(tenant=shop, plan_code="pro")
    create_leads(LEADS)
    stub_resend.record_bodies = False
    stub_resend.delay_after_accept = 0.2  # the restart lands while batches are in flight
    worker = worker_process(stub_resend.url, env={"CAMPAIGN_BATCH_SIZE": "20"})
    master = psutil.Process(worker.pid)
    try:
        wait_for_children(master)
        services.campaign_send_now(campaign=campaign, tenant=shop)
        deadline = time.monotonic() + 60
        while len(stub_resend.delivered) < 60:
            assert time.monotonic() < deadline, "the send did not start"
            time.sleep(0.05)
        connection.close()
        restart_postgres_immediately(down_seconds=3)
        back = time.monotonic()
        delivered_at_restart = len(stub_resend.delivered)
        assert delivered_at_restart < LEADS, "the campaign finished before the restart"

        while True:
            connection.close()  # the test's own connection died with the server
            try:
                if Campaign.objects.get(pk=campaign.pk).status == "sent":
                    break
            except (OperationalError, InterfaceError):
                pass  # still reconnecting
            assert time.monotonic() - back < 60, (
                f"not finished a minute after the restart: {len(stub_resend.delivered)} sent"
            )
            time.sleep(0.2)
    finally:
        stop_worker(worker)
    recipients = stub_resend.delivered_to()
    assert len(recipients) == LEADS
    assert len(set(recipients)) == LEADS
    assert Message.objects.filter(status="sent").count() == LEADS
