"""POST /api/webhooks/github with GitHub's real payloads (../shared/fixtures/github)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.billing.models import UsageCounter
from apps.billing.services import billing_plan_set
from apps.core import webhooks
from apps.core.models import WebhookEvent
from apps.repos import services
from apps.repos.github import RepoRef
from apps.repos.models import Analysis, GitHubConnection, Repository
from apps.repos.routing.models import InstallationRoute, RepositoryRoute
from tests.billing.factories import UsageCounterFactory
from tests.helpers import assert_problem
from tests.repos.factories import InstallationRouteFactory
from tests.repos.support import SHA_1, committed, dumps, fixture_payload, sign

pytestmark = pytest.mark.django_db

URL = "/api/webhooks/github"


@pytest.fixture(autouse=True)
def _clean(tenant, other_tenant, webhook_secret, fast_github):
    for item in (tenant, other_tenant):
        billing_plan_set(tenant=item, plan_code="pro")
        with schema_context(item.schema_name):
            Repository.objects.all().delete()
            GitHubConnection.objects.all().delete()
    RepositoryRoute.objects.all().delete()
    InstallationRoute.objects.all().delete()
    WebhookEvent.objects.filter(provider="github").delete()
    UsageCounter.objects.all().delete()


def post(client, body: bytes, *, event="push", delivery="d-1", signature=None):
    headers = {"HTTP_X_GITHUB_EVENT": event, "HTTP_X_GITHUB_DELIVERY": delivery}
    if signature is not False:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature or sign(body)
    return client.post(URL, data=body, content_type="application/json", **headers)


def track(tenant, owner="Codertocat", name="Hello-World", github_id=186853002):
    with schema_context(tenant.schema_name):
        repository, _ = services.repository_track(
            tenant=tenant,
            ref=RepoRef(owner, name),
            metadata={"id": github_id, "full_name": f"{owner}/{name}", "default_branch": "master"},
        )
        return repository


def process(delivery: str) -> str:
    event = WebhookEvent.objects.get(provider="github", event_id=delivery)
    return webhooks.webhook_process(event_pk=event.pk)


def analyses_in(tenant):
    with schema_context(tenant.schema_name):
        return list(Analysis.objects.values_list("trigger", "status", "commit_sha", "delivery_id"))


def test_ping_is_answered(public_client):
    body = fixture_payload("ping_payload.json")
    response = post(public_client, body, event="ping")
    assert response.status_code == 200
    assert response.json() == {
        "status": "pong",
        "delivery": "d-1",
        "zen": "Anything added dilutes everything else.",
    }
    assert not WebhookEvent.objects.filter(provider="github").exists()


def test_a_push_to_the_default_branch_reanalyses_in_the_tenant_that_tracks_it(
    public_client, tenant, other_tenant, django_capture_on_commit_callbacks
):
    track(tenant)
    body = fixture_payload("push_with-new-branch.payload.json")

    with committed(django_capture_on_commit_callbacks) as callbacks:
        response = post(public_client, body, delivery="72d3162e-cc78-11e3")
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "delivery": "72d3162e-cc78-11e3"}
    assert len(callbacks) == 1  # process_webhook_event queued on commit, nothing done inline

    event = WebhookEvent.objects.get(provider="github", event_id="72d3162e-cc78-11e3")
    assert (event.event_type, bytes(event.body)) == ("push", body)
    assert event.headers["X-Hub-Signature-256"].startswith("sha256=")

    with django_capture_on_commit_callbacks() as queued:
        assert process("72d3162e-cc78-11e3") == "processed"
    assert len(queued) == 1  # the analysis task
    assert analyses_in(tenant) == [("push", "queued", SHA_1, "72d3162e-cc78-11e3")]
    assert analyses_in(other_tenant) == []


def test_every_tenant_tracking_the_repository_gets_its_own_analysis(
    public_client, tenant, other_tenant
):
    track(tenant)
    track(other_tenant)
    post(public_client, fixture_payload("push_with-new-branch.payload.json"))
    assert process("d-1") == "processed"
    assert len(analyses_in(tenant)) == 1
    assert len(analyses_in(other_tenant)) == 1


def test_a_redelivery_is_stored_and_processed_once(public_client, tenant):
    track(tenant)
    body = fixture_payload("push_with-new-branch.payload.json")
    assert post(public_client, body, delivery="same").json()["status"] == "accepted"
    assert process("same") == "processed"
    again = post(public_client, body, delivery="same")
    assert again.status_code == 202
    assert again.json()["status"] == "duplicate"
    assert process("same") == "processed"
    assert WebhookEvent.objects.filter(provider="github", event_id="same").count() == 1
    assert len(analyses_in(tenant)) == 1
    assert UsageCounter.objects.get(resource="analyses").used == 1


def test_a_tag_deletion_is_ignored(public_client, tenant):
    track(tenant)
    payload = json.loads(fixture_payload("push_payload.json"))
    assert (payload["ref"], payload["deleted"]) == ("refs/tags/simple-tag", True)
    post(public_client, fixture_payload("push_payload.json"))
    assert process("d-1") == "ignored"
    assert analyses_in(tenant) == []


def test_a_branch_deletion_and_other_branches_are_ignored(public_client, tenant):
    track(tenant)
    payload = json.loads(fixture_payload("push_with-new-branch.payload.json"))
    deleted = {**payload, "ref": "refs/heads/master", "deleted": True, "after": "0" * 40}
    post(public_client, dumps(deleted), delivery="deleted")
    feature = {**payload, "ref": "refs/heads/feature/login"}
    post(public_client, dumps(feature), delivery="feature")
    assert process("deleted") == "ignored"
    assert process("feature") == "ignored"
    assert analyses_in(tenant) == []


def test_a_push_for_an_untracked_repository_is_ignored(public_client, tenant):
    post(public_client, fixture_payload("push_with-new-branch.payload.json"))
    assert process("d-1") == "ignored"


def test_a_tenant_past_its_allowance_gets_a_failed_analysis_with_the_reason(public_client, tenant):
    billing_plan_set(tenant=tenant, plan_code="free")
    track(tenant)
    UsageCounterFactory(tenant=tenant, resource="analyses", used=20)
    post(public_client, fixture_payload("push_with-new-branch.payload.json"))
    process("d-1")
    [(trigger, status, sha, _delivery)] = analyses_in(tenant)
    assert (trigger, status, sha) == ("push", "failed", SHA_1)
    with schema_context(tenant.schema_name):
        assert Analysis.objects.get().failure_code == "plan_limit_exceeded"


def test_a_forged_signature_is_refused_and_nothing_is_stored(public_client):
    body = fixture_payload("push_with-new-branch.payload.json")
    forged = post(public_client, body, signature=sign(body, "attacker-secret"))
    assert_problem(forged, 401, "webhook_signature_invalid")
    tampered = post(public_client, body.replace(b"master", b"main"), signature=sign(body))
    assert_problem(tampered, 401, "webhook_signature_invalid")
    assert_problem(post(public_client, body, signature=False), 401, "webhook_signature_invalid")
    assert_problem(
        post(public_client, body, signature="sha1=" + sign(body)[7:]),
        401,
        "webhook_signature_invalid",
    )
    assert not WebhookEvent.objects.filter(provider="github").exists()


def test_the_previous_secret_works_during_the_grace_period_only(public_client, settings):
    body = fixture_payload("push_with-new-branch.payload.json")
    settings.GITHUB_WEBHOOK_SECRET = "rotated-new"
    settings.GITHUB_WEBHOOK_PREVIOUS_SECRET = "whsec-current-2026"
    settings.GITHUB_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT = (
        timezone.now() + timedelta(hours=1)
    ).isoformat()
    assert post(public_client, body, delivery="old", signature=sign(body)).status_code == 202
    assert (
        post(public_client, body, delivery="new", signature=sign(body, "rotated-new")).status_code
        == 202
    )

    settings.GITHUB_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT = (
        timezone.now() - timedelta(seconds=1)
    ).isoformat()
    assert_problem(
        post(public_client, body, delivery="late", signature=sign(body)),
        401,
        "webhook_signature_invalid",
    )


def test_without_a_secret_the_endpoint_refuses(public_client, settings):
    settings.GITHUB_WEBHOOK_SECRET = ""
    body = fixture_payload("ping_payload.json")
    assert_problem(post(public_client, body, event="ping"), 503, "webhook_not_configured")


def test_missing_github_headers_and_non_json(public_client):
    body = b"not json"
    response = public_client.post(
        URL, data=body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=sign(body)
    )
    assert_problem(response, 400, "webhook_malformed")
    assert_problem(post(public_client, body), 400, "webhook_malformed")


def test_the_webhook_lives_on_the_public_host_only(api_client_for, tenant):
    body = fixture_payload("ping_payload.json")
    response = post(api_client_for(tenant), body, event="ping")
    assert response.status_code == 404


def test_installation_repositories_link_repositories_to_the_installing_tenant(
    public_client, tenant, other_tenant
):
    InstallationRouteFactory(installation_id=957387, tenant=tenant)
    body = fixture_payload("installation_repositories_added.payload.json")
    assert post(public_client, body, event="installation_repositories").status_code == 202
    assert process("d-1") == "processed"
    with schema_context(tenant.schema_name):
        repository = Repository.objects.get()
        assert (
            repository.full_name,
            repository.github_id,
            repository.installation_id,
            repository.source,
        ) == ("Codertocat/Space", 186853007, 957387, "installation")
        assert Analysis.objects.get().trigger == "installation"
    with schema_context(other_tenant.schema_name):
        assert not Repository.objects.exists()
    assert RepositoryRoute.objects.get(tenant=tenant).github_id == 186853007

    removed = json.loads(body)
    removed.update(
        action="removed", repositories_removed=removed["repositories_added"], repositories_added=[]
    )
    post(public_client, dumps(removed), event="installation_repositories", delivery="d-2")
    assert process("d-2") == "processed"
    with schema_context(tenant.schema_name):
        assert Repository.objects.get().installation_id is None


def test_an_unknown_installation_is_ignored(public_client):
    post(
        public_client,
        fixture_payload("installation_repositories_added.payload.json"),
        event="installation_repositories",
    )
    assert process("d-1") == "ignored"
