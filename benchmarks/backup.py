"""Backup and restore throughput: `manage.py backup` / `restore` vs. plain pg_dump / pg_restore.

The same database is backed up both ways in the same run, with the same pg_dump binary: the
baseline is `pg_dump --format=custom --file=…`; Strato's backup adds the snapshot, the migration
state, the SHA-256 of the stream, the manifest and the BackupRun row. Restores go into a fresh
scratch database each time: the baseline is CREATE DATABASE + `pg_restore --single-transaction`;
Strato's restore adds the manifest and migration checks and the checksum verification. Throughput
is the database's size (pg_database_size) over the wall time; ratios are baseline time over
Strato's time (1.0 = no overhead), the median of `BENCH_BACKUP_ROUNDS` rounds. Last line: JSON.

Data: `BENCH_BACKUP_ROWS` (default 1,000,000) rows of mixed text and numbers in a scratch table,
dropped at the end. Run with `make bench`, or
`python scripts/services.py exec --profile bench --settings strato.settings.bench -- python
benchmarks/backup.py`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strato.settings.bench")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from apps.tenants import backups, pg_client  # noqa: E402

ROWS = int(os.environ.get("BENCH_BACKUP_ROWS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_BACKUP_ROUNDS", "3"))
TABLE = "bench_backup_rows"


def fill() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS public.{TABLE}")
        cursor.execute(
            f"CREATE TABLE public.{TABLE} (id bigint PRIMARY KEY, email text, body text, "
            "score double precision, created_at timestamptz)"
        )
        cursor.execute(
            f"INSERT INTO public.{TABLE} SELECT i, 'lead' || i || '@example.com', "
            "md5(i::text) || repeat(md5((i * 7)::text), 2), random(), "
            "now() - i * interval '1 second' FROM generate_series(1, %s) AS i",
            [ROWS],
        )
        cursor.execute(f"ANALYZE public.{TABLE}")


def database_mb() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0] / 2**20


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def drop_database(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    fill()
    size_mb = database_mb()
    env = pg_client.environment()
    pg_dump, pg_restore = pg_client.program("pg_dump"), pg_client.program("pg_restore")
    rounds = []
    with tempfile.TemporaryDirectory(prefix="strato-bench-backup-") as work:
        folder = Path(work)
        for index in range(ROUNDS):
            plain = folder / f"plain-{index}.dump"
            baseline_backup, _ = timed(
                subprocess.run,
                [pg_dump, "--format=custom", f"--file={plain}"],
                env=env,
                check=True,
            )
            location = str(folder / "strato")
            strato_backup, result = timed(backups.backup_create, location=location, trigger="bench")
            backup_id = result.backup_id

            baseline_db, strato_db = (f"bench_restore_{uuid.uuid4().hex[:8]}" for _ in range(2))

            def baseline_restore_run(plain=plain, name=baseline_db) -> None:
                with connection.cursor() as cursor:
                    cursor.execute(f'CREATE DATABASE "{name}"')
                subprocess.run(
                    [
                        pg_restore,
                        "--single-transaction",
                        "--exit-on-error",
                        "--no-owner",
                        "--no-privileges",
                        f"--dbname={name}",
                        str(plain),
                    ],
                    env=env,
                    check=True,
                )

            try:
                baseline_restore, _ = timed(baseline_restore_run)
                strato_restore, _ = timed(
                    backups.backup_restore,
                    backup_id=backup_id,
                    location=location,
                    target_database=strato_db,
                    create_database=True,
                    trigger="bench",
                )
            finally:
                drop_database(baseline_db)
                drop_database(strato_db)
            rounds.append(
                {
                    "baseline_backup_s": baseline_backup,
                    "strato_backup_s": strato_backup,
                    "baseline_restore_s": baseline_restore,
                    "strato_restore_s": strato_restore,
                    "dump_mb": plain.stat().st_size / 2**20,
                }
            )
            print(
                f"round {index + 1}: backup {strato_backup:.2f}s (pg_dump {baseline_backup:.2f}s), "
                f"restore {strato_restore:.2f}s (pg_restore {baseline_restore:.2f}s)",
                flush=True,
            )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS public.{TABLE}")

    def median(key: str) -> float:
        return statistics.median(entry[key] for entry in rounds)

    backup_ratio = statistics.median(r["baseline_backup_s"] / r["strato_backup_s"] for r in rounds)
    restore_ratio = statistics.median(
        r["baseline_restore_s"] / r["strato_restore_s"] for r in rounds
    )
    figures = {
        "database_mb": round(size_mb, 1),
        "dump_mb": round(median("dump_mb"), 1),
        "backup_mb_per_s": round(size_mb / median("strato_backup_s"), 1),
        "pg_dump_mb_per_s": round(size_mb / median("baseline_backup_s"), 1),
        "restore_mb_per_s": round(size_mb / median("strato_restore_s"), 1),
        "pg_restore_mb_per_s": round(size_mb / median("baseline_restore_s"), 1),
        "backup_ratio": round(backup_ratio, 3),
        "restore_ratio": round(restore_ratio, 3),
        "rounds": ROUNDS,
        "rows": ROWS,
    }
    print(
        f"database {figures['database_mb']} MB: backup {figures['backup_mb_per_s']} MB/s vs "
        f"pg_dump {figures['pg_dump_mb_per_s']} MB/s; restore {figures['restore_mb_per_s']} MB/s "
        f"vs pg_restore {figures['pg_restore_mb_per_s']} MB/s"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
