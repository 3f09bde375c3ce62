"""Backups and restores against the real PostgreSQL: row for row, corruption, refusal, retention.

Transactional tests: pg_dump runs in its own connection and only sees committed rows.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import psycopg
import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from apps.accounts.models import Membership, Role
from apps.campaigns.models import Campaign, EmailTemplate, Lead, Message
from apps.monitoring.models import BackupRun
from apps.repos.models import Analysis, Repository
from apps.tenants import backups
from apps.tenants import services as tenant_services
from apps.tenants.backup_tasks import backup_database_scheduled
from apps.tenants.models import Domain, Tenant
from tests.conftest import add_member

pytestmark = pytest.mark.django_db(transaction=True)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tenant_state(tenant: Tenant, *, database: str | None = None) -> dict[str, list[tuple]]:
    """Every row of the tenant's schema and of its public rows, sorted, keyed by table."""
    state: dict[str, list[tuple]] = {}
    params = {**_params(), **({"dbname": database} if database else {})}
    with psycopg.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE'",
            [tenant.schema_name],
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"SELECT * FROM {quote(tenant.schema_name)}.{quote(table)}")
            state[f"{tenant.schema_name}.{table}"] = sorted(map(repr, cursor.fetchall()))
        for table in backups.public_tables_of_tenant(cursor):
            condition = table.condition.replace("%(tenant_id)s", str(tenant.pk))
            cursor.execute(f"SELECT * FROM {quote(table.table)} WHERE {condition}")
            state[f"public.{table.table}"] = sorted(map(repr, cursor.fetchall()))
    return state


def _params() -> dict:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return params


@pytest.fixture
def backup_tenant(transactional_db):
    slug = f"bk-{uuid.uuid4().hex[:6]}"
    tenant = tenant_services.tenant_provision(name="Backup Co", slug=slug)
    add_member(tenant, f"owner@{slug}.test", Role.OWNER)
    with schema_context(tenant.schema_name):
        template = EmailTemplate.objects.create(name="Hello", subject="Hi {{ first_name }}")
        campaign = Campaign.objects.create(name="Launch", template=template, subject="Launch")
        for index in range(5):
            lead = Lead.objects.create(email=f"lead{index}@example.com", first_name=f"L{index}")
            Message.objects.create(campaign=campaign, lead=lead, email=lead.email)
        repository = Repository.objects.create(owner="octo", name="hello-world")
        Analysis.objects.create(repository=repository, report={"languages": {"Python": 0.9}})
    yield tenant
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote(tenant.schema_name)} CASCADE")
    connection.set_schema_to_public()


def test_tenant_restore_brings_back_every_row(backup_tenant, tmp_path):
    before = tenant_state(backup_tenant)
    result = backups.backup_create(tenant_slug=backup_tenant.slug, location=str(tmp_path))
    assert set(result.manifest["files"]) >= {
        "schema.dump",
        "public/tenants_tenant.copy.gz",
        "public/tenants_domain.copy.gz",
        "public/accounts_membership.copy.gz",
        "public/billing_billingaccount.copy.gz",
    }

    with schema_context(backup_tenant.schema_name):
        Message.objects.all().delete()
        Analysis.objects.all().delete()
        Campaign.objects.all().delete()
        Lead.objects.create(email="new@example.com")
    Membership.objects.filter(tenant=backup_tenant).delete()
    Domain.objects.filter(tenant=backup_tenant).update(domain="changed.localhost")
    assert tenant_state(backup_tenant) != before

    backups.backup_restore(backup_id=result.backup_id, location=str(tmp_path))

    assert tenant_state(backup_tenant) == before
    assert not schema_exists(f"{backup_tenant.schema_name}__restoring")
    runs = {run.operation: run for run in BackupRun.objects.all()}
    assert runs["backup"].status == runs["restore"].status == BackupRun.Status.SUCCEEDED
    assert runs["backup"].scope == f"tenant:{backup_tenant.slug}"
    assert runs["backup"].size_bytes == result.size_bytes > 0


def test_restore_of_a_deleted_tenant_recreates_it(backup_tenant, tmp_path):
    before = tenant_state(backup_tenant)
    result = backups.backup_create(tenant_slug=backup_tenant.slug, location=str(tmp_path))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {quote(backup_tenant.schema_name)} CASCADE")
    Domain.objects.filter(tenant=backup_tenant).delete()
    Membership.objects.filter(tenant=backup_tenant).delete()
    Tenant.objects.filter(pk=backup_tenant.pk).delete()

    backups.backup_restore(backup_id=result.backup_id, location=str(tmp_path))

    assert tenant_state(backup_tenant) == before


def test_corrupted_backup_fails_and_changes_nothing(backup_tenant, tmp_path):
    result = backups.backup_create(tenant_slug=backup_tenant.slug, location=str(tmp_path))
    dump = tmp_path / result.backup_id / "schema.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with schema_context(backup_tenant.schema_name):
        Lead.objects.filter(email="lead0@example.com").delete()
    after_delete = tenant_state(backup_tenant)

    with pytest.raises(backups.BackupCorrupted, match="checksum"):
        backups.backup_restore(backup_id=result.backup_id, location=str(tmp_path))

    assert tenant_state(backup_tenant) == after_delete
    assert not schema_exists(f"{backup_tenant.schema_name}__restoring")
    failed = BackupRun.objects.get(operation="restore")
    assert failed.status == BackupRun.Status.FAILED
    assert "checksum" in failed.error


def test_a_schema_that_fails_to_load_leaves_the_live_tenant_untouched(backup_tenant, tmp_path):
    result = backups.backup_create(tenant_slug=backup_tenant.slug, location=str(tmp_path))
    with schema_context(backup_tenant.schema_name):
        Lead.objects.all().update(company="after backup")
    after = tenant_state(backup_tenant)
    # A valid checksum over a file pg_restore cannot read: the load fails after the checks.
    folder = tmp_path / result.backup_id
    (folder / "schema.dump").write_bytes(b"PGDMP not really a dump")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["schema.dump"]["sha256"] = backups._sha256(folder / "schema.dump")
    (folder / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(backups.BackupError, match="pg_restore failed"):
        backups.backup_restore(backup_id=result.backup_id, location=str(tmp_path))

    assert tenant_state(backup_tenant) == after
    assert not schema_exists(f"{backup_tenant.schema_name}__restoring")


def test_backup_from_newer_code_is_refused(backup_tenant, tmp_path):
    result = backups.backup_create(tenant_slug=backup_tenant.slug, location=str(tmp_path))
    manifest_path = tmp_path / result.backup_id / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["migrations"][backup_tenant.schema_name].append(["campaigns", "9999_from_the_future"])
    manifest_path.write_text(json.dumps(manifest))
    with schema_context(backup_tenant.schema_name):
        Lead.objects.all().delete()
    after = tenant_state(backup_tenant)

    with pytest.raises(backups.BackupIncompatible, match=r"campaigns\.9999_from_the_future"):
        backups.backup_restore(backup_id=result.backup_id, location=str(tmp_path))

    assert tenant_state(backup_tenant) == after


def test_whole_database_round_trip_into_a_scratch_database(backup_tenant, tmp_path, settings):
    settings.BACKUP_LOCATION = str(tmp_path)
    backup_id = backup_database_scheduled()
    manifest = backups.backup_manifest(backup_id=backup_id)
    assert manifest["kind"] == "database"
    assert ["monitoring", "0001_initial"] in manifest["migrations"]["public"]
    scratch = f"strato_scratch_{uuid.uuid4().hex[:8]}"
    try:
        backups.backup_restore(backup_id=backup_id, target_database=scratch, create_database=True)
        live = tenant_state(backup_tenant)
        restored = tenant_state(backup_tenant, database=scratch)
        assert restored == live
    finally:
        with psycopg.connect(**_params(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {quote(scratch)} WITH (FORCE)")
    run = BackupRun.objects.get(operation="backup")
    assert (run.trigger, run.status, run.scope) == ("schedule", "succeeded", "database")
    assert run.duration_seconds > 0


def _fake_backup(root: Path, scope: str, when: datetime, *, complete: bool = True) -> str:
    backup_id = f"{scope}-{when.strftime('%Y%m%dT%H%M%S%fZ')}"
    (root / backup_id).mkdir(parents=True)
    if complete:
        (root / backup_id / "manifest.json").write_text(json.dumps({"format": 1}))
    return backup_id


def test_retention_keeps_the_newest_by_count_and_age(tmp_path, db):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    ages = [0, 1, 2, 3, 20, 40]
    ids = [_fake_backup(tmp_path, "database", now - timedelta(days=days)) for days in ages]
    other_scope = _fake_backup(tmp_path, "tenant-acme", now - timedelta(days=90))

    deleted = backups.backups_prune(
        scope="database", location=str(tmp_path), keep_last=5, max_age_days=30, now=now
    )

    # ids[5] is 40 days old; ids[4] (20 days) is within age but the newest five are ids[0..4].
    assert deleted == [ids[5]]
    assert backups.backup_list(location=str(tmp_path), scope="database") == sorted(ids[:5])
    assert (tmp_path / other_scope).exists()

    deleted = backups.backups_prune(
        scope="database", location=str(tmp_path), keep_last=2, max_age_days=30, now=now
    )
    assert sorted(deleted) == sorted(ids[2:5])


def test_retention_never_deletes_the_newest_backup(tmp_path, db):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    old = _fake_backup(tmp_path, "database", now - timedelta(days=400))
    older = _fake_backup(tmp_path, "database", now - timedelta(days=500))
    assert backups.backups_prune(location=str(tmp_path), max_age_days=30, now=now) == [older]
    assert backups.backup_list(location=str(tmp_path)) == [old]


def test_incomplete_backups_are_not_listed(tmp_path, db):
    _fake_backup(tmp_path, "database", datetime(2026, 6, 1, tzinfo=UTC), complete=False)
    assert backups.backup_list(location=str(tmp_path)) == []


# --- S3: a real S3-compatible server (moto's) on loopback ---------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint():
    moto_server = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [moto_server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_tenant_backup_to_s3_and_back(backup_tenant, s3_endpoint, settings):
    settings.BACKUP_S3_ENDPOINT_URL = s3_endpoint
    settings.BACKUP_S3_REGION = "us-east-1"
    settings.BACKUP_S3_ACCESS_KEY_ID = "testing"
    settings.BACKUP_S3_SECRET_ACCESS_KEY = "testing"
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket="strato-backups")
    location = "s3://strato-backups/nightly"
    before = tenant_state(backup_tenant)

    result = backups.backup_create(tenant_slug=backup_tenant.slug, location=location)
    assert backups.backup_list(location=location, scope=f"tenant-{backup_tenant.slug}") == [
        result.backup_id
    ]
    with schema_context(backup_tenant.schema_name):
        Lead.objects.all().delete()
    backups.backup_restore(backup_id=result.backup_id, location=location)

    assert tenant_state(backup_tenant) == before
    backups.backup_storage(location).delete(backup_id=result.backup_id)
    assert backups.backup_list(location=location) == []
