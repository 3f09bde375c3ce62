import copy
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.repos.models import GitHubConnection, GitHubLinkState
from apps.repos.routing.models import InstallationRoute
from tests.helpers import assert_problem, host_of, signed_in
from tests.repos.support import API, fixture_payload, repo_metadata

pytestmark = pytest.mark.django_db

TOKEN = "github_pat_11AAAAAAA0example0secret0value"


@pytest.fixture(autouse=True)
def _clean(tenant, fast_github):
    with schema_context(tenant.schema_name):
        GitHubConnection.objects.all().delete()
        GitHubLinkState.objects.all().delete()
    InstallationRoute.objects.all().delete()


@pytest.fixture
def admin(api_client_for, tenant, admin_user):
    return api_client_for(tenant, admin_user)


def stub_user(github_api, status=200):
    if status == 200:
        github_api.get(
            f"{API}/user",
            json={"login": "octocat", "id": 1},
            headers={"X-OAuth-Scopes": "repo, read:org"},
        )
    else:
        github_api.get(f"{API}/user", status=status, json={"message": "Bad credentials"})


def test_a_token_is_validated_encrypted_and_never_returned(admin, tenant, github_api):
    stub_user(github_api)
    response = admin.put("/api/github/token", {"token": TOKEN}, format="json")
    assert response.status_code == 200
    assert TOKEN not in response.content.decode()
    assert response.json()["token_set"] is True
    assert response.json()["token_login"] == "octocat"
    assert response.json()["token_scopes"] == "repo, read:org"
    assert github_api.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"

    shown = admin.get("/api/github/connection")
    assert TOKEN not in shown.content.decode()
    assert "token" not in shown.json()

    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT token FROM repos_githubconnection")
        [(stored,)] = cursor.fetchall()
        assert TOKEN not in stored
        assert stored.startswith("gAAAA")  # a Fernet token
        assert GitHubConnection.objects.get().token == TOKEN


def test_the_token_is_used_for_repository_lookups(
    admin, tenant, github_api, django_capture_on_commit_callbacks
):
    stub_user(github_api)
    admin.put("/api/github/token", {"token": TOKEN}, format="json")
    github_api.get(f"{API}/repos/octo/private", json=repo_metadata("octo", "private", private=True))
    response = admin.post("/api/repositories/analyze", {"url": "octo/private"}, format="json")
    assert response.status_code == 202
    assert response.json()["repository"]["private"] is True
    assert github_api.calls[-1].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_rejected_token_is_a_400_and_is_not_stored(admin, tenant, github_api):
    stub_user(github_api, status=401)
    body = assert_problem(
        admin.put("/api/github/token", {"token": "ghp_wrong"}, format="json"),
        400,
        "github_token_invalid",
    )
    assert list(body["errors"]) == ["token"]
    with schema_context(tenant.schema_name):
        assert not GitHubConnection.objects.exclude(token="").exists()


def test_deleting_the_token(admin, tenant, github_api):
    stub_user(github_api)
    admin.put("/api/github/token", {"token": TOKEN}, format="json")
    assert admin.delete("/api/github/token").status_code == 204
    assert admin.get("/api/github/connection").json()["token_set"] is False
    with schema_context(tenant.schema_name):
        assert GitHubConnection.objects.get().token == ""


def test_members_cannot_set_the_token(api_client_for, tenant, member):
    client = api_client_for(tenant, member)
    assert_problem(
        client.put("/api/github/token", {"token": TOKEN}, format="json"), 403, "permission_denied"
    )
    assert client.get("/api/github/connection").status_code == 200


OAUTH_TOKEN_URL = "https://github.com/login/oauth/access_token"
USER_TOKEN = "ghu_16C7e42F292c6912E7710c838347Ae178B4a"
INSTALLATION_ID = 957387  # the installation in GitHub's published payloads


@pytest.fixture
def github_app(settings):
    settings.GITHUB_APP_SLUG = "strato"
    settings.GITHUB_APP_CLIENT_ID = "Iv1.8a61f9b3a7aba766"
    settings.GITHUB_APP_CLIENT_SECRET = "app-client-secret-value"
    return settings


def installation(installation_id=INSTALLATION_ID, login="Codertocat") -> dict:
    """An installation object as GitHub returns it (taken from a published webhook payload)."""
    payload = json.loads(fixture_payload("installation_repositories_added.payload.json"))
    body = copy.deepcopy(payload["installation"])
    body["id"] = installation_id
    body["account"]["login"] = login
    return body


def stub_oauth(github_api, *, code="gh-code-1", token=USER_TOKEN):
    """GitHub's token exchange: 200 with a token for `code`, 200 with an error for others."""

    def answer(request):
        sent = json.loads(request.body)
        if sent["code"] == code:
            return 200, {}, json.dumps({"access_token": token, "token_type": "bearer", "scope": ""})
        return (
            200,
            {},
            json.dumps(
                {
                    "error": "bad_verification_code",
                    "error_description": "The code passed is incorrect or expired.",
                    "error_uri": "https://docs.github.com/apps/troubleshooting",
                }
            ),
        )

    github_api.add_callback("POST", OAUTH_TOKEN_URL, callback=answer)


def stub_user_installations(github_api, installations):
    github_api.get(
        f"{API}/user/installations",
        json={"total_count": len(installations), "installations": installations},
    )


def start_link(client) -> str:
    response = client.post("/api/github/installation/state")
    assert response.status_code == 201, response.content
    return response.json()["state"]


def link(client, state, *, installation_id=INSTALLATION_ID, code="gh-code-1"):
    return client.put(
        "/api/github/installation",
        {"installation_id": installation_id, "code": code, "state": state},
        format="json",
    )


def test_the_install_url_carries_a_signed_single_use_state(admin, tenant, admin_user, github_app):
    response = admin.post("/api/github/installation/state")
    assert response.status_code == 201
    body = response.json()
    url = urlsplit(body["install_url"])
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "github.com",
        "/apps/strato/installations/new",
    )
    assert parse_qs(url.query) == {"state": [body["state"]]}
    with schema_context(tenant.schema_name):
        row = GitHubLinkState.objects.get()
        assert row.user_public_id == admin_user.public_id
        assert row.used_at is None
        assert body["state"] not in row.nonce_hash


def test_starting_a_link_without_the_app_configured_is_a_clear_400(admin, settings):
    settings.GITHUB_APP_SLUG = ""
    assert_problem(admin.post("/api/github/installation/state"), 400, "github_app_not_configured")


def test_the_happy_path_links_an_installation_the_user_administers(
    admin, tenant, github_api, github_app
):
    state = start_link(admin)
    stub_oauth(github_api)
    stub_user_installations(github_api, [installation(111), installation()])
    response = link(admin, state)
    assert response.status_code == 200, response.content
    assert (response.json()["installation_id"], response.json()["installation_account"]) == (
        INSTALLATION_ID,
        "Codertocat",
    )
    exchange = json.loads(github_api.calls[0].request.body)
    assert exchange == {
        "client_id": "Iv1.8a61f9b3a7aba766",
        "client_secret": "app-client-secret-value",
        "code": "gh-code-1",
    }
    assert github_api.calls[1].request.headers["Authorization"] == f"Bearer {USER_TOKEN}"
    assert InstallationRoute.objects.get(installation_id=INSTALLATION_ID).tenant == tenant
    with schema_context(tenant.schema_name):
        assert GitHubLinkState.objects.get().used_at is not None


def test_a_bare_installation_id_is_never_enough(admin, tenant, github_api, github_app):
    body = assert_problem(
        admin.put("/api/github/installation", {"installation_id": INSTALLATION_ID}, format="json"),
        400,
        "validation_error",
    )
    assert set(body["errors"]) == {"code", "state"}
    assert not InstallationRoute.objects.exists()
    assert len(github_api.calls) == 0


def test_an_installation_the_user_does_not_administer_is_refused(
    admin, tenant, github_api, github_app
):
    state = start_link(admin)
    stub_oauth(github_api)
    stub_user_installations(github_api, [installation(111, login="attacker")])
    assert_problem(link(admin, state), 403, "github_installation_forbidden")
    assert not InstallationRoute.objects.exists()
    with schema_context(tenant.schema_name):
        assert not GitHubConnection.objects.filter(installation_id__isnull=False).exists()


def test_claiming_another_tenants_installation_is_refused(
    api_client_for, admin, tenant, other_tenant, other_owner, github_api, github_app
):
    state = start_link(admin)
    stub_oauth(github_api)
    stub_user_installations(github_api, [installation()])
    assert link(admin, state).status_code == 200

    # The attacker only knows the id: GitHub does not list it for them.
    attacker = api_client_for(other_tenant, other_owner)
    github_api.replace(
        "GET", f"{API}/user/installations", json={"total_count": 0, "installations": []}
    )
    assert_problem(link(attacker, start_link(attacker)), 403, "github_installation_forbidden")
    # Even someone who administers it on GitHub cannot move it away from the first organisation.
    github_api.replace(
        "GET",
        f"{API}/user/installations",
        json={"total_count": 1, "installations": [installation()]},
    )
    assert_problem(link(attacker, start_link(attacker)), 409, "github_installation_taken")
    assert InstallationRoute.objects.get(installation_id=INSTALLATION_ID).tenant == tenant
    with schema_context(other_tenant.schema_name):
        assert not GitHubConnection.objects.filter(installation_id=INSTALLATION_ID).exists()


def test_a_replayed_state_is_refused(admin, tenant, github_api, github_app):
    state = start_link(admin)
    stub_oauth(github_api)
    stub_user_installations(github_api, [installation()])
    assert link(admin, state).status_code == 200
    calls = len(github_api.calls)
    assert_problem(link(admin, state), 400, "github_state_used")
    assert len(github_api.calls) == calls  # refused before GitHub is asked again


def test_a_state_is_used_up_even_when_github_refuses_the_code(
    admin, tenant, github_api, github_app
):
    state = start_link(admin)
    stub_oauth(github_api)
    stub_user_installations(github_api, [installation()])
    body = assert_problem(link(admin, state, code="wrong"), 400, "github_code_invalid")
    assert list(body["errors"]) == ["code"]
    assert_problem(link(admin, state), 400, "github_state_used")
    assert not InstallationRoute.objects.exists()


def test_an_expired_state_is_refused(admin, tenant, github_api, github_app):
    state = start_link(admin)
    with schema_context(tenant.schema_name):
        GitHubLinkState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    stub_oauth(github_api)
    stub_user_installations(github_api, [installation()])
    assert_problem(link(admin, state), 400, "github_state_expired")
    assert len(github_api.calls) == 0


def test_a_state_past_its_signed_age_is_refused(admin, tenant, github_api, github_app):
    state = start_link(admin)
    github_app.GITHUB_LINK_STATE_MAX_AGE_SECONDS = -1
    assert_problem(link(admin, state), 400, "github_state_expired")
    assert len(github_api.calls) == 0


def test_a_state_of_another_user_or_tenant_or_a_forged_one_is_refused(
    api_client_for, admin, owner, tenant, other_tenant, other_owner, github_api, github_app
):
    state = start_link(admin)
    stub_oauth(github_api)
    stub_user_installations(github_api, [installation()])
    assert_problem(link(api_client_for(tenant, owner), state), 400, "github_state_invalid")
    assert_problem(
        link(api_client_for(other_tenant, other_owner), state), 400, "github_state_invalid"
    )
    assert_problem(link(admin, state[:-2] + "xx"), 400, "github_state_invalid")
    assert len(github_api.calls) == 0
    assert link(admin, state).status_code == 200  # still unused, for its own user


def test_expired_states_are_cleaned_up_when_a_new_link_starts(admin, tenant, github_app):
    start_link(admin)
    with schema_context(tenant.schema_name):
        GitHubLinkState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    start_link(admin)
    with schema_context(tenant.schema_name):
        assert GitHubLinkState.objects.count() == 1
        assert GitHubLinkState.objects.get().expires_at > timezone.now()


def test_members_cannot_start_or_complete_a_link(api_client_for, tenant, member, github_app):
    client = api_client_for(tenant, member)
    assert_problem(client.post("/api/github/installation/state"), 403, "permission_denied")
    assert_problem(link(client, "x"), 403, "permission_denied")


# --- The dashboard flow: install button, public Setup URL, back on the tenant host -------------


def test_the_dashboard_flow_links_through_the_public_setup_url(
    tenant, admin_user, github_api, github_app
):
    from django.test import Client

    browser = signed_in(tenant, admin_user)
    page = browser.get("/repositories/github/")
    assert b'data-testid="install-app"' in page.content
    started = browser.post("/repositories/github/", {"action": "install"})
    assert started.status_code == 302
    install_url = urlsplit(started["Location"])
    assert install_url.netloc == "github.com"
    state = parse_qs(install_url.query)["state"][0]

    # GitHub sends the browser to the Setup URL on the public host.
    setup = Client(HTTP_HOST="localhost").get(
        "/github/callback/",
        {
            "installation_id": INSTALLATION_ID,
            "setup_action": "install",
            "code": "gh-code-1",
            "state": state,
        },
    )
    assert setup.status_code == 302
    back = urlsplit(setup["Location"])
    assert back.hostname == host_of(tenant)
    assert back.path == "/repositories/github/link/"
    assert parse_qs(back.query) == {
        "installation_id": [str(INSTALLATION_ID)],
        "setup_action": ["install"],
        "code": ["gh-code-1"],
        "state": [state],
    }

    stub_oauth(github_api)
    stub_user_installations(github_api, [installation()])
    done = browser.get(f"{back.path}?{back.query}", follow=True)
    assert done.status_code == 200
    assert b"GitHub App installation for Codertocat linked." in done.content
    assert b"Installation 957387 (Codertocat) is linked." in done.content
    assert InstallationRoute.objects.get(installation_id=INSTALLATION_ID).tenant == tenant


def test_the_setup_url_refuses_a_forged_state(github_app):
    from django.test import Client

    response = Client(HTTP_HOST="localhost").get(
        "/github/callback/", {"installation_id": INSTALLATION_ID, "state": "forged"}
    )
    assert response.status_code == 400
    assert b"start again from Strato" in response.content
    assert not InstallationRoute.objects.exists()


def test_another_signed_in_user_cannot_complete_someone_elses_link(
    tenant, admin_user, owner, github_api, github_app
):
    started = signed_in(tenant, admin_user).post("/repositories/github/", {"action": "install"})
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    stub_oauth(github_api)
    stub_user_installations(github_api, [installation()])
    done = signed_in(tenant, owner).get(
        "/repositories/github/link/",
        {"installation_id": INSTALLATION_ID, "code": "gh-code-1", "state": state},
        follow=True,
    )
    assert b"not valid for you here" in done.content
    assert not InstallationRoute.objects.exists()


def test_an_installation_waiting_for_an_owners_approval_links_nothing(
    tenant, admin_user, github_api, github_app
):
    browser = signed_in(tenant, admin_user)
    started = browser.post("/repositories/github/", {"action": "install"})
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    done = browser.get(
        "/repositories/github/link/", {"setup_action": "request", "state": state}, follow=True
    )
    assert b"asked the account&#x27;s owners to approve the installation" in done.content
    assert len(github_api.calls) == 0
    assert not InstallationRoute.objects.exists()


def test_the_install_button_explains_a_missing_oauth_client(tenant, admin_user, github_app):
    github_app.GITHUB_APP_CLIENT_SECRET = ""
    done = signed_in(tenant, admin_user).post(
        "/repositories/github/", {"action": "install"}, follow=True
    )
    assert done.redirect_chain[-1][0] == "/repositories/github/"
    assert b"GITHUB_APP_CLIENT_SECRET" in done.content
    with schema_context(tenant.schema_name):
        assert not GitHubLinkState.objects.exists()
