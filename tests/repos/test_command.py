import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.repos.support import stub_repository

CORPUS = "tests/repos/corpus/django-drf-postgres"


def test_a_local_folder_needs_neither_network_nor_database(github_api):
    out = StringIO()
    call_command("analyze_repo", CORPUS, "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert set(report) >= {"languages", "technologies", "components"}
    assert {"django", "postgresql"} <= {item["slug"] for item in report["technologies"]}
    assert len(github_api.calls) == 0  # and pytest-django blocks the database here


def test_the_text_report(github_api):
    out = StringIO()
    call_command("analyze_repo", CORPUS, stdout=out)
    text = out.getvalue()
    assert "Languages:" in text
    assert "Technologies:" in text
    assert "Django" in text


def test_a_github_url_is_downloaded(github_api, fast_github):
    stub_repository(github_api)
    out = StringIO()
    call_command("analyze_repo", "https://github.com/octo/hello", "--json", stdout=out)
    assert "django" in {item["slug"] for item in json.loads(out.getvalue())["technologies"]}


def test_neither_folder_nor_github_url():
    with pytest.raises(CommandError, match="not_github_url"):
        call_command("analyze_repo", "https://gitlab.com/octo/hello")
