"""Schema snapshot: the database a from-scratch migrate builds, restored in about a second.

Replaying every migration (dj-stripe's long history above all) takes minutes. The snapshot is a
`pg_dump` (schema and rows) of the public schema and the tenant template schema right after
`migrate_schemas --shared` and the template's `migrate_schemas --tenant`, committed as
`scripts/schema_snapshot.sql.gz`. Its first line holds a fingerprint of every migration file of
every installed app (ours and third-party ones), Django's version and the settings that shape
migrations. A snapshot is only restored into an empty database and only when that fingerprint
matches the code; otherwise the caller migrates from scratch as before. `migrate` still runs after
a restore and finds nothing to do.

    python scripts/schema_snapshot.py build     # `make schema-snapshot`: migrate from scratch,
                                                # dump, restore the dump and compare both
    python scripts/schema_snapshot.py check     # fails when migrations changed since the build
    python scripts/schema_snapshot.py restore   # restore into DATABASE_URL when it is empty
    python scripts/schema_snapshot.py migrate-scratch NAME  # migrate database NAME from scratch

`build` and `restore` need DATABASE_URL (run them under `scripts/services.py exec`).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_FILE = ROOT / "scripts" / "schema_snapshot.sql.gz"
FINGERPRINT_PREFIX = "-- strato schema snapshot fingerprint: "
# Settings that change what the migrations create.
FINGERPRINT_SETTINGS = (
    "INSTALLED_APPS",
    "SHARED_APPS",
    "TENANT_APPS",
    "AUTH_USER_MODEL",
    "DEFAULT_AUTO_FIELD",
    "TENANT_MODEL",
    "TENANT_DOMAIN_MODEL",
    "STRATO_TEMPLATE_SCHEMA",
    "MIGRATION_MODULES",
)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strato.settings.dev")
    import django

    django.setup()


def migrations_fingerprint() -> str:
    """Hash of every migration file of every installed app, Django's version and key settings."""
    import django
    from django.apps import apps
    from django.conf import settings
    from django.db.migrations.loader import MigrationLoader

    digest = hashlib.sha256(f"django {django.get_version()}\n".encode())
    for config in sorted(apps.get_app_configs(), key=lambda config: config.label):
        module_name, _ = MigrationLoader.migrations_module(config.label)
        if module_name is None:
            continue
        try:
            module = import_module(module_name)
        except ModuleNotFoundError:
            continue
        folder = Path(module.__file__).parent if module.__file__ else None
        if folder is None:
            continue
        for path in sorted(folder.rglob("*.py")):
            digest.update(f"{config.label}/{path.relative_to(folder)}\n".encode())
            digest.update(path.read_bytes())
    shaping = {
        name: repr(getattr(settings, name, None))
        for name in (*FINGERPRINT_SETTINGS, *(n for n in dir(settings) if n.startswith("DJSTRIPE")))
    }
    digest.update(json.dumps(shaping, sort_keys=True).encode())
    return digest.hexdigest()


def snapshot_read(path: Path = SNAPSHOT_FILE) -> tuple[str, str] | None:
    """(fingerprint, SQL) of the committed snapshot, or None when there is none."""
    if not path.exists():
        return None
    text = gzip.decompress(path.read_bytes()).decode()
    first, _, sql = text.partition("\n")
    if not first.startswith(FINGERPRINT_PREFIX):
        return None
    return first.removeprefix(FINGERPRINT_PREFIX).strip(), sql


def snapshot_usable() -> tuple[str, str] | None:
    """(fingerprint, SQL) when the snapshot matches the installed migrations and is not turned
    off with STRATO_SCHEMA_SNAPSHOT=off (benchmarks' baseline), else None."""
    if os.environ.get("STRATO_SCHEMA_SNAPSHOT") == "off":
        return None
    snapshot = snapshot_read()
    if snapshot is None or snapshot[0] != migrations_fingerprint():
        return None
    return snapshot


def snapshot_current() -> str | None:
    """The snapshot's SQL when it is usable, else None."""
    snapshot = snapshot_usable()
    return None if snapshot is None else snapshot[1]


def connection_params(dbname: str | None = None) -> dict[str, Any]:
    """psycopg keyword arguments for the default database (or another one on its server)."""
    from django.db import connection

    params = dict(connection.get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold", "server_side_binding"):
        params.pop(key, None)
    if dbname is not None:
        params["dbname"] = dbname
    return params


def database_is_empty(params: dict[str, Any]) -> bool:
    import psycopg

    with psycopg.connect(**params) as conn:
        row = conn.execute("SELECT to_regclass('public.django_migrations') IS NULL").fetchone()
        return bool(row and row[0])


def restore_sql(params: dict[str, Any], sql: str) -> None:
    """Run the snapshot in one transaction: an interruption leaves the database empty."""
    import psycopg

    with psycopg.connect(**params) as conn, conn.transaction():
        conn.execute(sql)  # several statements, no parameters: sent as one simple query


def restore_if_empty() -> str:
    """Restore the snapshot into the configured database when it is empty; say what happened."""
    params = connection_params()
    if not database_is_empty(params):
        return "database already set up: migrating what changed"
    sql = snapshot_current()
    if sql is None:
        return "no usable schema snapshot (`make schema-snapshot`): migrating from scratch"
    started = time.perf_counter()
    restore_sql(params, sql)
    return f"schema snapshot restored in {time.perf_counter() - started:.1f}s"


def template_database(prefix: str = "strato_snapshot_") -> str | None:
    """A database on the default server holding the snapshot, kept for `CREATE DATABASE …
    TEMPLATE` (tests); built once per fingerprint. None when the snapshot is out of date."""
    import psycopg
    from psycopg import sql as pgsql

    snapshot = snapshot_usable()
    if snapshot is None:
        return None
    name = prefix + snapshot[0][:16]
    admin = connection_params("postgres")
    with psycopg.connect(**admin, autocommit=True) as conn:
        comment = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if comment is not None and comment[0] == "complete":
            return name
        for (stale,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"]
        ).fetchall():
            conn.execute(pgsql.SQL("DROP DATABASE {} WITH (FORCE)").format(pgsql.Identifier(stale)))
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
        restore_sql(connection_params(name), snapshot[1])
        # Marked only once whole, so an interrupted restore is rebuilt next time.
        conn.execute(
            pgsql.SQL("COMMENT ON DATABASE {} IS 'complete'").format(pgsql.Identifier(name))
        )
    return name


# Catalogue description used to prove a restored snapshot equals a from-scratch migrate.

_CATALOG_QUERIES = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
               coalesce(co.collname, '')
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
             AND co.collname <> 'default'
        WHERE c.relnamespace = %(schema)s::regnamespace AND a.attnum > 0
              AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    """,
    "relations": """
        SELECT relname, relkind, relpersistence FROM pg_class
        WHERE relnamespace = %(schema)s::regnamespace
    """,
    "constraints": """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid),
               condeferrable, condeferred
        FROM pg_constraint WHERE connamespace = %(schema)s::regnamespace
    """,
    "indexes": """
        SELECT c.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = %(schema)s::regnamespace
    """,
    "sequences": """
        SELECT c.relname, s.seqtypid::regtype::text, s.seqincrement, s.seqmin, s.seqmax,
               s.seqcycle
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
        WHERE c.relnamespace = %(schema)s::regnamespace
    """,
    "functions": """
        SELECT proname, pg_get_functiondef(oid) FROM pg_proc
        WHERE pronamespace = %(schema)s::regnamespace
    """,
    "triggers": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %(schema)s::regnamespace AND NOT t.tgisinternal
    """,
    "migrations": "SELECT app, name FROM {schema}.django_migrations",
    "content_types": "SELECT id, app_label, model FROM {schema}.django_content_type",
}


def schema_catalog(params: dict[str, Any], schema: str) -> dict[str, list[tuple]]:
    """Tables, columns, constraints, indexes, sequences, functions, triggers, applied
    migrations and content types of `schema`, sorted, for comparison."""
    import psycopg
    from psycopg import sql as pgsql

    catalog: dict[str, list[tuple]] = {}
    with psycopg.connect(**params) as conn:
        for name, query in _CATALOG_QUERIES.items():
            if "{schema}" in query:
                statement: Any = pgsql.SQL(query).format(schema=pgsql.Identifier(schema))
                rows = conn.execute(statement).fetchall()
            else:
                rows = conn.execute(query, {"schema": schema}).fetchall()
            catalog[name] = sorted(tuple(str(value) for value in row) for row in rows)
    return catalog


def catalog_differences(left: dict[str, list[tuple]], right: dict[str, list[tuple]]) -> list[str]:
    differences = []
    for name in left.keys() | right.keys():
        only_left = sorted(set(left.get(name, [])) - set(right.get(name, [])))
        only_right = sorted(set(right.get(name, [])) - set(left.get(name, [])))
        differences += [f"{name}: only in the first: {row}" for row in only_left]
        differences += [f"{name}: only in the second: {row}" for row in only_right]
    return differences


SNAPSHOT_SCHEMAS = ("public",)  # plus the template schema, read from settings


def snapshot_schemas() -> tuple[str, ...]:
    from django.conf import settings

    return (*SNAPSHOT_SCHEMAS, settings.STRATO_TEMPLATE_SCHEMA)


def migrate_from_scratch(dbname: str) -> None:
    """What a first run did before the snapshot: every migration, in a child process."""
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + dbname
    env = {**os.environ, "DATABASE_URL": url}
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate_schemas", "--shared", "-v0"], env=env, cwd=ROOT, check=True
    )
    subprocess.run(
        [
            python,
            "-c",
            "import django; django.setup(); "
            "from apps.tenants.services import template_schema_ensure; template_schema_ensure()",
        ],
        env=env,
        cwd=ROOT,
        check=True,
    )


class BackgroundMigrate:
    """`migrate_from_scratch` of a new scratch database `name`, in a child process started now.

    The test suite starts it when it collects the snapshot test and runs that test last, so the
    minute-long migrate uses the second core while the other tests run."""

    def __init__(self, name: str) -> None:
        self._database = scratch_database(name)
        self.params = self._database.__enter__()
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "migrate-scratch", name],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait(self) -> None:
        output, _ = self._process.communicate()
        if self._process.returncode != 0:
            raise RuntimeError(f"migrate from scratch failed:\n{output[-3000:]}")

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()
        self._database.__exit__(None, None, None)


@contextlib.contextmanager
def scratch_database(name: str):
    """An empty database `name` on the default server, dropped afterwards."""
    import psycopg
    from psycopg import sql as pgsql

    identifier = pgsql.Identifier(name)
    with psycopg.connect(**connection_params("postgres"), autocommit=True) as conn:
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(identifier))
    try:
        yield connection_params(name)
    finally:
        with psycopg.connect(**connection_params("postgres"), autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))


def _pg_dump() -> str:
    """pg_dump of the embedded server's version (the pgserver wheel), else the PATH's."""
    with contextlib.suppress(ImportError):
        from pgserver._commands import POSTGRES_BIN_PATH

        return str(POSTGRES_BIN_PATH / "pg_dump")
    return "pg_dump"


def dump_sql(params: dict[str, Any]) -> str:
    """Plain SQL (INSERTs, no owners or grants) of the snapshot schemas, without comments."""
    command = [_pg_dump(), "--no-owner", "--no-privileges", "--inserts", "--rows-per-insert=500"]
    for schema in snapshot_schemas():
        command += ["--schema", schema]
    env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
    conninfo = [f"--dbname={params['dbname']}", f"--username={params.get('user') or 'postgres'}"]
    if params.get("host"):
        conninfo.append(f"--host={params['host']}")
    if params.get("port"):
        conninfo.append(f"--port={params['port']}")
    output = subprocess.run(
        command + conninfo, env=env, check=True, capture_output=True, text=True
    ).stdout
    kept = [
        line
        for line in output.splitlines()
        if line
        and not line.startswith(("--", "\\", "SET transaction_timeout"))
        # Every database has a public schema already.
        and line != "CREATE SCHEMA public;"
    ]
    return "\n".join(kept) + "\n"


def build() -> int:
    """Migrate a scratch database from scratch, dump it, then prove the dump restores equal."""
    fingerprint = migrations_fingerprint()
    started = time.perf_counter()
    with scratch_database("strato_snapshot_migrated") as migrated:
        print("Migrating a scratch database from scratch (a few minutes)…", flush=True)
        migrate_from_scratch(migrated["dbname"])
        sql = dump_sql(migrated)
        print("Restoring the dump into a second scratch database and comparing…", flush=True)
        with scratch_database("strato_snapshot_restored") as restored:
            restore_sql(restored, sql)
            for schema in snapshot_schemas():
                differences = catalog_differences(
                    schema_catalog(migrated, schema), schema_catalog(restored, schema)
                )
                if differences:
                    print("\n".join(differences[:50]), file=sys.stderr)
                    return 1
    SNAPSHOT_FILE.write_bytes(
        gzip.compress(f"{FINGERPRINT_PREFIX}{fingerprint}\n{sql}".encode(), mtime=0)
    )
    size = SNAPSHOT_FILE.stat().st_size // 1024
    print(
        f"Wrote {SNAPSHOT_FILE.relative_to(ROOT)} ({size} KiB) in "
        f"{time.perf_counter() - started:.0f}s"
    )
    return 0


def check() -> int:
    snapshot = snapshot_read()
    if snapshot is None or snapshot[0] != migrations_fingerprint():
        print(
            "scripts/schema_snapshot.sql.gz does not match the migrations: run "
            "`make schema-snapshot` and commit the file.",
            file=sys.stderr,
        )
        return 1
    print("Schema snapshot matches the migrations.")
    return 0


def main() -> int:
    action = sys.argv[1] if len(sys.argv) > 1 else ""
    if action not in {"build", "check", "restore", "migrate-scratch"}:
        print(__doc__, file=sys.stderr)
        return 2
    if action == "migrate-scratch":
        migrate_from_scratch(sys.argv[2])
        return 0
    _django_setup()
    if action == "build":
        return build()
    if action == "check":
        return check()
    print(restore_if_empty(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
