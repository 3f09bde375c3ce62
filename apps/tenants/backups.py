"""Backups and restores of the whole database or of one tenant.

A backup is a folder in `BACKUP_LOCATION` (see `backup_storage`) holding compressed data files
and `manifest.json`: when, what, the applied `django_migrations` rows, and each file's SHA-256.

- **Whole database**: `database.dump`, `pg_dump --format=custom` (compressed, one snapshot).
- **One tenant**: `schema.dump` (its schema, `pg_dump --schema`) and, for every public table
  with rows belonging to the tenant, `public/<table>.copy.gz` (COPY text format, gzip). Those
  tables are found in the catalogue: the tenant row, every table with a foreign key to it, then
  every table with a foreign key to those (memberships, domains, billing account, usage, API keys,
  dj-stripe's customer and what hangs off it…). Rows they point at in shared tables (users, plans)
  are kept too, and restored only where missing. Schema and rows come from one snapshot
  (`pg_export_snapshot`), so they agree.

Restoring a tenant loads its schema into a temporary schema, then, in one transaction, replaces
the tenant's public rows and swaps the schemas by renaming: a failure anywhere leaves the live
tenant as it was. Every restore first checks each file's checksum and refuses a backup whose
migration state is newer than the code (migrations applied there that this code does not know);
an older tenant backup is migrated forward in its temporary schema before the swap.

Backup and restore stay in one module on purpose: they are one concern sharing the folder
format, the manifest, the walk of the tenant's public tables and the checksums, and a change to
one side is always a change to the other.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import get_public_schema_name, schema_exists

from apps.monitoring import services as monitoring_services

from . import pg_client
from .backup_storage import MANIFEST_NAME, BackupStorage, LocalStorage, backup_storage
from .models import Domain, Tenant
from .selectors import forget_hosts

FORMAT_VERSION = 1
CHUNK = 1 << 20
DATABASE_SCOPE = "database"
TENANT_ROOT_TABLE = Tenant._meta.db_table


class BackupError(Exception):
    """A backup or restore that could not be done; nothing was changed."""


class BackupCorrupted(BackupError):
    pass


class BackupIncompatible(BackupError):
    pass


# --- helpers ------------------------------------------------------------------------------------


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def _connect(database: str | None = None) -> psycopg.Connection[Any]:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    if database:
        params["dbname"] = database
    return psycopg.connect(**params)


def _scope_for(slug: str | None) -> str:
    return f"tenant-{slug}" if slug else DATABASE_SCOPE


def _new_backup_id(scope: str) -> str:
    return f"{scope}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


def _migration_rows(cursor: psycopg.Cursor[Any], schema: str) -> list[list[str]]:
    cursor.execute(f"SELECT app, name FROM {_quote(schema)}.django_migrations ORDER BY id")  # noqa: S608
    return [[app, name] for app, name in cursor.fetchall()]


def code_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations applied in the backup that this code does not have (the backup is newer)."""
    known = code_migrations()
    applied = {tuple(row) for rows in manifest["migrations"].values() for row in rows}
    return sorted(f"{app}.{name}" for app, name in applied - known)


@dataclass
class PublicTable:
    """Rows of a public table that belong to a tenant (`owned`) or that its rows point at."""

    table: str
    condition: str  # SQL over the table's columns; %(tenant_id)s stands for the tenant
    owned: bool
    columns: list[str] = field(default_factory=list)


def public_tables_of_tenant(cursor: psycopg.Cursor[Any]) -> list[PublicTable]:
    """Public tables holding a tenant's rows, parents before children, found from foreign keys."""
    cursor.execute(
        """
        SELECT child.relname, child_col.attname, parent.relname, parent_col.attname
        FROM pg_constraint con
        JOIN pg_class child ON child.oid = con.conrelid
        JOIN pg_class parent ON parent.oid = con.confrelid
        JOIN pg_namespace ns ON ns.oid = child.relnamespace AND ns.nspname = %s
        JOIN pg_namespace parent_ns ON parent_ns.oid = parent.relnamespace
            AND parent_ns.nspname = %s
        JOIN pg_attribute child_col
            ON child_col.attrelid = con.conrelid AND child_col.attnum = con.conkey[1]
        JOIN pg_attribute parent_col
            ON parent_col.attrelid = con.confrelid AND parent_col.attnum = con.confkey[1]
        WHERE con.contype = 'f' AND cardinality(con.conkey) = 1
        ORDER BY child.relname, child_col.attname
        """,
        [get_public_schema_name(), get_public_schema_name()],
    )
    foreign_keys = cursor.fetchall()
    owned: dict[str, str] = {TENANT_ROOT_TABLE: "id = %(tenant_id)s"}
    frontier = [TENANT_ROOT_TABLE]
    # Breadth first; a table's condition only uses tables found on earlier levels, so the
    # conditions stay finite whatever cycles the foreign keys draw.
    while frontier:
        level: dict[str, list[str]] = {}
        for child, column, parent, parent_column in foreign_keys:
            if parent in frontier and child not in owned:
                level.setdefault(child, []).append(
                    f"{_quote(column)} IN (SELECT {_quote(parent_column)} FROM "  # noqa: S608
                    f"{_quote(parent)} WHERE {owned[parent]})"
                )
        owned.update({table: " OR ".join(parts) for table, parts in level.items()})
        frontier = list(level)
    referenced: dict[str, list[str]] = {}
    for child, column, parent, parent_column in foreign_keys:
        if child in owned and parent not in owned:
            referenced.setdefault(parent, []).append(
                f"{_quote(parent_column)} IN (SELECT {_quote(column)} "  # noqa: S608
                f"FROM {_quote(child)} WHERE {owned[child]})"
            )
    tables = [PublicTable(table, condition, owned=True) for table, condition in owned.items()]
    tables += [
        PublicTable(table, " OR ".join(parts), owned=False) for table, parts in referenced.items()
    ]
    for table in tables:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
            [f"{_quote(get_public_schema_name())}.{_quote(table.table)}"],
        )
        table.columns = [row[0] for row in cursor.fetchall()]
    return tables


# --- backup -------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    backup_id: str
    location: str
    size_bytes: int
    manifest: dict[str, Any]


def _pg_dump_to(path: Path, *, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run pg_dump into `path`, hashing the stream as it is written (no second read)."""
    digest = hashlib.sha256()
    size = 0
    command = [pg_client.program("pg_dump"), "--format=custom", *args]
    with (
        path.open("wb") as output,
        subprocess.Popen(  # noqa: S603 (our binary, our arguments, no shell)
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as process,
    ):
        assert process.stdout is not None
        assert process.stderr is not None
        while chunk := process.stdout.read(CHUNK):
            digest.update(chunk)
            output.write(chunk)
            size += len(chunk)
        errors = process.stderr.read().decode(errors="replace")
    if process.returncode != 0:
        raise BackupError(f"pg_dump failed: {errors.strip()[-2000:]}")
    return {"sha256": digest.hexdigest(), "size": size}


def _work_folder(storage: BackupStorage, backup_id: str) -> tuple[Path, bool]:
    """Where files are written before upload: the backup's own folder when it is local."""
    if isinstance(storage, LocalStorage):
        return storage.local_path(backup_id=backup_id, name=MANIFEST_NAME).parent, False
    return Path(tempfile.mkdtemp(prefix="strato-backup-")), True


def backup_create(
    *, tenant_slug: str | None = None, location: str | None = None, trigger: str = "manual"
) -> BackupResult:
    """Back up the whole database, or one tenant when `tenant_slug` is given; record the run."""
    storage = backup_storage(location)
    scope = _scope_for(tenant_slug)
    run = monitoring_services.backup_run_start(
        operation="backup",
        scope=f"tenant:{tenant_slug}" if tenant_slug else DATABASE_SCOPE,
        trigger=trigger,
        location=storage.location,
    )
    backup_id = _new_backup_id(scope)
    try:
        result = _backup(storage=storage, backup_id=backup_id, tenant_slug=tenant_slug)
    except Exception as exc:
        storage.delete(backup_id=backup_id)
        monitoring_services.backup_run_finish(run=run, backup_id=backup_id, error=str(exc))
        raise
    monitoring_services.backup_run_finish(
        run=run, backup_id=backup_id, size_bytes=result.size_bytes
    )
    return result


def _backup(*, storage: BackupStorage, backup_id: str, tenant_slug: str | None) -> BackupResult:
    started = time.monotonic()
    folder, temporary = _work_folder(storage, backup_id)
    env = pg_client.environment()
    manifest: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "id": backup_id,
        "kind": "tenant" if tenant_slug else "database",
        "created_at": datetime.now(UTC).isoformat(),
        "server_version_num": connection.pg_version,  # type: ignore[attr-defined]
        "files": {},
        "migrations": {},
    }
    try:
        with _connect() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]  # type: ignore[index]
                public = get_public_schema_name()
                manifest["migrations"][public] = _migration_rows(cursor, public)
                if tenant_slug is None:
                    manifest["files"]["database.dump"] = _pg_dump_to(
                        folder / "database.dump", args=[f"--snapshot={snapshot}"], env=env
                    )
                else:
                    _backup_tenant(cursor, manifest, folder, tenant_slug, snapshot, env)
            conn.rollback()
        for name in manifest["files"]:
            storage.upload(backup_id=backup_id, name=name, source=folder / name)
        manifest["duration_seconds"] = round(time.monotonic() - started, 3)
        storage.write_text(
            backup_id=backup_id, name=MANIFEST_NAME, text=json.dumps(manifest, indent=2)
        )
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    size = sum(entry["size"] for entry in manifest["files"].values())
    return BackupResult(backup_id, storage.location, size, manifest)


def _backup_tenant(
    cursor: psycopg.Cursor[Any],
    manifest: dict[str, Any],
    folder: Path,
    tenant_slug: str,
    snapshot: str,
    env: dict[str, str],
) -> None:
    cursor.execute(
        f"SELECT id, schema_name FROM {_quote(TENANT_ROOT_TABLE)} WHERE slug = %s",  # noqa: S608
        [tenant_slug],
    )
    row = cursor.fetchone()
    if row is None:
        raise BackupError(f"No tenant with slug “{tenant_slug}”.")
    tenant_id, schema_name = row
    manifest["tenant"] = {"id": tenant_id, "slug": tenant_slug, "schema_name": schema_name}
    manifest["migrations"][schema_name] = _migration_rows(cursor, schema_name)
    manifest["files"]["schema.dump"] = _pg_dump_to(
        folder / "schema.dump",
        args=[f"--snapshot={snapshot}", f"--schema={schema_name}"],
        env=env,
    )
    (folder / "public").mkdir(exist_ok=True)
    manifest["public_tables"] = []
    for table in public_tables_of_tenant(cursor):
        name = f"public/{table.table}.copy.gz"
        columns = ", ".join(_quote(column) for column in table.columns)
        condition = table.condition.replace("%(tenant_id)s", str(int(tenant_id)))
        query = f"COPY (SELECT {columns} FROM {_quote(table.table)} WHERE {condition}) TO STDOUT"  # noqa: S608
        rows = 0
        with gzip.open(folder / name, "wb", compresslevel=6) as output, cursor.copy(query) as copy:
            for data in copy:
                output.write(data)
                rows += bytes(data).count(b"\n")
        manifest["files"][name] = {
            "sha256": _sha256(folder / name),
            "size": (folder / name).stat().st_size,
        }
        manifest["public_tables"].append(
            {
                "table": table.table,
                "columns": table.columns,
                "condition": table.condition,
                "owned": table.owned,
                "file": name,
                "rows": rows,
            }
        )


# --- listing and retention ----------------------------------------------------------------------


def backup_manifest(*, backup_id: str, location: str | None = None) -> dict[str, Any] | None:
    text = backup_storage(location).read_text(backup_id=backup_id, name=MANIFEST_NAME)
    if text is None:
        return None
    try:
        manifest: dict[str, Any] = json.loads(text)
    except ValueError as exc:
        raise BackupCorrupted(f"The manifest of {backup_id} is not valid JSON.") from exc
    return manifest


def backup_list(*, location: str | None = None, scope: str | None = None) -> list[str]:
    """Complete backups (those with a manifest), oldest first; `scope` is database or tenant-x."""
    storage = backup_storage(location)
    ids = [
        backup_id
        for backup_id in storage.backup_ids()
        if scope is None or re.fullmatch(rf"{re.escape(scope)}-\d{{8}}T\d{{12}}Z", backup_id)
    ]
    return [
        backup_id
        for backup_id in ids
        if storage.read_text(backup_id=backup_id, name=MANIFEST_NAME) is not None
    ]


def _backup_time(backup_id: str) -> datetime:
    stamp = backup_id.rsplit("-", 1)[-1]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)


def backups_prune(
    *,
    scope: str = DATABASE_SCOPE,
    location: str | None = None,
    keep_last: int | None = None,
    max_age_days: int | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Delete the backups of `scope` beyond the newest `keep_last` or older than `max_age_days`.

    The newest backup is always kept, whatever its age: retention never leaves nothing.
    """
    keep_last = settings.BACKUP_KEEP_LAST if keep_last is None else keep_last
    max_age_days = settings.BACKUP_MAX_AGE_DAYS if max_age_days is None else max_age_days
    cutoff = (now or datetime.now(UTC)) - timedelta(days=max_age_days)
    newest_first = list(reversed(backup_list(location=location, scope=scope)))
    doomed = [
        backup_id
        for index, backup_id in enumerate(newest_first)
        if index > 0 and (index >= max(keep_last, 1) or _backup_time(backup_id) < cutoff)
    ]
    storage = backup_storage(location)
    for backup_id in doomed:
        storage.delete(backup_id=backup_id)
    return doomed


def backup_scheduled() -> BackupResult:
    """The beat job: back up the whole database, then apply retention."""
    result = backup_create(trigger="schedule")
    backups_prune(scope=DATABASE_SCOPE)
    return result


# --- restore ------------------------------------------------------------------------------------


def _fetch_verified(
    storage: BackupStorage, backup_id: str, manifest: dict[str, Any], folder: Path
) -> None:
    """Download every file and check its checksum before anything is changed."""
    for name, expected in manifest["files"].items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            storage.download(backup_id=backup_id, name=name, target=target)
        except Exception as exc:
            raise BackupCorrupted(f"{name} is missing from backup {backup_id}: {exc}") from exc
        if _sha256(target) != expected["sha256"]:
            raise BackupCorrupted(
                f"{name} in backup {backup_id} does not match its checksum; nothing was restored."
            )


def _load_manifest(storage: BackupStorage, backup_id: str) -> dict[str, Any]:
    text = storage.read_text(backup_id=backup_id, name=MANIFEST_NAME)
    if text is None:
        raise BackupError(f"No complete backup {backup_id} in {storage.location}.")
    try:
        manifest: dict[str, Any] = json.loads(text)
    except ValueError as exc:
        raise BackupCorrupted(f"The manifest of {backup_id} is not valid JSON.") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupIncompatible(f"Backup format {manifest.get('format')} is not supported.")
    return manifest


def backup_restore(
    *,
    backup_id: str,
    location: str | None = None,
    target_database: str | None = None,
    create_database: bool = False,
    trigger: str = "manual",
) -> dict[str, Any]:
    """Restore a backup: a tenant in place (schema swap), or the whole database into
    `target_database` (default: the configured one). Returns the manifest."""
    storage = backup_storage(location)
    manifest = _load_manifest(storage, backup_id)
    unknown = unknown_migrations(manifest)
    if unknown:
        raise BackupIncompatible(
            "The backup's migration state is newer than this code; deploy the code that made it. "
            f"Unknown migrations: {', '.join(unknown[:10])}"
            + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        )
    scope = (
        f"tenant:{manifest['tenant']['slug']}" if manifest["kind"] == "tenant" else DATABASE_SCOPE
    )
    started = datetime.now(UTC)
    error = ""
    try:
        with tempfile.TemporaryDirectory(prefix="strato-restore-") as work:
            folder = Path(work)
            _fetch_verified(storage, backup_id, manifest, folder)
            if manifest["kind"] == "tenant":
                _restore_tenant(manifest, folder)
            else:
                _restore_database(folder, target_database, create_database)
    except Exception as exc:
        error = str(exc) or type(exc).__name__
        raise
    finally:
        # Recorded afterwards: a whole-database restore replaces the table the row would be in.
        connection.close()
        run = monitoring_services.backup_run_start(
            operation="restore", scope=scope, trigger=trigger, location=storage.location
        )
        run.started_at = started
        monitoring_services.backup_run_finish(
            run=run,
            backup_id=backup_id,
            size_bytes=sum(entry["size"] for entry in manifest["files"].values()),
            error=error,
        )
    return manifest


def _restore_database(folder: Path, target_database: str | None, create: bool) -> None:
    database = target_database or connection.settings_dict["NAME"]
    if create:
        with _connect() as conn:
            conn.autocommit = True
            conn.execute(f"CREATE DATABASE {_quote(database)}")
    _run(
        [
            pg_client.program("pg_restore"),
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--dbname={database}",
            str(folder / "database.dump"),
        ],
        env=pg_client.environment(database=database),
        what="pg_restore",
    )


def _rewritten_schema_sql(lines: Iterator[bytes], source: str, target: str) -> Iterator[bytes]:
    """pg_restore's SQL with the schema renamed in statements, never inside COPY data."""
    pattern = re.compile(rb"(?<![\w$])" + re.escape(source.encode()) + rb"(?![\w$])")
    replacement = target.encode()
    in_copy = False
    for line in lines:
        if in_copy:
            if line == b"\\.\n":
                in_copy = False
            yield line
            continue
        if line.startswith(b"COPY "):
            in_copy = True
        yield pattern.sub(replacement, line)


def _load_schema_as(dump: Path, source: str, target: str) -> None:
    """Load a schema dump under another name (pg_restore cannot rename) in one transaction."""
    env = pg_client.environment()
    restore = subprocess.Popen(  # noqa: S603
        [pg_client.program("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    psql = subprocess.Popen(  # noqa: S603
        [
            pg_client.program("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            "--output=/dev/null",
        ],
        env=env,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert restore.stdout is not None
    assert psql.stdin is not None
    try:
        for line in _rewritten_schema_sql(iter(restore.stdout.readline, b""), source, target):
            psql.stdin.write(line)
    except BrokenPipeError:
        pass
    finally:
        psql.stdin.close()
    restore_errors = restore.stderr.read().decode(errors="replace") if restore.stderr else ""
    psql_errors = psql.stderr.read().decode(errors="replace") if psql.stderr else ""
    if restore.wait() != 0:
        psql.wait()
        raise BackupError(f"pg_restore failed: {restore_errors.strip()[-2000:]}")
    if psql.wait() != 0:
        raise BackupError(f"Loading the tenant schema failed: {psql_errors.strip()[-2000:]}")


def _restore_tenant(manifest: dict[str, Any], folder: Path) -> None:
    tenant = manifest["tenant"]
    schema_name = tenant["schema_name"]
    staging = f"{schema_name}__restoring"
    replaced = f"{schema_name}__replaced"
    with _connect() as conn:
        conn.autocommit = True
        conn.execute(f"DROP SCHEMA IF EXISTS {_quote(staging)} CASCADE")
    try:
        _load_schema_as(folder / "schema.dump", schema_name, staging)
        # A backup from an older release is brought up to the code's migrations before it goes
        # live (nothing to do when it is current).
        call_command("migrate_schemas", schema_name=staging, interactive=False, verbosity=0)
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        hosts_before = _tenant_hosts(tenant["id"])
        with _connect() as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            _replace_public_rows(cursor, manifest, folder, tenant["id"])
            if schema_exists(schema_name):
                cursor.execute(f"ALTER SCHEMA {_quote(schema_name)} RENAME TO {_quote(replaced)}")
            cursor.execute(f"ALTER SCHEMA {_quote(staging)} RENAME TO {_quote(schema_name)}")
            cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(replaced)} CASCADE")
    except Exception:
        with _connect() as conn:
            conn.autocommit = True
            conn.execute(f"DROP SCHEMA IF EXISTS {_quote(staging)} CASCADE")
        raise
    forget_hosts(*hosts_before, *_tenant_hosts(tenant["id"]))


def _tenant_hosts(tenant_id: int) -> list[str]:
    return list(Domain.objects.filter(tenant_id=tenant_id).values_list("domain", flat=True))


def _replace_public_rows(
    cursor: psycopg.Cursor[Any], manifest: dict[str, Any], folder: Path, tenant_id: int
) -> None:
    """Delete the tenant's current public rows (children first), then load the backup's."""
    tenant_literal = str(int(tenant_id))
    current = public_tables_of_tenant(cursor)
    for table in reversed([table for table in current if table.owned]):
        condition = table.condition.replace("%(tenant_id)s", tenant_literal)
        cursor.execute(f"DELETE FROM {_quote(table.table)} WHERE {condition}")  # noqa: S608
    for entry in manifest["public_tables"]:
        columns = ", ".join(_quote(column) for column in entry["columns"])
        target = _quote(entry["table"])
        if not entry["owned"]:
            # Shared rows (users, plans) are added only when missing, never overwritten.
            cursor.execute(
                f"CREATE TEMP TABLE restore_rows ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {target} WITH NO DATA"
            )
            target = "restore_rows"
        with (
            gzip.open(folder / entry["file"], "rb") as source,
            cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy,
        ):
            while chunk := source.read(CHUNK):
                copy.write(chunk)
        if not entry["owned"]:
            cursor.execute(
                f"INSERT INTO {_quote(entry['table'])} ({columns}) "  # noqa: S608
                f"SELECT {columns} FROM restore_rows ON CONFLICT DO NOTHING"
            )
            cursor.execute("DROP TABLE restore_rows")
