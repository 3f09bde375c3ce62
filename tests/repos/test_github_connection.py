import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.repos.models import GitHubConnection
from tests.helpers import assert_problem
from tests.repos.support import API, repo_metadata

pytestmark = pytest.mark.django_db

TOKEN = "github_pat_11AAAAAAA0example0secret0value"


@pytest.fixture(autouse=True)
def _clean(tenant, fast_github):
    with schema_context(tenant.schema_name):
        GitHubConnection.objects.all().delete()


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


def test_linking_an_installation_without_app_credentials_is_a_clear_400(admin, settings):
    settings.GITHUB_APP_ID = ""
    body = assert_problem(
        admin.put("/api/github/installation", {"installation_id": 957387}, format="json"),
        400,
        "github_app_not_configured",
    )
    assert list(body["errors"]) == ["installation_id"]


def test_linking_an_installation_checks_it_with_the_app_jwt(admin, tenant, github_api, settings):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from apps.repos.routing.models import InstallationRoute

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings.GITHUB_APP_ID = "29310"
    settings.GITHUB_APP_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    github_api.get(
        f"{API}/app/installations/957387", json={"id": 957387, "account": {"login": "Codertocat"}}
    )
    response = admin.put("/api/github/installation", {"installation_id": 957387}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["installation_id"], response.json()["installation_account"]) == (
        957387,
        "Codertocat",
    )
    jwt = github_api.calls[0].request.headers["Authorization"].removeprefix("Bearer ")
    import jwt as pyjwt

    claims = pyjwt.decode(jwt, key.public_key(), algorithms=["RS256"])
    assert claims["iss"] == "29310"
    assert InstallationRoute.objects.get(installation_id=957387).tenant == tenant
