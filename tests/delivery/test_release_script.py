"""scripts/release.sh: its steps in order, and a failure that restores nothing.

`manage.py` is replaced by a recorder (PYTHON points at it): the script's own logic is what runs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def recorder(tmp_path):
    """A stand-in for `python manage.py …` that logs each call and fails on request."""
    log = tmp_path / "calls.log"
    script = tmp_path / "python"
    script.write_text(
        "#!/bin/sh\n"
        "shift  # manage.py\n"
        f'echo "$*" >> {log}\n'
        'if [ "$1" = backup ]; then echo "Backup written."; echo "$BACKUP_ID"; fi\n'
        'if [ -n "$FAIL_ON" ] && [ "$*" = "$FAIL_ON" ]; then exit 1; fi\n'
    )
    script.chmod(0o755)
    return script, log


def run_release(recorder, **env) -> tuple[subprocess.CompletedProcess, list[str]]:
    script, log = recorder
    result = subprocess.run(
        ["sh", "scripts/release.sh"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHON": str(script),
            "BACKUP_ID": "database-20260101T000000000000Z",
            **env,
        },
        capture_output=True,
        text=True,
    )
    return result, log.read_text().splitlines() if log.exists() else []


def test_release_runs_every_step_in_order(recorder):
    result, calls = run_release(recorder)
    assert result.returncode == 0, result.stderr
    assert calls == [
        "preflight",
        "backup --trigger release --prune",
        "migrate_schemas --shared --noinput",
        "bootstrap_tenancy",
        "migrate_schemas --tenant --noinput",
        "preflight --require-migrated",
    ]
    assert "pre-release backup database-20260101T000000000000Z" in result.stdout


def test_a_failed_migration_stops_and_restores_nothing(recorder):
    result, calls = run_release(recorder, FAIL_ON="migrate_schemas --tenant --noinput")
    assert result.returncode == 1
    assert calls[-1] == "migrate_schemas --tenant --noinput"
    assert not any(call.startswith("restore") for call in calls)
    assert "database-20260101T000000000000Z" in result.stderr
    assert "Nothing was restored" in result.stderr


def test_a_failed_preflight_changes_nothing(recorder):
    result, calls = run_release(recorder, FAIL_ON="preflight")
    assert result.returncode == 1
    assert calls == ["preflight"]
    assert "release FAILED at: preflight" in result.stderr
