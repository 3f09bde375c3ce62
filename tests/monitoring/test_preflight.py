"""`manage.py preflight` against the real database and Redis of the test run."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from apps.monitoring.preflight import ERROR, WARNING, preflight


@pytest.fixture
def production_like(settings, tmp_path, monkeypatch):
    """Settings a production deployment would have, on the test run's services."""
    monkeypatch.setenv("DATABASE_URL", "postgres://set-by-the-platform")
    monkeypatch.setenv("REDIS_URL", "redis://set-by-the-platform")
    # The browser tests' Playwright needs it; a production environment never sets it.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    settings.DEBUG = False
    settings.SECRET_KEY = "k" + Fernet.generate_key().decode() * 2
    settings.ALLOWED_HOSTS = ["strato.example", ".strato.example"]
    settings.STRATO_BASE_DOMAIN = "strato.example"
    settings.STRATO_URL_SCHEME = "https"
    settings.EMAIL_BACKEND = "anymail.backends.resend.EmailBackend"
    settings.ANYMAIL = {"RESEND_API_KEY": "re_test"}
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "another-signing-key"}
    settings.BACKUP_LOCATION = "s3://strato-backups/production"
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "staticfiles.json").write_text("{}")
    return settings


def test_a_production_ready_deployment_passes(production_like, db):
    out = StringIO()
    try:
        call_command("preflight", "--require-migrated", stdout=out)
    finally:
        print(out.getvalue())
    assert "Preflight passed (0 warning(s))." in out.getvalue()


def test_every_problem_is_listed_and_the_command_fails(production_like, db):
    production_like.DEBUG = True
    production_like.FIELD_ENCRYPTION_KEYS = []
    production_like.STRATO_BASE_DOMAIN = "localhost"
    (production_like.STATIC_ROOT / "staticfiles.json").unlink()
    out = StringIO()
    with pytest.raises(CommandError, match="Preflight failed"):
        call_command("preflight", "--json", stdout=out)
    problems = json.loads(out.getvalue())

    def reported(check: str, start: str) -> bool:
        return any(
            p["check"] == check and p["severity"] == ERROR and p["message"].startswith(start)
            for p in problems
        )

    assert reported("settings", "DEBUG is on.")
    assert reported("settings", "STRATO_BASE_DOMAIN is localhost.")
    assert reported("static files", "not collected: ")
    assert reported("secrets", "FIELD_ENCRYPTION_KEYS is empty:")
    assert reported("check --deploy", "security.W018:")


def test_unapplied_migrations_warn_before_and_fail_after_migrating(production_like, tenant):
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{tenant.schema_name}".django_migrations '
            "WHERE app = 'campaigns' AND name = '0001_initial'"
        )
    before = [p for p in preflight() if p.check == "migrations"]
    after = [p for p in preflight(require_migrated=True) if p.check == "migrations"]
    assert [p.severity for p in before] == [WARNING]
    assert [p.severity for p in after] == [ERROR]
    assert f"{tenant.schema_name} (1)" in after[0].message


def test_migrations_unknown_to_the_code_are_reported(production_like, tenant):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO public.django_migrations (app, name, applied) "
            "VALUES ('campaigns', '9999_from_the_next_release', now())"
        )
    problems = [p for p in preflight(require_migrated=True) if p.check == "migrations"]
    assert len(problems) == 1
    assert problems[0].severity == WARNING
    assert "campaigns.9999_from_the_next_release" in problems[0].message


def test_old_field_encryption_keys_are_due_for_removal(production_like, db):
    production_like.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode() for _ in range(2)]
    problems = [p for p in preflight(check_services=False) if p.check == "secrets"]
    assert [p.severity for p in problems] == [WARNING]
    assert "drop the others" in problems[0].message
