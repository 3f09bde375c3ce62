"""Schemathesis against the real app: both hosts' OpenAPI documents, every check, every role.

The app is served for real (pytest-django's live server: Django's threaded WSGI server on a free
port, against the test database) and `st run` fuzzes it over HTTP from separate processes, as
integrators would: the public host anonymously, the tenant host once per role (member, admin,
owner), all four at once so the run fits the test budget. Seeds and example counts are fixed;
a failure shows schemathesis's own summary with a curl line per finding.

Phases: examples, fuzzing and stateful (links between operations, use after delete). The
coverage phase (systematic boundary values for every parameter) takes minutes on its own and
is left to a manual `st run --phases coverage` (see README, "API fuzzing").
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import responses

from apps.accounts.models import Role
from apps.accounts.services import tokens_issue
from tests.accounts.factories import MembershipFactory, UserFactory, add_member
from tests.billing.factories import BillingAccountFactory
from tests.campaigns.support import resend_domain
from tests.helpers import host_of
from tests.support.github import API as GITHUB_API

pytestmark = pytest.mark.fuzz

SCHEMATHESIS = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")
RESEND = "https://resend.fuzz.test"
SEED = 20261206
MAX_EXAMPLES = 4
RUN_TIMEOUT_SECONDS = 300


def schemathesis_command(*, base_url: str, host: str, headers: dict[str, str]) -> list[str]:
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
        "--phases",
        "examples,fuzzing,stateful",
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
        # These call Stripe, which the test server does not have (they answer 503
        # `stripe_not_configured`); tests/billing covers them against Stripe stubbed over HTTP.
        "--exclude-operation-id-regex",
        "^billing_(checkout|portal)$",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return command


def stub_resend_domains(stub, settings) -> None:
    """Resend's domains API, answering as Resend does for the domains it was given."""
    settings.RESEND_API_URL = RESEND
    settings.ANYMAIL = {**settings.ANYMAIL, "RESEND_API_KEY": "re_fuzz_key"}
    names: dict[str, str] = {}

    def create(request):
        domain_id = str(uuid.uuid4())
        names[domain_id] = json.loads(request.body)["name"]
        return 201, {}, json.dumps(resend_domain(names[domain_id], domain_id=domain_id))

    def read(request):
        domain_id = request.path_url.split("/")[2]
        if domain_id not in names:
            return 404, {}, json.dumps({"name": "not_found", "message": "Domain not found"})
        if request.method == "DELETE":
            names.pop(domain_id)
            return 200, {}, json.dumps({"object": "domain", "id": domain_id, "deleted": True})
        if request.path_url.endswith("/verify"):
            return 200, {}, json.dumps({"object": "domain", "id": domain_id})
        return 200, {}, json.dumps(resend_domain(names[domain_id], "pending", domain_id))

    stub.add_callback(responses.POST, f"{RESEND}/domains", callback=create)
    one = re.compile(rf"{re.escape(RESEND)}/domains/[^/]+(/verify)?$")
    for method in (responses.GET, responses.POST, responses.DELETE):
        stub.add_callback(method, one, callback=read)


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
    # The GitHub App's OAuth client, so linking starts (it signs a state; GitHub is not called).
    settings.GITHUB_APP_SLUG = "strato-fuzz"
    settings.GITHUB_APP_CLIENT_ID = "Iv1.fuzz"
    settings.GITHUB_APP_CLIENT_SECRET = "fuzz-client-secret"
    # The stateful phase links with a state it got from the API; the code it makes up is
    # refused by GitHub as GitHub refuses one (200 with an `error`).
    github_api.post(
        "https://github.com/login/oauth/access_token",
        json={
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
            "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
        },
    )
    stub_resend_domains(github_api, settings)
    # Enterprise allows 3 000 requests a minute per principal: enough not to throttle the fuzzer.
    BillingAccountFactory(tenant=tenant, plan="enterprise", comped=True)
    # GitHub is stubbed at the HTTP layer in this process, where the live server's threads run.
    github_api.get(
        f"{GITHUB_API}/user",
        json={"login": "octocat", "id": 1},
        headers={"X-OAuth-Scopes": "repo, read:org"},
    )
    # The member whose role the fuzzer changes and whom it removes (see schemathesis.toml).
    target = MembershipFactory(
        tenant=tenant, user=UserFactory(email="fuzz-target@acme.test"), role=Role.MEMBER
    )
    # Each document is generated once before the runs start: drf-spectacular loads its
    # extensions lazily, and four first requests at once in the server's threads race on that.
    github_api.add_passthru(f"http://127.0.0.1:{port}")
    for host in ("localhost", host_of(tenant)):
        document = requests.get(
            f"http://127.0.0.1:{port}/api/schema/?format=json",
            headers={"Host": f"{host}:{port}"},
            timeout=60,
        )
        assert document.status_code == 200, document.text[:500]
    return {
        "base_url": f"http://127.0.0.1:{port}",
        "port": port,
        "target_member": str(target.public_id),
    }


def test_both_hosts_conform_to_their_openapi_documents(served, tenant, tmp_path):
    base_url, port = served["base_url"], served["port"]
    runs = {
        "public host": schemathesis_command(base_url=base_url, host=f"localhost:{port}", headers={})
    }
    for role in (Role.MEMBER, Role.ADMIN, Role.OWNER):
        user = add_member(tenant, f"fuzz-{role}@acme.test", role)
        access = tokens_issue(user=user, tenant=tenant)["access"]
        runs[f"tenant host as {role}"] = schemathesis_command(
            base_url=base_url,
            host=f"{host_of(tenant)}:{port}",
            headers={"Authorization": f"Bearer {access}"},
        )
    env = {**os.environ, "STRATO_FUZZ_MEMBER_ID": served["target_member"]}
    outputs = {name: tmp_path / f"{name.replace(' ', '-')}.txt" for name in runs}
    processes = {}
    for name, command in runs.items():
        with open(outputs[name], "w") as output:
            processes[name] = subprocess.Popen(  # our venv's schemathesis, fixed arguments
                command, stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path, env=env
            )
    failed = {}
    for name, process in processes.items():
        if process.wait(timeout=RUN_TIMEOUT_SECONDS) != 0:
            failed[name] = outputs[name].read_text()

    assert not failed, "\n\n".join(f"===== {name} =====\n{text}" for name, text in failed.items())
