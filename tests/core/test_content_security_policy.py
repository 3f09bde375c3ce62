"""The Content-Security-Policy runs scripts from our own files only (no inline script, Swagger
UI included) and pins the document base URL; pages carry no inline script for it to block."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.helpers import host_of, signed_in

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_no_inline_script(html: str) -> list[str]:
    sources = []
    for attributes, body in SCRIPT_TAG.findall(html):
        match = re.search(r'src="([^"]+)"', attributes)
        assert match, f"inline script: {attributes} {body[:80]}"
        assert not body.strip(), f"inline script: {attributes} {body[:80]}"
        sources.append(match.group(1))
    return sources


def test_policy_allows_no_inline_script_and_pins_base_uri():
    policy = directives(Client(HTTP_HOST="localhost").get("/"))

    assert policy["script-src"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.parametrize("host", ["public", "tenant"])
def test_swagger_ui_loads_its_start_up_script_from_a_url(host, tenant):
    client = Client(HTTP_HOST="localhost" if host == "public" else host_of(tenant))

    page = client.get("/api/docs/")

    assert page.status_code == 200
    sources = assert_no_inline_script(page.content.decode())
    start_up = [src for src in sources if "script" in src.split("?", 1)[-1]]
    assert start_up == ["/api/docs/?script="]
    script = client.get(start_up[0])
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_template_editor_preview_script_is_a_static_file(tenant, owner):
    page = signed_in(tenant, owner).get("/templates/new/")

    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    assert assert_no_inline_script(html) == ["/static/js/template_preview.js"]
    assert 'data-preview-url="/templates/preview/"' in html
