"""First run and test database set-up: schema snapshot vs. replaying every migration.

1. First `make run`: `scripts/services.py run` on a fresh data folder (new PostgreSQL cluster and
   Redis), timed until the demo tenant's dashboard answers over HTTP (`demo.localhost`). The
   baseline is the same command with STRATO_SCHEMA_SNAPSHOT=off, which migrates from scratch as
   every first run did before the snapshot.
2. Test database set-up: one database test (`pytest` on a fresh test data folder), which builds
   the test database, with and without the snapshot.

Both sides run in this process's run, one after the other; the last line is JSON. Packages are
assumed installed (`make install`). Takes about eight minutes on two cores, most of it the
baselines. Run with `make bench` or `python benchmarks/first_run.py`.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = float(os.environ.get("BENCH_FIRST_RUN_TIMEOUT", "600"))
# A quick test that needs the database: pytest builds the whole test database for it.
DB_TEST = "tests/core/test_request_id.py::test_api_errors_and_unknown_hosts_carry_the_id"


def clean_env(data_dir: str, *, snapshot: bool) -> dict[str, str]:
    """This machine's environment without the services `make bench` started for the others."""
    drop = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    env = {name: value for name, value in os.environ.items() if name not in drop}
    env["STRATO_DATA_DIR"] = data_dir
    if not snapshot:
        env["STRATO_SCHEMA_SNAPSHOT"] = "off"
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/", headers={"Host": f"demo.localhost:{port}"})
        status = conn.getresponse().status
        conn.close()
    except OSError:
        return False
    return status in (200, 302)


def first_run_seconds(*, snapshot: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="strato-first-run-") as data_dir:
        port = free_port()
        env = {
            **clean_env(data_dir, snapshot=snapshot),
            "STRATO_DEV_PORT": str(port),
            "STRATO_PUBLIC_PORT": str(port),
        }
        log = Path(data_dir) / "run.log"
        started = time.perf_counter()
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "scripts/services.py", "run"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            while not demo_answers(port):
                if process.poll() is not None or time.perf_counter() - started > TIMEOUT_SECONDS:
                    raise RuntimeError("make run did not answer:\n" + log.read_text()[-3000:])
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
        finally:
            # Ctrl-C, as a person would: services.py stops what it started.
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        return elapsed


def test_db_setup_seconds(*, snapshot: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="strato-test-db-") as data_dir:
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "scripts/services.py",
                "exec",
                "--profile",
                "test",
                "--",
                sys.executable,
                "-m",
                "pytest",
                "-q",
                DB_TEST,
            ],
            cwd=ROOT,
            env=clean_env(data_dir, snapshot=snapshot),
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started


def main() -> int:
    results = {}
    for label, snapshot in (("baseline_", False), ("", True)):
        print(f"first run, {'snapshot' if snapshot else 'full migrate'}…", flush=True)
        results[f"{label}first_run_s"] = round(first_run_seconds(snapshot=snapshot), 1)
        print(f"test database set-up, {'snapshot' if snapshot else 'full migrate'}…", flush=True)
        results[f"{label}test_db_setup_s"] = round(test_db_setup_seconds(snapshot=snapshot), 1)
    results["first_run_speedup"] = round(
        results["baseline_first_run_s"] / results["first_run_s"], 2
    )
    results["test_db_setup_speedup"] = round(
        results["baseline_test_db_setup_s"] / results["test_db_setup_s"], 2
    )
    print(
        f"first run to the demo tenant answering: {results['first_run_s']}s with the snapshot, "
        f"{results['baseline_first_run_s']}s migrating from scratch "
        f"(x{results['first_run_speedup']}); test database set-up (one test): "
        f"{results['test_db_setup_s']}s vs {results['baseline_test_db_setup_s']}s"
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
