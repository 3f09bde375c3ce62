"""Access logs (runserver's through Django logging, gunicorn's in production) never record the
secrets in hand-off, invitation, signup-confirmation and password-reset links, and gunicorn
logs the client behind the proxy rather than the proxy."""

from __future__ import annotations

import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from apps.core.accesslog import redact_secrets
from apps.core.logging import RedactSecretsFilter

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "docker" / "gunicorn.conf.py"
SECRET = "eyJ1c2VyIjoiNGYx.Zx9-Qm_S3cr3t"  # pragma: allowlist secret (a fake link token)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /handoff/{SECRET}/ HTTP/1.1", "GET /handoff/[redacted]/ HTTP/1.1"),
        (f"/invitations/{SECRET}/", "/invitations/[redacted]/"),
        (f"/signup/confirm/{SECRET}/", "/signup/confirm/[redacted]/"),
        (f"/password-reset/MQ/{SECRET}/", "/password-reset/[redacted]/[redacted]/"),
        ("/password-reset/MQ/set-password/", "/password-reset/[redacted]/[redacted]/"),
        (f"/t/open?token={SECRET}&x=1", "/t/open?token=[redacted]&x=1"),
        # Not secrets: left readable.
        ("/api/invitations/accept", "/api/invitations/accept"),
        ("/password-reset/sent/", "/password-reset/sent/"),
        ("/password-reset/done/", "/password-reset/done/"),
        ("/api/campaigns?cursor=abc", "/api/campaigns?cursor=abc"),
    ],
)
def test_redact_secrets(line, expected):
    assert redact_secrets(line) == expected


def test_django_log_lines_are_redacted_by_the_console_handler():
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        (f"GET /handoff/{SECRET}/ HTTP/1.1", "302", "0"), None,
    )  # fmt: skip

    assert RedactSecretsFilter().filter(record) is True

    assert record.getMessage() == '"GET /handoff/[redacted]/ HTTP/1.1" 302 0'
    # The configuration routes runserver's access log and the root through the filter.
    for logger in (logging.getLogger("django.server"), logging.getLogger()):
        filters = [f for h in logger.handlers for f in h.filters]
        assert any(isinstance(f, RedactSecretsFilter) for f in filters), logger.name


def test_gunicorn_access_log_redacts_and_names_the_client_behind_the_proxy(monkeypatch):
    monkeypatch.setenv("NUM_PROXIES", "1")
    conf = runpy.run_path(str(GUNICORN_CONF))
    access_logger = conf["logger_class"](Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/signup/confirm/{SECRET}/",
        "PATH_INFO": f"/signup/confirm/{SECRET}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.2",
        "HTTP_X_FORWARDED_FOR": "198.51.100.66, 203.0.113.9",
        "HTTP_REFERER": f"http://localhost/signup/confirm/{SECRET}/",
    }
    response = SimpleNamespace(
        status="302 Found",
        headers=[
            ("Location", f"http://acme.localhost/handoff/{SECRET}/"),
            ("X-Request-ID", "r-1234567890"),
        ],
        sent=0,
    )
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])

    atoms = access_logger.atoms(response, request, environ, timedelta(milliseconds=12))
    line = conf["access_log_format"] % atoms

    assert SECRET not in line
    assert all(SECRET not in str(value) for value in atoms.values())
    assert line.startswith('203.0.113.9 "GET /signup/confirm/[redacted]/ HTTP/1.1" 302')
    assert atoms["{location}o"] == "http://acme.localhost/handoff/[redacted]/"
