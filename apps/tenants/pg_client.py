"""PostgreSQL's own client programs (pg_dump, pg_restore, psql), of the server's major version.

pg_dump refuses a newer server, and a dump made by a newer pg_dump may not load into an older
server, so the client's major version must equal the server's. Candidates, first match wins:
`BACKUP_PG_BIN_DIR` (when set, the only candidate), the binaries shipped inside the `pgserver`
wheel (development and tests), Debian's `/usr/lib/postgresql/<major>/bin`, then `PATH`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import connection


class ClientVersionMismatch(RuntimeError):
    pass


def server_major_version() -> int:
    connection.ensure_connection()
    return int(connection.pg_version) // 10000  # type: ignore[attr-defined]


def _pgserver_bin_dir() -> Path | None:
    try:
        import pgserver
    except ImportError:
        return None
    folder = Path(pgserver.__file__).parent / "pginstall" / "bin"
    return folder if folder.is_dir() else None


@lru_cache(maxsize=16)
def client_major_version(pg_dump: str) -> int | None:
    try:
        output = subprocess.run(  # noqa: S603 (a path we chose, no shell)
            [pg_dump, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\) (\d+)", output)
    return int(match.group(1)) if match else None


def _candidate_dirs(server_major: int) -> list[Path]:
    if settings.BACKUP_PG_BIN_DIR:
        return [Path(settings.BACKUP_PG_BIN_DIR)]
    candidates = [_pgserver_bin_dir(), Path(f"/usr/lib/postgresql/{server_major}/bin")]
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).parent)
    return [folder for folder in candidates if folder is not None]


def bin_dir() -> Path:
    """The folder whose pg_dump has the server's major version."""
    server_major = server_major_version()
    seen = []
    for folder in _candidate_dirs(server_major):
        client_major = client_major_version(str(folder / "pg_dump"))
        if client_major == server_major:
            return folder
        seen.append(f"{folder} ({client_major or 'no pg_dump'})")
    raise ClientVersionMismatch(
        f"No pg_dump of PostgreSQL {server_major} found (server major version {server_major}); "
        f"looked in: {', '.join(seen) or 'nothing'}. Install postgresql-client-{server_major} "
        "or set BACKUP_PG_BIN_DIR."
    )


def program(name: str) -> str:
    return str(bin_dir() / name)


def environment(*, database: str | None = None) -> dict[str, str]:
    """libpq variables for the configured database; the password never appears in argv."""
    params = connection.settings_dict
    env = {**os.environ}
    values = {
        "PGHOST": params.get("HOST") or "",
        "PGPORT": str(params.get("PORT") or ""),
        "PGUSER": params.get("USER") or "",
        "PGPASSWORD": params.get("PASSWORD") or "",
        "PGDATABASE": database or params["NAME"],
    }
    env.update({key: value for key, value in values.items() if value})
    return env
