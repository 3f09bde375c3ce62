"""The committed schema snapshot is current and equals what a from-scratch migrate builds."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from scripts import schema_snapshot

PLAN_IS_EMPTY = """
import django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
for schema in ("public", "{template}"):
    connection.set_schema(schema, include_public=False)
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    assert plan == [], (schema, plan[:5])
print("nothing to migrate")
"""


def test_snapshot_matches_the_migrations():
    """Fails when a migration (ours or a package's) changed and `make schema-snapshot` was not
    run: the fingerprint covers every migration file of every installed app."""
    snapshot = schema_snapshot.snapshot_read()
    assert snapshot is not None, "scripts/schema_snapshot.sql.gz is missing"
    assert snapshot[0] == schema_snapshot.migrations_fingerprint(), (
        "Migrations changed since the schema snapshot was built: run `make schema-snapshot`."
    )


@pytest.mark.migrations
def test_snapshot_restores_what_a_full_migrate_builds(migrated_from_scratch):
    """Two scratch databases: one migrated from scratch (public schema, then the template schema
    as `bootstrap_tenancy` does; started in the background when the suite was collected), one
    restored from the snapshot. Their catalogues (tables, columns, constraints, indexes,
    sequences, functions, triggers) and applied migrations match for the public schema and the
    tenant template, and `migrate` has nothing left to do."""
    with schema_snapshot.scratch_database("strato_test_restored") as restored:
        migrated_from_scratch.wait()
        migrated = migrated_from_scratch.params
        schema_snapshot.restore_sql(restored, schema_snapshot.snapshot_current() or "")
        for schema in schema_snapshot.snapshot_schemas():
            from_scratch = schema_snapshot.schema_catalog(migrated, schema)
            from_snapshot = schema_snapshot.schema_catalog(restored, schema)
            assert from_scratch["migrations"], schema
            assert schema_snapshot.catalog_differences(from_scratch, from_snapshot) == []

        url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + restored["dbname"]
        script = PLAN_IS_EMPTY.format(template=settings.STRATO_TEMPLATE_SCHEMA)
        result = subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
