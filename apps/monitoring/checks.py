"""Readiness checks behind GET /api/health. Each is timed; critical ones decide the status."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_redis import get_redis_connection
from django_tenants.utils import get_public_schema_name, schema_context

WORKER_HEARTBEAT_KEY = "monitoring:worker-heartbeat"
WORKER_HEARTBEAT_MAX_AGE_SECONDS = 120
TENANT_TASK_HEARTBEAT_KEY = "monitoring:tenant-task-heartbeat"
TENANT_TASK_HEARTBEAT_SECONDS = 24 * 3600


@dataclass
class CheckResult:
    name: str
    critical: bool
    ok: bool
    duration_ms: float
    detail: str

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "status": "ok" if self.ok else "fail",
            "critical": self.critical,
            "duration_ms": round(self.duration_ms, 2),
            "detail": self.detail,
        }


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "SELECT 1 answered"


def _redis() -> str:
    if not get_redis_connection("default").ping():
        raise RuntimeError("PING failed")
    return "PING answered"


def _worker() -> str:
    # Cache keys carry the schema; the heartbeat is one per deployment, kept under public.
    with schema_context(get_public_schema_name()):
        beat = cache.get(WORKER_HEARTBEAT_KEY)
    if beat is None:
        raise RuntimeError("no worker heartbeat recorded yet")
    age = time.time() - float(beat)
    if age > WORKER_HEARTBEAT_MAX_AGE_SECONDS:
        raise RuntimeError(f"last worker heartbeat {age:.0f}s ago")
    return f"last heartbeat {age:.0f}s ago"


def _disk() -> str:
    free_mb = shutil.disk_usage(settings.BASE_DIR).free / 2**20
    if free_mb < settings.HEALTH_MIN_FREE_DISK_MB:
        raise RuntimeError(f"{free_mb:.0f} MB free")
    return f"{free_mb:.0f} MB free"


def _memory() -> str:
    available_mb = psutil.virtual_memory().available / 2**20
    if available_mb < settings.HEALTH_MIN_FREE_MEMORY_MB:
        raise RuntimeError(f"{available_mb:.0f} MB available")
    return f"{available_mb:.0f} MB available"


CHECKS: list[tuple[str, bool, Callable[[], str]]] = [
    ("database", True, _database),
    ("redis", True, _redis),
    ("celery_worker", False, _worker),
    ("disk", False, _disk),
    ("memory", False, _memory),
]


def run_checks() -> list[CheckResult]:
    results = []
    for name, critical, check in CHECKS:
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as exc:  # a failing dependency is the answer, not an error
            detail, ok = f"{type(exc).__name__}: {exc}", False
        results.append(
            CheckResult(name, critical, ok, (time.perf_counter() - started) * 1000, detail)
        )
    return results


def record_tenant_task_heartbeat() -> dict:
    """Written in the schema the task runs in (the cache key carries it).

    Beat runs this for every ready tenant: a tenant without a recent entry is one whose
    per-tenant jobs do not run (broken schema, routing, worker).
    """
    beat = {
        "schema": connection.schema_name,  # type: ignore[attr-defined]  # django-tenants
        "at": time.time(),
    }
    cache.set(TENANT_TASK_HEARTBEAT_KEY, beat, TENANT_TASK_HEARTBEAT_SECONDS)
    return beat


def record_worker_heartbeat() -> None:
    with schema_context(get_public_schema_name()):
        cache.set(WORKER_HEARTBEAT_KEY, time.time(), WORKER_HEARTBEAT_MAX_AGE_SECONDS * 10)
