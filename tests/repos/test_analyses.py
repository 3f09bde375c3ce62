"""The analysis task against a stubbed GitHub: failures recorded, history intact, idempotent."""

import time

import pytest
from celery.exceptions import Retry
from django.db import connection
from django_tenants.utils import schema_context

from apps.billing.models import UsageCounter
from apps.billing.services import billing_plan_set
from apps.repos import services
from apps.repos.github import RepoRef
from apps.repos.models import Analysis, Repository
from apps.repos.routing.models import RepositoryRoute
from apps.repos.tasks import analysis_run
from tests.repos.support import (
    API,
    SHA_1,
    SHA_2,
    build_tarball,
    calls_to,
    stub_head,
    stub_metadata,
    stub_repository,
    stub_tarball,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def repository(tenant, fast_github):
    billing_plan_set(tenant=tenant, plan_code="pro")
    UsageCounter.objects.all().delete()
    RepositoryRoute.objects.all().delete()
    connection.set_tenant(tenant)
    Repository.objects.all().delete()
    repository, _ = services.repository_track(tenant=tenant, ref=RepoRef("octo", "hello"))
    yield repository
    connection.set_schema_to_public()


def queue(tenant, repository, **kwargs) -> Analysis:
    return services.analysis_queue(tenant=tenant, repository=repository, trigger="api", **kwargs)


def run(analysis: Analysis, **kwargs) -> Analysis:
    services.analysis_execute(analysis_id=str(analysis.public_id), **kwargs)
    analysis.refresh_from_db()
    return analysis


def test_the_first_lookup_fills_in_the_repository(tenant, repository, github_api):
    stub_repository(github_api)
    analysis = run(queue(tenant, repository))
    repository.refresh_from_db()
    assert analysis.status == "succeeded"
    assert (
        repository.github_id,
        repository.default_branch,
        repository.head_sha,
        repository.head_etag,
        repository.status,
    ) == (1296269, "main", SHA_1, 'W/"head-1"', "ready")
    assert RepositoryRoute.objects.get(tenant=tenant).github_id == 1296269


def test_an_unchanged_head_is_not_downloaded_again(tenant, repository, github_api):
    stub_repository(github_api)
    first = run(queue(tenant, repository))
    github_api.replace("GET", f"{API}/repos/octo/hello/commits/main", status=304)

    second = run(queue(tenant, repository))

    assert calls_to(github_api, "/tarball/") == 1
    assert github_api.calls[-1].request.headers["If-None-Match"] == 'W/"head-1"'
    assert (second.status, second.commit_sha, second.reused_from_id) == (
        "succeeded",
        SHA_1,
        first.pk,
    )
    assert second.report == first.report


def test_running_the_task_twice_does_the_work_once(tenant, repository, github_api, eager_celery):
    stub_repository(github_api)
    analysis = queue(tenant, repository)
    headers = {"_schema_name": tenant.schema_name}
    connection.set_schema_to_public()
    first = analysis_run.apply(kwargs={"analysis_id": str(analysis.public_id)}, headers=headers)
    second = analysis_run.apply(kwargs={"analysis_id": str(analysis.public_id)}, headers=headers)
    assert (first.result, second.result) == ("succeeded", None)
    assert calls_to(github_api, "/tarball/") == 1
    with schema_context(tenant.schema_name):
        analysis.refresh_from_db()
        assert (analysis.status, analysis.attempts) == ("succeeded", 1)


def test_a_rate_limit_reschedules_the_task_and_the_analysis_waits(
    tenant, repository, github_api, eager_celery, settings
):
    settings.GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS = 5
    github_api.get(
        f"{API}/repos/octo/hello",
        status=403,
        json={"message": "rate limited"},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 600)},
    )
    analysis = queue(tenant, repository)
    connection.set_schema_to_public()
    with pytest.raises(Retry) as retry:
        analysis_run.apply(
            kwargs={"analysis_id": str(analysis.public_id)},
            headers={"_schema_name": tenant.schema_name},
        )
    assert 600 <= retry.value.when <= 606  # rescheduled for the reset, not failed
    with schema_context(tenant.schema_name):
        analysis.refresh_from_db()
        assert analysis.status == "running"
        assert analysis.failure_code == ""

    # The reset passed: the retried task completes.
    github_api.replace(
        "GET",
        f"{API}/repos/octo/hello",
        json={
            "id": 1296269,
            "full_name": "octo/hello",
            "default_branch": "main",
            "private": False,
            "html_url": "https://github.com/octo/hello",
        },
    )
    stub_head(github_api)
    stub_tarball(github_api, body=build_tarball({"a.py": "print(1)\n"}))
    with schema_context(tenant.schema_name):
        assert run(analysis).status == "succeeded"


def test_transient_trouble_on_the_last_attempt_is_recorded(tenant, repository, github_api):
    github_api.get(f"{API}/repos/octo/hello", status=503)
    analysis = run(queue(tenant, repository), final_attempt=True)
    assert (analysis.status, analysis.failure_code) == ("failed", "github_unavailable")


def test_failures_are_recorded_with_the_reason_and_earlier_analyses_stay(
    tenant, repository, github_api, settings
):
    stub_repository(github_api)
    good = run(queue(tenant, repository))
    report = good.report

    # The next head's archive is over the size limit.
    settings.REPO_ARCHIVE_MAX_BYTES = 200
    github_api.replace(
        "GET", f"{API}/repos/octo/hello/commits/main", body=SHA_2, headers={"ETag": 'W/"head-2"'}
    )
    stub_tarball(github_api, sha=SHA_2, body=build_tarball({"big.txt": "y" * 5000}))
    failed = run(queue(tenant, repository))

    assert (failed.status, failed.failure_code) == ("failed", "archive_too_large")
    assert "limit" in failed.failure_reason
    assert failed.report is None
    good.refresh_from_db()
    assert (good.status, good.report) == ("succeeded", report)
    repository.refresh_from_db()
    assert repository.status == "failed"
    assert list(
        Analysis.objects.filter(repository=repository).values_list("status", flat=True)
    ) == ["failed", "succeeded"]


@pytest.mark.parametrize(
    ("files", "symlinks", "code"),
    [
        ({"../../escape.py": "x"}, None, "archive_unsafe_path"),
    ],
)
def test_unsafe_archives_fail_the_analysis(tenant, repository, github_api, files, symlinks, code):
    stub_metadata(github_api)
    stub_head(github_api)
    stub_tarball(github_api, body=build_tarball(files, symlinks=symlinks))
    analysis = run(queue(tenant, repository))
    assert (analysis.status, analysis.failure_code) == ("failed", code)


def test_symlinks_are_skipped_and_reported(tenant, repository, github_api):
    stub_metadata(github_api)
    stub_head(github_api)
    stub_tarball(
        github_api, body=build_tarball({"main.go": "package main\n"}, symlinks={"etc": "/etc"})
    )
    analysis = run(queue(tenant, repository))
    assert analysis.status == "succeeded"
    assert "1 symbolic or hard links were not followed." in analysis.report["warnings"]


def test_an_empty_repository(tenant, repository, github_api):
    stub_metadata(github_api)
    github_api.get(
        f"{API}/repos/octo/hello/commits/main",
        status=409,
        json={"message": "Git Repository is empty."},
    )
    analysis = run(queue(tenant, repository))
    assert (analysis.status, analysis.failure_code) == ("failed", "repository_empty")
    assert "no commits" in analysis.failure_reason


def test_a_repository_that_became_private(tenant, repository, github_api):
    github_api.get(f"{API}/repos/octo/hello", status=404, json={"message": "Not Found"})
    analysis = run(queue(tenant, repository))
    assert (analysis.status, analysis.failure_code) == ("failed", "github_repository_not_found")


def test_malformed_manifests_do_not_sink_the_analysis(tenant, repository, github_api):
    stub_repository(
        github_api,
        files={
            "package.json": '{"name": "broken", "dependencies": {"react": ',
            "pyproject.toml": "[project\nname = ",
            "pom.xml": "<project><dependencies><dependency>",
            "app.py": "import flask\n",
            "requirements.txt": "flask==3.0.0\n",
        },
    )
    analysis = run(queue(tenant, repository))
    assert analysis.status == "succeeded"
    assert "flask" in {item["slug"] for item in analysis.report["technologies"]}
    assert "react" not in {item["slug"] for item in analysis.report["technologies"]}


def test_a_binary_only_repository_succeeds_with_no_languages(tenant, repository, github_api):
    stub_repository(
        github_api,
        files={
            "logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
            "data.bin": bytes(range(256)) * 4,
        },
    )
    analysis = run(queue(tenant, repository))
    assert analysis.status == "succeeded"
    assert analysis.report["languages"] == []


def test_a_push_analysis_downloads_the_pushed_commit(tenant, repository, github_api):
    stub_metadata(github_api)
    stub_tarball(
        github_api,
        sha=SHA_2,
        body=build_tarball(
            {
                "Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n',
                "src/main.rs": "fn main() {}\n",
            }
        ),
    )
    analysis = run(queue(tenant, repository, commit_sha=SHA_2, delivery_id="d-1"))
    assert (analysis.status, analysis.commit_sha) == ("succeeded", SHA_2)
    assert calls_to(github_api, "/commits/") == 0
    assert "rust" in {item["slug"] for item in analysis.report["technologies"]}
