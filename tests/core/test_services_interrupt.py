"""Ctrl-C during `make run`'s set-up stops the PostgreSQL and Redis it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts import services

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {seconds}s")


def servers_of(data: Path) -> list:
    return services.processes_in(data / "dev" / "pg") + services.processes_in(
        data / "dev" / "redis"
    )


@pytest.mark.parametrize(
    "interrupt_when",
    ["Starting PostgreSQL", "Applying migrations (shared schema)", "Creating the demo tenant"],
)
def test_ctrl_c_during_set_up_leaves_no_server_running(tmp_path, interrupt_when):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["STRATO_DATA_DIR"] = str(tmp_path)
    log = tmp_path / "run.log"
    with log.open("w") as output:
        # A session of its own, so the SIGINT below reaches every process of it, as a
        # terminal's Ctrl-C reaches the foreground process group.
        process = subprocess.Popen(
            [sys.executable, "scripts/services.py", "run"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: interrupt_when in log.read_text(), 120, interrupt_when)
        if interrupt_when == "Starting PostgreSQL":
            # Mid-start: the first server process exists, the set-up has not finished.
            wait_for(lambda: servers_of(tmp_path), 60, "a server process")
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) != 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert servers_of(tmp_path) == [], log.read_text()[-3000:]
    assert not (tmp_path / "dev" / "pg" / "postmaster.pid").exists()
