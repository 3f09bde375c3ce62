"""Pushes and analysis runs on the same repository, concurrently, against real PostgreSQL:
they lock in one order (repository, then analysis) so they wait for each other instead of
deadlocking; analyses stuck queued or running are swept."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from apps.billing.models import UsageCounter
from apps.billing.services import billing_plan_set
from apps.repos import services, tasks
from apps.repos.github import RepoRef
from apps.repos.models import Analysis, Repository
from apps.repos.routing.models import RepositoryRoute
from tests.helpers import race, waiting_on_a_lock
from tests.repos.support import SHA_1, SHA_2, build_tarball, stub_metadata, stub_tarball

pytestmark = pytest.mark.django_db(transaction=True)

FILES = {"pyproject.toml": '[project]\nname = "x"\n'}


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


def test_a_push_while_the_analysis_starts_does_not_deadlock(tenant, repository, github_api):
    """The push's transaction holds the repository row (as the webhook's does, which updates it
    first) when the analysis task starts; then the push updates the waiting analysis. Locking the
    analysis before the repository made the two wait on each other: `deadlock detected`."""
    stub_metadata(github_api)
    stub_tarball(github_api, sha=SHA_2, body=build_tarball(FILES))
    analysis = services.analysis_queue(
        tenant=tenant, repository=repository, trigger="push", commit_sha=SHA_1, delivery_id="d1"
    )
    errors: list[BaseException] = []
    push_holds_repository = threading.Event()
    run_backend: list[int] = []

    def push() -> None:
        from django.db import transaction

        try:
            connection.set_tenant(tenant)
            with transaction.atomic():
                row = Repository.objects.get(pk=repository.pk)
                row.save()  # the webhook updates the repository's metadata first
                push_holds_repository.set()
                deadline = time.monotonic() + 10
                while not (run_backend and waiting_on_a_lock(run_backend[0])):
                    assert time.monotonic() < deadline, "the analysis never waited"
                    time.sleep(0.02)
                services.analysis_queue(
                    tenant=tenant, repository=row, trigger="push", commit_sha=SHA_2,
                    delivery_id="d2",
                )  # fmt: skip
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def run() -> None:
        try:
            connection.set_tenant(tenant)
            push_holds_repository.wait(10)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                run_backend.append(cursor.fetchone()[0])
            services.analysis_execute(analysis_id=str(analysis.public_id))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=push), threading.Thread(target=run)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    analysis.refresh_from_db()
    # The push joined the waiting analysis (its newer commit) before it started, and it ran.
    assert (analysis.status, analysis.commit_sha) == ("succeeded", SHA_2)
    assert Analysis.objects.count() == 1
    assert Repository.objects.get(pk=repository.pk).status == "ready"


def test_the_sweep_queues_a_lost_analysis_again_once(
    tenant, repository, github_api, eager_celery, settings
):
    stub_metadata(github_api)
    stub_tarball(github_api, sha=SHA_1, body=build_tarball(FILES))
    settings.ANALYSIS_QUEUED_TIMEOUT_SECONDS = 600
    cache.clear()
    # Queued with its task lost (the enqueue after commit never happened).
    analysis = Analysis.objects.create(repository=repository, trigger="push", commit_sha=SHA_1)
    fresh = Analysis.objects.create(
        repository=Repository.objects.create(owner="octo", name="fresh"),
        trigger="push",
        commit_sha=SHA_1,
    )
    Analysis.objects.filter(pk=analysis.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )

    assert tasks.sweep_analyses() == (1, 0)  # eager: the queued task ran at commit

    analysis.refresh_from_db()
    fresh.refresh_from_db()
    assert analysis.status == "succeeded"
    assert fresh.status == "queued"  # younger than the timeout: left alone


def test_the_sweep_requeues_at_most_once_per_timeout(tenant, repository, settings):
    settings.ANALYSIS_QUEUED_TIMEOUT_SECONDS = 600
    cache.clear()
    analysis = Analysis.objects.create(repository=repository, trigger="push", commit_sha=SHA_1)
    Analysis.objects.filter(pk=analysis.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    from strato.celery import app

    app.control.purge()
    assert tasks.sweep_analyses() == (1, 0)
    assert tasks.sweep_analyses() == (0, 0)
    app.control.purge()


def test_the_sweep_fails_an_analysis_running_past_the_deadline(tenant, repository, settings):
    settings.ANALYSIS_RUNNING_TIMEOUT_SECONDS = 3600
    stuck = Analysis.objects.create(
        repository=repository,
        trigger="api",
        status="running",
        started_at=timezone.now() - timedelta(hours=2),
    )
    recent = Analysis.objects.create(
        repository=Repository.objects.create(owner="octo", name="busy"),
        trigger="api",
        status="running",
        started_at=timezone.now() - timedelta(minutes=5),
    )
    Repository.objects.filter(pk=repository.pk).update(status="analysing")

    assert tasks.sweep_analyses() == (0, 1)

    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert (stuck.status, stuck.failure_code) == ("failed", "analysis_timed_out")
    assert "3600 seconds" in stuck.failure_reason
    assert stuck.finished_at is not None
    assert Repository.objects.get(pk=repository.pk).status == "failed"
    assert recent.status == "running"


def test_two_concurrent_requests_for_a_new_repository_track_one(tenant, repository):
    """Both requests find no `octo/new`; without a lock the second insert broke the unique
    full name (an IntegrityError, a 500). Now it waits and finds the first's row."""
    tracked: list[tuple[Repository, bool]] = []

    def track() -> None:
        tracked.append(services.repository_track(tenant=tenant, ref=RepoRef("octo", "New")))

    assert race(track, track, schema=tenant.schema_name) == []
    assert [created for _repository, created in tracked] == [True, False]
    assert tracked[0][0].pk == tracked[1][0].pk
    assert Repository.objects.filter(owner="octo", name__iexact="new").count() == 1
