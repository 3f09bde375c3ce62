import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.billing.models import UsageCounter
from apps.billing.services import billing_plan_set
from apps.repos.models import Analysis, Repository
from apps.repos.routing.models import RepositoryRoute
from tests.helpers import assert_problem
from tests.repos.support import (
    API,
    SHA_1,
    SHA_2,
    build_tarball,
    calls_to,
    committed,
    stub_head,
    stub_metadata,
    stub_repository,
    stub_tarball,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean(tenant, other_tenant, fast_github):
    for schema in (tenant.schema_name, other_tenant.schema_name):
        with schema_context(schema):
            Repository.objects.all().delete()
    RepositoryRoute.objects.all().delete()
    UsageCounter.objects.all().delete()
    billing_plan_set(tenant=tenant, plan_code="starter")
    billing_plan_set(tenant=other_tenant, plan_code="starter")


@pytest.fixture
def client(api_client_for, tenant, member):
    return api_client_for(tenant, member)


def analyze(client, url, django_capture_on_commit_callbacks):
    with committed(django_capture_on_commit_callbacks):
        return client.post("/api/repositories/analyze", {"url": url}, format="json")


def test_analyze_answers_202_with_a_status_url_and_the_report_lands_there(
    client, github_api, eager_celery, django_capture_on_commit_callbacks
):
    stub_repository(github_api)

    response = analyze(client, "https://github.com/octo/hello", django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    body = response.json()
    status_url = body["status_url"]
    assert status_url == f"/api/analyses/{body['analysis']['id']}"
    assert response["Location"] == status_url
    assert body["analysis"]["status"] == "queued"
    assert body["repository"]["full_name"] == "octo/hello"
    assert body["repository"]["default_branch"] == "main"

    result = client.get(status_url).json()
    assert result["status"] == "succeeded", result
    assert result["commit_sha"] == SHA_1
    assert result["files_scanned"] == 3
    slugs = {item["slug"] for item in result["report"]["technologies"]}
    assert {"django", "celery", "python"} <= slugs
    assert result["report"]["languages"][0]["name"] == "Python"
    assert result["download_ms"] is not None
    assert result["detect_ms"] is not None

    detail = client.get(f"/api/repositories/{body['repository']['id']}").json()
    assert detail["status"] == "ready"
    assert detail["head_sha"] == SHA_1
    assert detail["latest_analysis"]["id"] == body["analysis"]["id"]


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/octo/hello",
        "https://github.com/octo/hello.git",
        "git@github.com:octo/hello.git",
        "https://github.com/octo/hello/tree/main/src/app",
        "octo/hello",
    ],
)
def test_every_url_form_tracks_the_same_repository(
    client, github_api, url, django_capture_on_commit_callbacks
):
    stub_metadata(github_api)
    response = analyze(client, url, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    assert response.json()["repository"]["full_name"] == "octo/hello"
    with schema_context("t_acme"):
        assert Repository.objects.count() == 1


def test_a_branch_in_the_url_is_the_ref_analysed(
    client, github_api, eager_celery, django_capture_on_commit_callbacks
):
    stub_metadata(github_api)
    stub_head(github_api, ref="release", sha=SHA_2)
    stub_tarball(
        github_api,
        sha=SHA_2,
        body=build_tarball({"go.mod": "module x\n\ngo 1.22\n", "main.go": "package main\n"}),
    )
    response = analyze(
        client, "https://github.com/octo/hello/tree/release/cmd", django_capture_on_commit_callbacks
    )
    result = client.get(response.json()["status_url"]).json()
    assert (result["ref"], result["status"], result["commit_sha"]) == (
        "release",
        "succeeded",
        SHA_2,
    )
    assert "go" in {item["slug"] for item in result["report"]["technologies"]}


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://gitlab.com/octo/hello", "not_github_url"),
        ("https://bitbucket.org/octo/hello.git", "not_github_url"),
        ("git@gitlab.com:octo/hello.git", "not_github_url"),
        ("https://github.com/octo", "github_url_incomplete"),
        ("ftp://github.com/octo/hello", "github_url_invalid"),
        ("not a url", "github_url_invalid"),
        ("", "repository_url_required"),
    ],
)
def test_bad_urls_are_precise_400_problems(client, url, code):
    response = client.post("/api/repositories/analyze", {"url": url}, format="json")
    if code == "repository_url_required":
        body = assert_problem(response, 400, "validation_error")
        assert "url" in body["errors"]
        return
    body = assert_problem(response, 400, code)
    assert list(body["errors"]) == ["url"]
    with schema_context("t_acme"):
        assert Repository.objects.count() == 0


def test_a_nonexistent_or_private_repository_is_a_404_and_nothing_is_tracked(client, github_api):
    github_api.get(
        f"{API}/repos/octo/secret",
        status=404,
        json={"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
    )
    response = client.post("/api/repositories/analyze", {"url": "octo/secret"}, format="json")
    body = assert_problem(response, 404, "github_repository_not_found")
    assert "octo/secret" in body["detail"]
    with schema_context("t_acme"):
        assert Repository.objects.count() == 0
    assert UsageCounter.objects.filter(resource="analyses").count() == 0


def test_a_rate_limited_lookup_does_not_fail_the_request(
    client, github_api, settings, django_capture_on_commit_callbacks
):
    import time

    settings.GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS = 5
    github_api.get(
        f"{API}/repos/octo/hello",
        status=403,
        json={"message": "API rate limit exceeded"},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 3600)},
    )
    with committed(django_capture_on_commit_callbacks) as callbacks:
        callbacks_before = len(callbacks)
        response = client.post("/api/repositories/analyze", {"url": "octo/hello"}, format="json")
    assert callbacks_before == 0
    assert response.status_code == 202
    assert response.json()["analysis"]["status"] == "queued"
    assert response.json()["repository"]["default_branch"] == ""


def test_a_second_request_joins_the_waiting_analysis(
    client, github_api, django_capture_on_commit_callbacks
):
    stub_metadata(github_api)
    first = client.post("/api/repositories/analyze", {"url": "octo/hello"}, format="json")
    second = client.post(
        "/api/repositories/analyze", {"url": "https://github.com/octo/hello"}, format="json"
    )
    assert first.json()["analysis"]["id"] == second.json()["analysis"]["id"]
    assert UsageCounter.objects.get(resource="analyses").used == 1


def test_list_detail_history_diff_and_delete(
    client,
    api_client_for,
    tenant,
    admin_user,
    github_api,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    stub_repository(github_api)
    first = analyze(client, "octo/hello", django_capture_on_commit_callbacks).json()
    repository_id = first["repository"]["id"]

    # The head moves: requirements change.
    github_api.replace(
        "GET", f"{API}/repos/octo/hello/commits/main", body=SHA_2, headers={"ETag": 'W/"head-2"'}
    )
    stub_tarball(
        github_api,
        sha=SHA_2,
        body=build_tarball(
            {"requirements.txt": "django==5.2.2\nredis==5.0.0\n", "manage.py": "print(1)\n"}
        ),
    )
    second = analyze(client, "octo/hello", django_capture_on_commit_callbacks).json()

    listing = client.get("/api/repositories").json()
    assert [item["id"] for item in listing["results"]] == [repository_id]
    assert listing["results"][0]["latest_analysis"]["id"] == second["analysis"]["id"]
    assert client.get("/api/repositories?status=failed").json()["results"] == []
    assert len(client.get("/api/repositories?q=hell").json()["results"]) == 1

    history = client.get(f"/api/repositories/{repository_id}/analyses").json()["results"]
    assert [item["id"] for item in history] == [second["analysis"]["id"], first["analysis"]["id"]]
    assert [item["commit_sha"] for item in history] == [SHA_2, SHA_1]

    diff = client.get(f"/api/repositories/{repository_id}/diff").json()
    assert diff["base"]["id"] == first["analysis"]["id"]
    assert diff["head"]["id"] == second["analysis"]["id"]
    assert "redis" in [item["slug"] for item in diff["added"]]
    assert "celery" in [item["slug"] for item in diff["removed"]]
    assert {
        "slug": "django",
        "name": "Django",
        "from_version": "5.2.1",
        "to_version": "5.2.2",
    } in diff["changed"]
    explicit = client.get(
        f"/api/repositories/{repository_id}/diff",
        {"base": second["analysis"]["id"], "head": first["analysis"]["id"]},
    )
    assert "celery" in [item["slug"] for item in explicit.json()["added"]]
    assert_problem(
        client.get(f"/api/repositories/{repository_id}/diff", {"base": first["analysis"]["id"]}),
        400,
        "analysis_diff_invalid",
    )

    # Members may not delete; admins may, and the webhook route goes with it.
    assert_problem(client.delete(f"/api/repositories/{repository_id}"), 403, "permission_denied")
    admin = api_client_for(tenant, admin_user)
    assert admin.delete(f"/api/repositories/{repository_id}").status_code == 204
    assert_problem(client.get(f"/api/repositories/{repository_id}"), 404, "repository_not_found")
    assert not RepositoryRoute.objects.filter(tenant=tenant).exists()


def test_diff_needs_two_succeeded_analyses(
    client, github_api, eager_celery, django_capture_on_commit_callbacks
):
    stub_repository(github_api)
    repository_id = analyze(client, "octo/hello", django_capture_on_commit_callbacks).json()[
        "repository"
    ]["id"]
    assert_problem(
        client.get(f"/api/repositories/{repository_id}/diff"), 404, "analysis_diff_unavailable"
    )


def test_a_repository_of_one_tenant_is_invisible_to_another(
    client,
    api_client_for,
    other_tenant,
    other_owner,
    github_api,
    django_capture_on_commit_callbacks,
):
    stub_metadata(github_api)
    body = analyze(client, "octo/hello", django_capture_on_commit_callbacks).json()
    other = api_client_for(other_tenant, other_owner)

    assert other.get("/api/repositories").json()["results"] == []
    assert_problem(
        other.get(f"/api/repositories/{body['repository']['id']}"), 404, "repository_not_found"
    )
    assert_problem(
        other.get(f"/api/repositories/{body['repository']['id']}/analyses"),
        404,
        "repository_not_found",
    )
    assert_problem(other.get(body["status_url"]), 404, "analysis_not_found")
    assert_problem(
        other.delete(f"/api/repositories/{body['repository']['id']}"), 404, "repository_not_found"
    )
    # A token for tenant A is worth nothing on B's host.
    token = client._credentials["HTTP_AUTHORIZATION"]
    stranger = api_client_for(other_tenant)
    stranger.credentials(HTTP_AUTHORIZATION=token)
    assert stranger.get("/api/repositories").status_code == 401


def test_repository_allowance_is_a_402(
    client, tenant, github_api, django_capture_on_commit_callbacks
):
    billing_plan_set(tenant=tenant, plan_code="free")  # 3 repositories
    for index in range(3):
        stub_metadata(github_api, "octo", f"repo{index}", repo_id=100 + index)
        assert (
            analyze(client, f"octo/repo{index}", django_capture_on_commit_callbacks).status_code
            == 202
        )
    response = client.post("/api/repositories/analyze", {"url": "octo/repo9"}, format="json")
    body = assert_problem(response, 402, "plan_limit_exceeded")
    assert (body["resource"], body["limit"], body["usage"]) == ("repositories", 3, 3)
    assert calls_to(github_api, "/repos/octo/repo9") == 0


def test_monthly_analyses_allowance_is_a_402(
    client, tenant, github_api, django_capture_on_commit_callbacks
):
    billing_plan_set(tenant=tenant, plan_code="free")  # 20 analyses a month
    UsageCounter.objects.all().delete()
    stub_metadata(github_api)
    analyze(client, "octo/hello", django_capture_on_commit_callbacks)
    counter = UsageCounter.objects.get(resource="analyses")
    counter.used = 20
    counter.save()
    with schema_context(tenant.schema_name):
        Analysis.objects.update(status=Analysis.Status.SUCCEEDED)
    response = client.post("/api/repositories/analyze", {"url": "octo/hello"}, format="json")
    body = assert_problem(response, 402, "plan_limit_exceeded")
    assert (body["resource"], body["limit"]) == ("analyses", 20)
    with schema_context(tenant.schema_name):
        assert Analysis.objects.count() == 1


def test_the_api_needs_a_member(api_client_for, tenant):
    assert api_client_for(tenant).get("/api/repositories").status_code == 401


def test_status_url_is_in_the_tenant_schema(
    client, github_api, tenant, django_capture_on_commit_callbacks
):
    stub_metadata(github_api)
    body = analyze(client, "octo/hello", django_capture_on_commit_callbacks).json()
    connection.set_schema_to_public()
    with schema_context(tenant.schema_name):
        assert Analysis.objects.filter(public_id=body["analysis"]["id"]).exists()
    route = RepositoryRoute.objects.get(tenant=tenant)
    assert (route.full_name, route.github_id) == ("octo/hello", 1296269)
