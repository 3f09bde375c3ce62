"""Celery in tests: tasks run in-process (`eager_celery`) or by a real worker on the real Redis
broker (`worker`). Registered as a fixture plugin in tests/conftest.py."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from strato.celery import app


@pytest.fixture
def eager_celery():
    """Tasks queued on commit run in-process (through the tenant-aware task base)."""
    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def worker():
    """A real worker (solo pool) consuming the broker's queue while the test runs."""
    hijack = app.conf.worker_hijack_root_logger
    app.conf.worker_hijack_root_logger = False
    app.control.purge()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.worker_hijack_root_logger = hijack
