"""Schemathesis against the real app: both hosts' OpenAPI documents, every check, every role.

The app is served for real (pytest-django's live server: Django's threaded WSGI server on a free
port, against the test database) and `st run` fuzzes it from a separate process over HTTP, as an
integrator would. Seeds and example counts are fixed so a run is reproducible and fits the test
budget; a failure shows schemathesis's own summary with the curl line that reproduces it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from apps.accounts.models import Role
from apps.accounts.services import tokens_issue
from tests.accounts.factories import add_member
from tests.billing.factories import BillingAccountFactory
from tests.helpers import host_of
from tests.support.github import API as GITHUB_API

SCHEMATHESIS = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = 20261206
MAX_EXAMPLES = 4
# Wall-clock cap per run, so a slow machine degrades coverage rather than the suite's budget.
MAX_SECONDS_PER_RUN = 60


def schemathesis_run(*, base_url: str, host: str, headers: dict[str, str], tmp_path: Path):
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/api/schema/?format=json",
        "--url",
        base_url,
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        "--output-truncate",
        "false",
        "--header",
        f"Host: {host}",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    result = subprocess.run(  # our own venv's schemathesis, fixed arguments
        command,
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS_PER_RUN * 4,
        cwd=tmp_path,
        check=False,
    )
    (tmp_path / "schemathesis.txt").write_text(result.stdout + result.stderr)
    return result


@pytest.fixture
def served(live_server, settings, tenant, github_api, fast_github):
    from apps.tenants.services import tenancy_bootstrap

    # An earlier transactional test's flush removed the public tenant and its domain.
    tenancy_bootstrap()
    port = live_server.url.rsplit(":", 1)[1]
    settings.STRATO_PUBLIC_PORT = port
    # Configured as in production, so the webhooks verify signatures instead of answering 503.
    settings.GITHUB_WEBHOOK_SECRET = "fuzz-github-secret"
    settings.RESEND_WEBHOOK_SECRET = "whsec_" + "ZnV6ei1yZXNlbmQtc2VjcmV0"
    # Enterprise allows 3 000 requests a minute per principal: enough not to throttle the fuzzer.
    BillingAccountFactory(tenant=tenant, plan="enterprise", comped=True)
    # GitHub is stubbed at the HTTP layer in this process, where the live server's threads run.
    github_api.get(
        f"{GITHUB_API}/user",
        json={"login": "octocat", "id": 1},
        headers={"X-OAuth-Scopes": "repo, read:org"},
    )
    return {"base_url": f"http://127.0.0.1:{port}", "port": port}


def test_public_host_conforms_to_its_schema(served, tmp_path):
    result = schemathesis_run(
        base_url=served["base_url"],
        host=f"localhost:{served['port']}",
        headers={},
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN, Role.OWNER])
def test_tenant_host_conforms_to_its_schema(served, tenant, role, tmp_path):
    user = add_member(tenant, f"fuzz-{role}@acme.test", role)
    access = tokens_issue(user=user, tenant=tenant)["access"]
    result = schemathesis_run(
        base_url=served["base_url"],
        host=f"{host_of(tenant)}:{served['port']}",
        headers={"Authorization": f"Bearer {access}"},
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
