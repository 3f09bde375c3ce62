"""Signup-to-ready time: Strato's provisioning vs. django-tenants' default migrate-on-save.

Every sample is a whole signup through `account_register` (Argon2 password hash, tenant, schema,
domain, owner membership, billing account) on real PostgreSQL. Strato's pool of spare schemas is
refilled by a real Celery worker while signups run back to back; a second Strato series runs with
the pool empty (inline clone of the template schema). The baseline builds the same records but
creates the schema the django-tenants way: `Tenant.save()` with `auto_create_schema`, which runs
every tenant migration. Medians are quoted; the last line is JSON.

Run with `make bench` (or `python scripts/services.py exec --profile bench --settings
strato.settings.bench -- python benchmarks/provisioning.py`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strato.settings.bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from apps.accounts.models import Membership, Role, User  # noqa: E402
from apps.accounts.services import account_register  # noqa: E402
from apps.billing.services import billing_account_open  # noqa: E402
from apps.tenants import services as tenant_services  # noqa: E402
from apps.tenants.models import Domain, Tenant  # noqa: E402

STRATO_SIGNUPS = int(os.environ.get("BENCH_SIGNUPS", "40"))
CLONE_SIGNUPS = int(os.environ.get("BENCH_CLONE_SIGNUPS", "15"))
BASELINE_SIGNUPS = int(os.environ.get("BENCH_BASELINE_SIGNUPS", "3"))
PASSWORD = "Bench-Passphrase-2026"
RUN_ID = uuid.uuid4().hex[:6]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(samples), 1),
        "p95": round(percentile(samples, 0.95), 1),
        "min": round(min(samples), 1),
        "max": round(max(samples), 1),
    }


def strato_signup(label: str, index: int) -> float:
    started = time.perf_counter()
    account_register(
        email=f"{label}{index}-{RUN_ID}@bench.test",
        password=PASSWORD,
        organisation_name=f"{label} {index} {RUN_ID}",
    )
    return (time.perf_counter() - started) * 1000


def baseline_signup(index: int) -> float:
    """django-tenants' default: saving the tenant creates its schema and runs every migration."""
    slug = f"base-{index}-{RUN_ID}"
    started = time.perf_counter()
    with transaction.atomic():
        user = User.objects.create_user(email=f"{slug}@bench.test", password=PASSWORD)
        tenant = Tenant(
            schema_name="t_" + slug.replace("-", "_"),
            name=slug,
            slug=slug,
            status=Tenant.Status.READY,
        )
        tenant.auto_create_schema = True
        tenant.save(verbosity=0)
        Domain.objects.create(domain=f"{slug}.{settings.STRATO_BASE_DOMAIN}", tenant=tenant)
        Membership.objects.create(user=user, tenant=tenant, role=Role.OWNER)
        billing_account_open(tenant=tenant)
    connection.set_schema_to_public()
    return (time.perf_counter() - started) * 1000


def drop_spares() -> None:
    for spare in Tenant.objects.filter(status=Tenant.Status.SPARE):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{spare.schema_name}" CASCADE')
        spare.delete()


def cleanup() -> None:
    """Remove what this run created, so repeated runs measure the same database size."""
    created = Tenant.objects.filter(name__endswith=RUN_ID) | Tenant.objects.filter(
        slug__endswith=RUN_ID
    )
    for tenant in created:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
        tenant.delete()
    User.objects.filter(email__endswith=f"{RUN_ID}@bench.test").delete()


def start_worker() -> subprocess.Popen:
    celery = Path(sys.executable).parent / "celery"
    return subprocess.Popen(
        [
            str(celery),
            "-A",
            "strato",
            "worker",
            "-P",
            "solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    tenant_services.tenancy_bootstrap()
    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
    # Warm the connection, template and code paths so the first sample is not an outlier.
    strato_signup("warmup", 0)
    tenant_services.spare_pool_refill()

    worker = start_worker()
    try:
        time.sleep(3)
        strato = [strato_signup("strato", i) for i in range(STRATO_SIGNUPS)]
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    pool_size = settings.TENANT_SPARE_POOL_SIZE
    settings.TENANT_SPARE_POOL_SIZE = 0
    drop_spares()
    clone = [strato_signup("clone", i) for i in range(CLONE_SIGNUPS)]
    settings.TENANT_SPARE_POOL_SIZE = pool_size

    baseline = [baseline_signup(i) for i in range(BASELINE_SIGNUPS)]
    cleanup()

    strato_stats, clone_stats, baseline_stats = summary(strato), summary(clone), summary(baseline)
    print(
        f"Strato signup (spare pool of {pool_size}, refilled by a worker), "
        f"n={len(strato)}: {strato_stats} ms"
    )
    print(f"Strato signup with an empty pool (inline clone), n={len(clone)}: {clone_stats} ms")
    print(f"django-tenants migrate-on-save baseline, n={len(baseline)}: {baseline_stats} ms")
    print(
        json.dumps(
            {
                "provision_p50_ms": strato_stats["p50"],
                "provision_p95_ms": strato_stats["p95"],
                "clone_p50_ms": clone_stats["p50"],
                "clone_p95_ms": clone_stats["p95"],
                "baseline_p50_ms": baseline_stats["p50"],
                "speedup": round(baseline_stats["p50"] / strato_stats["p50"], 1),
                "clone_speedup": round(baseline_stats["p50"] / clone_stats["p50"], 1),
                "samples": {"strato": len(strato), "clone": len(clone), "baseline": len(baseline)},
            }
        )
    )


if __name__ == "__main__":
    main()
