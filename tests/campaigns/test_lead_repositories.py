"""Leads with a GitHub account get their public repositories analysed, whatever way they came in.

Every path that saves a lead (API, dashboard, CSV import) queues one task after the commit; the
request never talks to GitHub. GitHub is stubbed at the HTTP layer only; the task runs in-process
(eager Celery) in the tenant's schema through the real services.
"""

from __future__ import annotations

import io

import pytest
from celery.exceptions import Retry
from django.db import connection
from django_tenants.utils import schema_context

from apps.billing.models import UsageCounter
from apps.campaigns.models import Lead, LeadImport
from apps.campaigns.services import lead_import_run, template_preview
from apps.repos.models import Analysis
from tests.helpers import signed_in
from tests.repos.support import (
    DJANGO_APP,
    build_tarball,
    committed,
    reset_repositories,
    stub_head,
    stub_metadata,
    stub_tarball,
    stub_user_repos,
    user_repo,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean(shop, other_tenant, fast_github, eager_celery, settings):
    settings.LEAD_REPOSITORIES_MAX = 3
    reset_repositories(shop, other_tenant)
    connection.set_tenant(shop)


def ada_repos() -> list[dict]:
    return [
        user_repo("ada", "django-fork", repo_id=4, pushed_at="2026-05-04T10:00:00Z", fork=True),
        user_repo("ada", "engine", repo_id=3, pushed_at="2026-05-03T10:00:00Z"),
        user_repo("ada", "archive", repo_id=2, pushed_at="2026-05-02T10:00:00Z", archived=True),
        user_repo("ada", "compiler", repo_id=1, pushed_at="2026-05-01T10:00:00Z"),
    ]


def run(callbacks) -> None:
    """Run what the save queued after its commit (the discovery task), in-process."""
    for callback in callbacks:
        callback()


def analysed_repositories(tenant) -> list[str]:
    with schema_context(tenant.schema_name):
        return sorted(
            analysis.repository.full_name
            for analysis in Analysis.objects.select_related("repository").filter(trigger="lead")
        )


def test_creating_a_lead_over_the_api_queues_its_repositories_in_its_tenant(
    api, shop, other_tenant, github_api, django_capture_on_commit_callbacks
):
    stub_user_repos(github_api, "ada", ada_repos())

    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            "/api/leads", {"email": "ada@example.com", "github_username": "ada"}, format="json"
        )

    assert response.status_code == 201, response.content
    assert len(github_api.calls) == 0  # the request itself never waits for GitHub
    assert len(callbacks) == 1
    run(callbacks)
    assert analysed_repositories(shop) == ["ada/compiler", "ada/engine"]
    assert analysed_repositories(other_tenant) == []


def test_github_down_never_fails_the_lead_and_the_task_retries(
    api, shop, github_api, django_capture_on_commit_callbacks
):
    stub_user_repos(github_api, "ada", status=502, json={"message": "Bad Gateway"})

    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            "/api/leads", {"email": "ada@example.com", "github_username": "ada"}, format="json"
        )

    assert response.status_code == 201, response.content
    assert Lead.objects.filter(email="ada@example.com").exists()
    with pytest.raises(Retry):
        run(callbacks)
    assert analysed_repositories(shop) == []


def test_github_down_is_logged_not_raised_when_the_save_commits(
    api, shop, github_api, django_capture_on_commit_callbacks
):
    stub_user_repos(github_api, "ada", status=503, json={"message": "Service Unavailable"})

    with committed(django_capture_on_commit_callbacks):  # the commit runs the enqueue robustly
        response = api.post(
            "/api/leads", {"email": "ada@example.com", "github_username": "ada"}, format="json"
        )

    assert response.status_code == 201, response.content
    assert api.get(f"/api/leads/{response.json()['id']}").status_code == 200


def test_an_unknown_github_user_leaves_the_lead_as_it_is(
    api, shop, github_api, django_capture_on_commit_callbacks
):
    stub_user_repos(github_api, "nobody-here", status=404, json={"message": "Not Found"})

    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            "/api/leads",
            {"email": "x@example.com", "github_url": "https://github.com/nobody-here"},
            format="json",
        )
    run(callbacks)

    assert response.status_code == 201, response.content
    assert Lead.objects.get(email="x@example.com").github_url == "https://github.com/nobody-here"
    assert analysed_repositories(shop) == []


def test_updates_queue_only_when_the_github_account_changes_and_never_twice(
    api, shop, github_api, django_capture_on_commit_callbacks
):
    stub_metadata(github_api, "ada", "engine", repo_id=3)
    stub_user_repos(github_api, "ada", ada_repos())
    lead_id = api.post("/api/leads", {"email": "ada@example.com"}, format="json").json()["id"]

    def put(data) -> list:
        with django_capture_on_commit_callbacks() as callbacks:
            response = api.put(f"/api/leads/{lead_id}", data, format="json")
        assert response.status_code == 200, response.content
        return callbacks

    callbacks = put({"github_url": "https://github.com/ada/engine"})
    assert len(callbacks) == 1
    run(callbacks)
    assert analysed_repositories(shop) == ["ada/engine"]

    assert put({"tags": ["vip"]}) == []
    assert put({"github_url": "https://github.com/ada/engine"}) == []

    run(put({"github_username": "ada"}))  # engine is already waiting: only compiler is new
    assert analysed_repositories(shop) == ["ada/compiler", "ada/engine"]
    stub_user_repos(github_api, "Ada", ada_repos())  # GitHub logins ignore case
    run(put({"github_username": "Ada"}))
    assert analysed_repositories(shop) == ["ada/compiler", "ada/engine"]
    assert UsageCounter.objects.get(tenant=shop, resource="analyses").used == 2


def test_an_invalid_github_username_is_a_400(api):
    response = api.post(
        "/api/leads", {"email": "ada@example.com", "github_username": "not valid"}, format="json"
    )
    assert response.status_code == 400


def test_the_dashboard_queues_them_and_shows_the_analysis_state(
    shop, member, github_api, django_capture_on_commit_callbacks
):
    stub_user_repos(github_api, "ada", ada_repos())
    client = signed_in(shop, member)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/leads/", {"email": "ada@example.com", "first_name": "Ada", "github_username": "ada"}
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    run(callbacks)

    assert analysed_repositories(shop) == ["ada/compiler", "ada/engine"]
    page = client.get("/leads/").content.decode()
    assert "analysing repositories…" in page


def test_a_dashboard_username_that_is_not_one_is_refused(shop, member):
    client = signed_in(shop, member)
    client.post("/leads/", {"email": "ada@example.com", "github_username": "x" * 60})
    assert not Lead.objects.filter(email="ada@example.com").exists()


def test_from_lead_to_stack_variables_end_to_end(
    api, shop, member, github_api, django_capture_on_commit_callbacks, settings
):
    settings.LEAD_REPOSITORIES_MAX = 1
    stub_user_repos(github_api, "ada", ada_repos())
    stub_head(github_api, "ada", "engine")
    stub_tarball(github_api, "ada", "engine", body=build_tarball(DJANGO_APP, top="ada-engine"))

    with committed(django_capture_on_commit_callbacks):  # save, discover, analyse
        response = api.post(
            "/api/leads",
            {"email": "ada@example.com", "first_name": "Ada", "github_username": "ada"},
            format="json",
        )

    assert response.status_code == 201, response.content
    with schema_context(shop.schema_name):
        assert Analysis.objects.get().status == "succeeded"
    text = template_preview(
        tenant=shop,
        subject="Hi",
        text="{{ lead.stack.primary_language }} with {{ lead.stack.frameworks|join:', ' }}",
        lead=Lead.objects.get(email="ada@example.com"),
    )["text"]
    assert text.startswith("Python with Django")
    page = signed_in(shop, member).get("/leads/").content.decode()
    assert "Python · Django" in page
    assert "analysing repositories…" not in page


CSV = (
    "email,github,GitHub URL\n"
    "ada@example.com,ada,\n"
    "ada.work@example.com,ada,\n"
    "grace@example.com,,https://github.com/grace/cobol\n"
    "plain@example.com,,\n"
)


def import_csv(api, content: str) -> int:
    upload = io.BytesIO(content.encode())
    upload.name = "leads.csv"
    response = api.post("/api/leads/imports", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    return LeadImport.objects.get(public_id=response.json()["id"]).pk


def test_a_csv_import_queues_each_github_account_once(
    api, shop, github_api, django_capture_on_commit_callbacks
):
    stub_user_repos(github_api, "ada", ada_repos())
    stub_metadata(github_api, "grace", "cobol", repo_id=99)

    job = import_csv(api, CSV)
    with django_capture_on_commit_callbacks() as callbacks:
        assert lead_import_run(import_pk=job) == "done"  # what the Celery task runs
    assert len(callbacks) == 2  # ada (two leads), grace
    run(callbacks)
    assert analysed_repositories(shop) == ["ada/compiler", "ada/engine", "grace/cobol"]

    # The same file again changes no GitHub account: nothing is queued.
    job = import_csv(api, CSV)
    with django_capture_on_commit_callbacks() as callbacks:
        lead_import_run(import_pk=job)
    assert callbacks == []

    # A GitHub account added to an existing lead is.
    job = import_csv(api, "email,github\nplain@example.com,plainly\n")
    with django_capture_on_commit_callbacks() as callbacks:
        lead_import_run(import_pk=job)
    assert len(callbacks) == 1
