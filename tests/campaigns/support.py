"""Helpers for the campaign tests (and the browser test that sends a campaign)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.campaigns.domain_claims.models import SendingDomainClaim
from apps.campaigns.models import SendingDomain
from apps.tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[2]

CAMPAIGN_TABLES = [
    "campaigns_event",
    "campaigns_message",
    "campaigns_campaign",
    "campaigns_lead_lists",
    "campaigns_leadimport",
    "campaigns_lead",
    "campaigns_leadlist",
    "campaigns_segment",
    "campaigns_emailtemplate",
    "campaigns_suppression",
    "campaigns_sendingdomain",
]


def wipe(tenant: Tenant) -> None:
    """No campaign data left in the tenant's schema, and no usage counted (transactional tests
    commit, so a rollback does not clean up after them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE "
            + ", ".join(f'"{tenant.schema_name}".{t}' for t in CAMPAIGN_TABLES)
            + " CASCADE"
        )
        cursor.execute("DELETE FROM billing_usagecounter")


def verified_sending_domain(tenant: Tenant, name: str = "acme.example") -> SendingDomain:
    """`name` as a verified sending domain of `tenant`, claimed for it, as if Resend had
    verified it: campaigns may then send from any address on it. Idempotent (transactional
    tests commit the public claim)."""
    SendingDomainClaim.objects.update_or_create(name=name, defaults={"tenant": tenant})
    with schema_context(tenant.schema_name):
        domain, _ = SendingDomain.objects.update_or_create(
            name=name,
            defaults={
                "resend_id": f"verified-{tenant.schema_name}-{name}",
                "status": SendingDomain.Status.VERIFIED,
                "verified_at": timezone.now(),
                "last_checked_at": timezone.now(),
            },
        )
    return domain


# Resend's domains API (https://resend.com/docs/api-reference/domains), as the tests stub it.
RESEND_ID = "4dd369bc-aa82-4ff3-97de-514ae3000ee0"


def resend_domain(name: str, status: str = "not_started", domain_id: str = RESEND_ID) -> dict:
    """A domain as Resend's `POST /domains` and `GET /domains/{id}` answer it."""
    return {
        "object": "domain",
        "id": domain_id,
        "name": name,
        "status": status,
        "created_at": "2026-12-06T02:00:00.000000+00:00",
        "region": "us-east-1",
        "records": [
            {
                "record": "SPF",
                "name": "send",
                "type": "MX",
                "ttl": "Auto",
                "status": status,
                "value": "feedback-smtp.us-east-1.amazonses.com",
                "priority": 10,
            },
            {
                "record": "SPF",
                "name": "send",
                "value": '"v=spf1 include:amazonses.com ~all"',
                "type": "TXT",
                "ttl": "Auto",
                "status": status,
            },
            {
                "record": "DKIM",
                "name": "resend._domainkey",
                "value": "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDsc4Lh8xilsngyKEgN2S84",
                "type": "TXT",
                "status": status,
                "ttl": "Auto",
            },
        ],
    }


def worker_process(stub_url: str, *, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A real `celery worker` (prefork, 2 children) on the test database, sending to `stub_url`
    (the stub Resend); `env` adds or overrides environment variables (the broker, caps)."""
    database = connection.settings_dict["NAME"]
    url = os.environ["DATABASE_URL"]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "strato.settings.test",
        "DATABASE_URL": url.rsplit("/", 1)[0] + "/" + database,
        "CAMPAIGN_TRANSPORT": "resend",
        "RESEND_API_URL": stub_url,
        "RESEND_API_KEY": "re_test",
        "RESEND_RATE_PER_SECOND": "0",
        **(env or {}),
    }
    celery = Path(sys.executable).parent / "celery"
    # STRATO_TEST_WORKER_LOG=<file> keeps the worker's log for debugging a failing test.
    log_path = os.environ.get("STRATO_TEST_WORKER_LOG")
    log = open(log_path, "a") if log_path else subprocess.DEVNULL  # noqa: SIM115 - the worker's
    return subprocess.Popen(
        [
            str(celery),
            "-A",
            "strato",
            "worker",
            "-P",
            "prefork",
            "-c",
            "2",
            "--without-mingle",
            "--without-gossip",
            "-l",
            os.environ.get("STRATO_TEST_WORKER_LOGLEVEL", "WARNING"),
            "-n",
            f"kill-test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=log,
    )


def wait_for_children(master: psutil.Process, count: int = 2, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while len(master.children()) < count:
        assert time.monotonic() < deadline, "worker did not start"
        time.sleep(0.1)


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def child_holding_an_answer(master: psutil.Process, stub) -> psutil.Process | None:
    """The worker child whose accepted batch's answer the stub is holding right now."""
    held = set(stub.holding)
    for child in master.children():
        try:
            ports = {conn.laddr.port for conn in child.net_connections(kind="tcp")}
        except psutil.NoSuchProcess:
            continue
        if ports & held:
            return child
    return None
