"""A real Celery worker (in-process, solo pool) on the real Redis broker: a task runs in the
schema it was queued from, and beat's fan-out runs a job once in every ready tenant."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context

from apps.monitoring.checks import TENANT_TASK_HEARTBEAT_KEY
from apps.monitoring.tasks import record_tenant_task_heartbeat
from apps.tenants.tasks import for_each_ready_tenant
from strato.celery import app

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 15


@pytest.fixture
def worker():
    hijack = app.conf.worker_hijack_root_logger
    app.conf.worker_hijack_root_logger = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.worker_hijack_root_logger = hijack


def heartbeat_in(schema: str):
    with schema_context(schema):
        return cache.get(TENANT_TASK_HEARTBEAT_KEY)


def wait_for(predicate) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not true within {WAIT_SECONDS}s")


def test_task_runs_in_the_schema_it_was_queued_from(tenant, other_tenant, worker):
    connection.set_tenant(tenant)
    try:
        record_tenant_task_heartbeat.delay()
    finally:
        connection.set_schema_to_public()

    wait_for(lambda: heartbeat_in(tenant.schema_name) is not None)
    assert heartbeat_in(tenant.schema_name)["schema"] == "t_acme"
    assert heartbeat_in(other_tenant.schema_name) is None
    assert heartbeat_in(get_public_schema_name()) is None


def test_task_queued_from_public_runs_in_public(tenant, worker):
    record_tenant_task_heartbeat.delay()

    wait_for(lambda: heartbeat_in(get_public_schema_name()) is not None)
    assert heartbeat_in(get_public_schema_name())["schema"] == "public"
    assert heartbeat_in(tenant.schema_name) is None


def test_for_each_ready_tenant_runs_the_job_in_every_ready_tenant(tenant, other_tenant, worker):
    for_each_ready_tenant.delay("apps.monitoring.tasks.record_tenant_task_heartbeat")

    wait_for(lambda: all(heartbeat_in(t.schema_name) for t in (tenant, other_tenant)))
    assert heartbeat_in("t_acme")["schema"] == "t_acme"
    assert heartbeat_in("t_globex")["schema"] == "t_globex"
    # Not for the public schema, the template or spares: only ready tenants.
    assert heartbeat_in(get_public_schema_name()) is None
    assert heartbeat_in("tenant_template") is None
