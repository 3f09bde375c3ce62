"""`manage.py preflight`: is this release fit to serve production? Read-only.

Each check returns problems; an *error* fails the preflight (non-zero exit), a *warning* is
reported only. Secrets due for rotation are asked of every function in `SECRET_CHECKS`: today the
ones below, which read settings; the secrets registry will register its own with
`secret_check` and they will be reported the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core import checks as django_checks
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_redis import get_redis_connection
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_exists

INSECURE_SECRET_KEY = "insecure-development-key-change-me"
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    check: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.check}: {self.message}"


SecretCheck = Callable[[], list[Problem]]
SECRET_CHECKS: list[SecretCheck] = []


def secret_check(function: SecretCheck) -> SecretCheck:
    """Register a function reporting secrets that are missing or due for rotation."""
    SECRET_CHECKS.append(function)
    return function


def _settings_problems() -> list[Problem]:
    problems = []

    def error(message: str) -> None:
        problems.append(Problem("settings", ERROR, message))

    if settings.DEBUG:
        error("DEBUG is on.")
    if settings.SECRET_KEY == INSECURE_SECRET_KEY or len(set(settings.SECRET_KEY)) < 5:
        error("DJANGO_SECRET_KEY is the development default or trivial.")
    elif len(settings.SECRET_KEY) < 50:
        error("DJANGO_SECRET_KEY is shorter than 50 characters.")
    if "*" in settings.ALLOWED_HOSTS:
        error("ALLOWED_HOSTS accepts any host ('*').")
    if settings.STRATO_BASE_DOMAIN in {"localhost", "127.0.0.1"}:
        error("STRATO_BASE_DOMAIN is localhost.")
    if settings.STRATO_URL_SCHEME != "https":
        error("STRATO_URL_SCHEME is not https.")
    for variable in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(variable):
            error(f"{variable} is not set (the default points at localhost).")
    if settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend")):
        error(f"EMAIL_BACKEND {settings.EMAIL_BACKEND} sends no mail.")
    if "anymail.backends.resend" in settings.EMAIL_BACKEND and not settings.ANYMAIL.get(
        "RESEND_API_KEY"
    ):
        error("EMAIL_BACKEND is Resend but RESEND_API_KEY is empty.")
    if not settings.BACKUP_LOCATION:
        error("BACKUP_LOCATION is empty.")
    elif not settings.BACKUP_LOCATION.startswith("s3://") and str(
        Path(settings.BACKUP_LOCATION).resolve()
    ).startswith(str(Path(settings.BASE_DIR).resolve())):
        problems.append(
            Problem(
                "settings",
                WARNING,
                "BACKUP_LOCATION is inside the application folder; backups die with the host.",
            )
        )
    return problems


def _deploy_check_problems() -> list[Problem]:
    """`manage.py check --deploy`, warnings included."""
    messages = django_checks.run_checks(include_deployment_checks=True)
    return [
        Problem("check --deploy", ERROR, f"{message.id}: {message.msg}")
        for message in messages
        if message.level >= django_checks.WARNING and not message.is_silenced()
    ]


def _services_problems() -> list[Problem]:
    problems = []
    try:
        connection.ensure_connection()
    except Exception as exc:
        problems.append(Problem("database", ERROR, f"unreachable: {exc}"))
    try:
        get_redis_connection("default").ping()
    except Exception as exc:
        problems.append(Problem("redis", ERROR, f"unreachable: {exc}"))
    return problems


def schema_migration_state() -> dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]]:
    """Per schema in use (public and every tenant's, template and spares included):
    (unapplied migrations, applied migrations unknown to the code)."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    public = get_public_schema_name()
    tenant_schemas = get_tenant_model().objects.exclude(schema_name=public)
    schemas = [public, *sorted(tenant_schemas.values_list("schema_name", flat=True))]
    state: dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]] = {}
    with connection.cursor() as cursor:
        for schema in schemas:
            if not schema_exists(schema):
                state[schema] = (known, set())
                continue
            quoted = '"' + schema.replace('"', '""') + '"'
            cursor.execute(f"SELECT app, name FROM {quoted}.django_migrations")  # noqa: S608
            applied = {(app, name) for app, name in cursor.fetchall()}
            state[schema] = (known - applied, applied - known)
    return state


def _migration_problems(*, require_migrated: bool) -> list[Problem]:
    try:
        state = schema_migration_state()
    except Exception as exc:
        return [Problem("migrations", ERROR, f"cannot read the migration state: {exc}")]
    if not state:
        return [Problem("migrations", ERROR if require_migrated else WARNING, "empty database")]
    behind = {schema: len(unapplied) for schema, (unapplied, _) in state.items() if unapplied}
    ahead = {schema: sorted(unknown) for schema, (_, unknown) in state.items() if unknown}
    problems = []
    if behind:
        sample = ", ".join(f"{schema} ({count})" for schema, count in list(behind.items())[:5])
        problems.append(
            Problem(
                "migrations",
                ERROR if require_migrated else WARNING,
                f"{len(behind)} schema(s) with unapplied migrations: {sample}",
            )
        )
    if ahead:
        schema, unknown = next(iter(ahead.items()))
        problems.append(
            Problem(
                "migrations",
                WARNING,
                f"{len(ahead)} schema(s) have migrations this code does not know (a newer release "
                f"ran; fine while rolling back across one release): {schema}: "
                + ", ".join(f"{app}.{name}" for app, name in unknown[:3]),
            )
        )
    return problems


def _static_problems() -> list[Problem]:
    if not settings.STATIC_ROOT:
        return [Problem("static files", ERROR, "STATIC_ROOT is not set.")]
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.is_file():
        return [
            Problem("static files", ERROR, f"not collected: {manifest} is missing (collectstatic)")
        ]
    return []


@secret_check
def _field_encryption_keys() -> list[Problem]:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        return [
            Problem(
                "secrets",
                ERROR,
                "FIELD_ENCRYPTION_KEYS is empty: stored secrets are encrypted with a key derived "
                "from DJANGO_SECRET_KEY, so rotating that key would make them unreadable.",
            )
        ]
    if len(keys) > 1:
        return [
            Problem(
                "secrets",
                WARNING,
                f"FIELD_ENCRYPTION_KEYS holds {len(keys)} keys: once every stored secret is "
                "re-encrypted with the first (apps.core.encryption.rotate), drop the others.",
            )
        ]
    return []


@secret_check
def _jwt_signing_key() -> list[Problem]:
    if settings.SIMPLE_JWT.get("SIGNING_KEY") == settings.SECRET_KEY:
        return [
            Problem(
                "secrets",
                WARNING,
                "JWT_SIGNING_KEY is not set: tokens are signed with DJANGO_SECRET_KEY, so "
                "neither can be rotated alone.",
            )
        ]
    return []


@secret_check
def _github_previous_webhook_secret() -> list[Problem]:
    expires = settings.GITHUB_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT
    if not settings.GITHUB_WEBHOOK_PREVIOUS_SECRET or not expires:
        return []
    when = expires if isinstance(expires, datetime) else parse_datetime(str(expires))
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
    if when is not None and when < timezone.now():
        return [
            Problem(
                "secrets",
                WARNING,
                "GITHUB_WEBHOOK_PREVIOUS_SECRET expired; remove it (the rotation is over).",
            )
        ]
    return []


def preflight(*, require_migrated: bool = False, check_services: bool = True) -> list[Problem]:
    """Every problem found. `require_migrated`: unapplied migrations are errors (after a deploy)."""
    problems = _settings_problems() + _deploy_check_problems() + _static_problems()
    if check_services:
        problems += _services_problems()
        if not any(problem.check == "database" for problem in problems):
            problems += _migration_problems(require_migrated=require_migrated)
    for check in SECRET_CHECKS:
        problems += check()
    return problems
