"""A lead's GitHub account: its public repositories discovered on GitHub and queued for analysis.

GitHub is stubbed at the HTTP layer with the shape of `GET /users/{username}/repos`; the task,
the client, the services and billing run for real, in the tenant's schema.
"""

import logging
import time
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.billing.models import UsageCounter
from apps.billing.services import billing_plan_set, entitlement_consume
from apps.repos.models import Analysis, Repository
from apps.repos.tasks import github_account_analyse
from tests.repos.factories import RepositoryFactory
from tests.repos.support import (
    API,
    calls_to,
    repo_metadata,
    reset_repositories,
    stub_metadata,
    stub_user_repos,
    user_repo,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean(tenant, other_tenant, fast_github, settings):
    settings.LEAD_REPOSITORIES_MAX = 3
    settings.LEAD_REPOSITORIES_FRESH_DAYS = 7
    reset_repositories(tenant, other_tenant)


def analyse(tenant, **kwargs):
    """Run the task as a worker would: from the public schema, switched by its header."""
    connection.set_schema_to_public()
    return github_account_analyse.apply(
        kwargs=kwargs, headers={"_schema_name": tenant.schema_name}, throw=True
    ).result


def queued(tenant) -> list[tuple[str, str, str, str]]:
    with schema_context(tenant.schema_name):
        return sorted(
            (a.repository.full_name, a.status, a.trigger, a.repository.source)
            for a in Analysis.objects.select_related("repository")
        )


def ada_repos() -> list[dict]:
    """Six repositories in GitHub's order (most recently pushed first), two not worth it."""
    return [
        user_repo("ada", "fork-of-django", repo_id=6, pushed_at="2026-05-06T10:00:00Z", fork=True),
        user_repo("ada", "engine", repo_id=5, pushed_at="2026-05-05T10:00:00Z"),
        user_repo("ada", "old-notes", repo_id=4, pushed_at="2026-05-04T10:00:00Z", archived=True),
        user_repo("ada", "empty", repo_id=3, pushed_at="2026-05-03T10:00:00Z", size=0),
        user_repo("ada", "compiler", repo_id=2, pushed_at="2026-05-02T10:00:00Z"),
        user_repo("ada", "notes", repo_id=1, pushed_at="2026-05-01T10:00:00Z"),
        user_repo("ada", "oldest", repo_id=7, pushed_at="2025-01-01T10:00:00Z"),
    ]


def test_a_username_queues_its_most_recently_pushed_own_repositories(
    tenant, other_tenant, github_api
):
    stub_user_repos(github_api, "ada", ada_repos())

    assert analyse(tenant, login="ada") == 3

    assert queued(tenant) == [
        ("ada/compiler", "queued", "lead", "lead"),
        ("ada/engine", "queued", "lead", "lead"),
        ("ada/notes", "queued", "lead", "lead"),
    ]
    request = github_api.calls[0].request
    assert request.url.startswith(f"{API}/users/ada/repos?")
    assert request.params == {"type": "owner", "sort": "pushed", "per_page": "100"}
    with schema_context(tenant.schema_name):
        engine = Repository.objects.get(name="engine")
        assert (engine.github_id, engine.default_branch, engine.status) == (5, "main", "queued")
    assert queued(other_tenant) == []  # the other organisation's schema is untouched
    assert UsageCounter.objects.get(tenant=tenant, resource="analyses").used == 3


def test_the_cap_is_a_setting(tenant, github_api, settings):
    settings.LEAD_REPOSITORIES_MAX = 1
    stub_user_repos(github_api, "ada", ada_repos())

    assert analyse(tenant, login="ada") == 1
    assert [row[0] for row in queued(tenant)] == ["ada/engine"]


def test_a_profile_url_is_the_same_account(tenant, github_api):
    stub_user_repos(github_api, "ada", ada_repos())

    assert analyse(tenant, url="https://github.com/ada/") == 3
    assert calls_to(github_api, "/users/ada/repos") == 1


def test_a_repository_url_queues_that_repository_only(tenant, github_api):
    stub_metadata(github_api, "ada", "compiler", repo_id=2, default_branch="trunk")

    assert analyse(tenant, url="https://github.com/ada/compiler") == 1

    assert queued(tenant) == [("ada/compiler", "queued", "lead", "lead")]
    assert calls_to(github_api, "/users/") == 0
    with schema_context(tenant.schema_name):
        assert Repository.objects.get().default_branch == "trunk"


def test_a_repository_url_and_a_username_together_stay_within_the_cap(tenant, github_api):
    stub_metadata(github_api, "grace", "cobol", repo_id=99)
    stub_user_repos(github_api, "ada", ada_repos())

    assert analyse(tenant, login="ada", url="github.com/grace/cobol") == 3

    assert [row[0] for row in queued(tenant)] == ["ada/compiler", "ada/engine", "grace/cobol"]


def test_an_unknown_user_queues_nothing_and_is_not_an_error(tenant, github_api, caplog):
    stub_user_repos(github_api, "ghost-ada", status=404, json={"message": "Not Found"})

    with caplog.at_level(logging.INFO, logger="apps.repos.services"):
        assert analyse(tenant, login="ghost-ada") == 0

    assert queued(tenant) == []
    assert "has no user or organisation 'ghost-ada'" in caplog.text
    assert {record.levelno for record in caplog.records} == {logging.INFO}


def test_an_unknown_or_private_repository_queues_nothing(tenant, github_api):
    github_api.get(f"{API}/repos/ada/gone", status=404, json={"message": "Not Found"})
    github_api.get(
        f"{API}/repos/ada/secret",
        json={**repo_metadata("ada", "secret", repo_id=8, private=True)},
    )

    assert analyse(tenant, url="https://github.com/ada/gone") == 0
    assert analyse(tenant, url="https://github.com/ada/secret") == 0
    assert queued(tenant) == []


@pytest.mark.parametrize("login", ["not a login", "-ada", "a" * 40, "../admin"])
def test_what_is_not_a_github_username_never_reaches_github(tenant, github_api, login):
    assert analyse(tenant, login=login) == 0
    assert len(github_api.calls) == 0


def test_a_rate_limit_reschedules_the_task_and_queues_nothing(tenant, github_api, settings):
    settings.GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS = 5
    stub_user_repos(
        github_api,
        "ada",
        status=403,
        json={"message": "API rate limit exceeded"},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 900)},
    )

    with pytest.raises(Retry) as retry:
        analyse(tenant, login="ada")

    assert 895 <= retry.value.when <= 907  # at the reset, not failed
    assert queued(tenant) == []

    github_api.replace("GET", f"{API}/users/ada/repos", json=ada_repos())
    assert analyse(tenant, login="ada") == 3


def test_github_down_retries_with_backoff(tenant, github_api):
    stub_user_repos(github_api, "ada", status=503, json={"message": "Service Unavailable"})

    with pytest.raises(Retry) as retry:
        analyse(tenant, login="ada")

    assert 30 <= retry.value.when <= 35
    assert calls_to(github_api, "/users/ada/repos") == 4  # the client's own retries first
    assert queued(tenant) == []


def test_running_it_again_queues_nothing_twice(tenant, github_api):
    stub_user_repos(github_api, "ada", ada_repos())
    assert analyse(tenant, login="ada") == 3

    # Still waiting: nothing new.
    assert analyse(tenant, login="ada") == 0
    # Running or analysed recently: nothing new either.
    with schema_context(tenant.schema_name):
        Analysis.objects.filter(repository__name="engine").update(status="running")
        Analysis.objects.exclude(repository__name="engine").update(
            status="succeeded", finished_at=timezone.now()
        )
    assert analyse(tenant, login="ada") == 0
    assert len(queued(tenant)) == 3
    assert UsageCounter.objects.get(tenant=tenant, resource="analyses").used == 3

    # A week later the finished ones are analysed again.
    with schema_context(tenant.schema_name):
        Analysis.objects.filter(status="succeeded").update(
            created_at=timezone.now() - timedelta(days=8)
        )
    assert analyse(tenant, login="ada") == 2


def test_a_used_up_analysis_allowance_stops_quietly_without_asking_github(
    tenant, github_api, caplog
):
    billing_plan_set(tenant=tenant, plan_code="free")  # 20 analyses a month
    entitlement_consume(tenant=tenant, resource="analyses", amount=20)

    with caplog.at_level(logging.INFO, logger="apps.repos.services"):
        assert analyse(tenant, login="ada") == 0

    assert len(github_api.calls) == 0
    assert queued(tenant) == []
    assert "plan" in caplog.text.lower()


def test_the_repository_allowance_stops_the_queuing_part_way(tenant, github_api, settings):
    settings.LEAD_REPOSITORIES_MAX = 5
    billing_plan_set(tenant=tenant, plan_code="free")  # 3 repositories
    with schema_context(tenant.schema_name):
        RepositoryFactory(owner="octo", name="tracked")
    stub_user_repos(github_api, "ada", ada_repos())

    assert analyse(tenant, login="ada") == 2

    assert [row[0] for row in queued(tenant)] == ["ada/compiler", "ada/engine"]
    with schema_context(tenant.schema_name):
        assert Repository.objects.count() == 3
