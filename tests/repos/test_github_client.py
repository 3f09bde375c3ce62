import time

import pytest
import requests
import responses

from apps.repos.archive import ArchiveRejected
from apps.repos.github import (
    GitHubAuthFailed,
    GitHubClient,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRepositoryEmpty,
    GitHubTransientError,
    client_for,
    installation_token,
)
from tests.repos.support import (
    API,
    SHA_1,
    build_tarball,
    repo_metadata,
    stub_tarball,
    stub_user_repos,
    user_repo,
)


def client(**kwargs) -> GitHubClient:
    options = {"base_url": API, "timeout": 5, "max_retries": 3, "backoff": 0.01, "max_wait": 5}
    options.update(kwargs)
    return GitHubClient(**options)


def test_a_primary_rate_limit_is_waited_out_until_the_reset(github_api):
    reset = int(time.time()) + 2
    github_api.get(
        f"{API}/repos/octo/hello",
        status=403,
        json={"message": "API rate limit exceeded for 1.2.3.4."},
        headers={
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Limit": "60",
        },
    )
    github_api.get(f"{API}/repos/octo/hello", json=repo_metadata())
    started = time.monotonic()
    assert client().repository("octo", "hello")["default_branch"] == "main"
    waited = time.monotonic() - started
    assert waited >= 1.0
    assert len(github_api.calls) == 2


def test_a_secondary_rate_limit_honours_retry_after(github_api):
    github_api.get(
        f"{API}/repos/octo/hello",
        status=429,
        headers={"Retry-After": "1"},
        json={"message": "You have exceeded a secondary rate limit."},
    )
    github_api.get(f"{API}/repos/octo/hello", json=repo_metadata())
    slept: list[float] = []
    assert client(sleep=slept.append).repository("octo", "hello")["id"] == 1296269
    assert slept == [1.0]


def test_a_distant_reset_is_handed_back_to_the_caller(github_api):
    github_api.get(
        f"{API}/repos/octo/hello",
        status=403,
        json={"message": "rate limit"},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 900)},
    )
    with pytest.raises(GitHubRateLimited) as error:
        client().repository("octo", "hello")
    assert 880 < error.value.retry_after <= 902
    assert len(github_api.calls) == 1


def test_server_errors_and_timeouts_are_retried_with_backoff(github_api):
    github_api.get(f"{API}/repos/octo/hello", status=502)
    github_api.get(f"{API}/repos/octo/hello", body=requests.ConnectTimeout("slow"))
    github_api.get(f"{API}/repos/octo/hello", json=repo_metadata())
    slept: list[float] = []
    assert client(sleep=slept.append).repository("octo", "hello")["id"] == 1296269
    assert slept == [0.01, 0.02]


def test_persistent_server_errors_become_a_transient_error(github_api):
    github_api.get(f"{API}/repos/octo/hello", status=503)
    with pytest.raises(GitHubTransientError):
        client(max_retries=2).repository("octo", "hello")
    assert len(github_api.calls) == 3


def test_the_head_lookup_is_conditional(github_api):
    github_api.get(f"{API}/repos/octo/hello/commits/main", body=SHA_1, headers={"ETag": 'W/"abc"'})
    first = client().head("octo", "hello", "main")
    assert (first.sha, first.etag, first.not_modified) == (SHA_1, 'W/"abc"', False)

    github_api.replace("GET", f"{API}/repos/octo/hello/commits/main", status=304)
    again = client().head("octo", "hello", "main", etag=first.etag)
    assert again.not_modified
    assert github_api.calls[-1].request.headers["If-None-Match"] == 'W/"abc"'
    assert github_api.calls[-1].request.headers["Accept"] == "application/vnd.github.sha"


def test_an_empty_repository_and_a_missing_branch(github_api):
    github_api.get(
        f"{API}/repos/octo/empty/commits/main",
        status=409,
        json={"message": "Git Repository is empty."},
    )
    with pytest.raises(GitHubRepositoryEmpty):
        client().head("octo", "empty", "main")
    github_api.get(
        f"{API}/repos/octo/hello/commits/nope",
        status=404,
        json={"message": "No commit found for SHA: nope"},
    )
    with pytest.raises(GitHubNotFound) as error:
        client().head("octo", "hello", "nope")
    assert error.value.code == "github_ref_not_found"


def test_the_tarball_follows_the_redirect_and_streams_to_disk(github_api, tmp_path):
    body = build_tarball({"a.py": "print(1)\n"})
    stub_tarball(github_api, body=body)
    target = tmp_path / "a.tar.gz"
    assert client().download_tarball("octo", "hello", SHA_1, target, max_bytes=10**6) == len(body)
    assert target.read_bytes() == body


def test_an_oversized_tarball_is_refused(github_api, tmp_path):
    stub_tarball(github_api, body=build_tarball({"a.txt": "x" * 5000}))
    with pytest.raises(ArchiveRejected) as error:
        client().download_tarball("octo", "hello", SHA_1, tmp_path / "a.tgz", max_bytes=100)
    assert error.value.code == "archive_too_large"


def test_a_token_is_sent_as_a_bearer(github_api):
    github_api.get(f"{API}/repos/octo/private", json=repo_metadata("octo", "private", private=True))
    client(token="ghp_example").repository("octo", "private")
    assert github_api.calls[0].request.headers["Authorization"] == "Bearer ghp_example"
    assert github_api.calls[0].request.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_pygithub_calls_reach_githubs_documented_urls_with_our_headers(github_api):
    github_api.get(f"{API}/repos/octo/hello", json=repo_metadata())
    client(token="ghp_example").repository("octo", "hello")
    request = github_api.calls[0].request
    assert request.url == f"{API}/repos/octo/hello"  # no ":443" written in by PyGithub
    assert request.headers["User-Agent"] == "Strato-Repository-Analysis"


def test_a_rejected_token_and_a_missing_repository_are_our_errors(github_api):
    github_api.get(f"{API}/repos/octo/hello", status=401, json={"message": "Bad credentials"})
    with pytest.raises(GitHubAuthFailed) as rejected:
        client(token="ghp_revoked").repository("octo", "hello")
    assert rejected.value.code == "github_token_invalid"
    github_api.get(f"{API}/repos/octo/gone", status=404, json={"message": "Not Found"})
    with pytest.raises(GitHubNotFound) as missing:
        client().repository("octo", "gone")
    assert missing.value.code == "github_repository_not_found"


def test_a_users_repositories_are_one_request_whatever_their_number(github_api):
    repos = [
        user_repo("ada", f"r{index}", repo_id=index, pushed_at="2026-01-01T00:00:00Z")
        for index in range(3)
    ]
    stub_user_repos(github_api, "ada", repos)
    listed = client().user_repositories("ada", per_page=50)
    assert [(repo["id"], repo["full_name"]) for repo in listed] == [
        (0, "ada/r0"),
        (1, "ada/r1"),
        (2, "ada/r2"),
    ]
    assert len(github_api.calls) == 1  # the items are not fetched one by one
    assert github_api.calls[0].request.params == {
        "type": "owner",
        "sort": "pushed",
        "per_page": "50",
    }


def test_a_missing_user_and_a_rate_limit_on_the_users_repositories(github_api):
    stub_user_repos(github_api, "nobody", status=404, json={"message": "Not Found"})
    with pytest.raises(GitHubNotFound) as missing:
        client().user_repositories("nobody")
    assert missing.value.code == "github_user_not_found"
    stub_user_repos(
        github_api,
        "ada",
        status=403,
        json={"message": "API rate limit exceeded"},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 900)},
    )
    with pytest.raises(GitHubRateLimited):
        client().user_repositories("ada")


def test_a_users_installations_follow_githubs_pages(github_api):
    first = [{"id": index, "account": {"login": f"org{index}"}} for index in range(100)]
    github_api.get(
        f"{API}/user/installations",
        json={"total_count": 101, "installations": first},
        headers={"Link": f'<{API}/user/installations?per_page=100&page=2>; rel="next"'},
        match=[responses.matchers.query_param_matcher({"per_page": "100"})],
    )
    github_api.get(
        f"{API}/user/installations",
        json={"total_count": 101, "installations": [{"id": 957387, "account": {}}]},
        match=[responses.matchers.query_param_matcher({"per_page": "100", "page": "2"})],
    )
    installations = client(token="ghu_user").user_installations()
    assert [item["id"] for item in installations] == [*range(100), 957387]
    assert github_api.calls[0].request.headers["Authorization"] == "Bearer ghu_user"


@pytest.fixture
def app_key(settings):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings.GITHUB_APP_ID = "29310"
    settings.GITHUB_APP_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.GITHUB_API_URL = API
    return key


def test_an_installation_token_is_asked_for_with_the_app_jwt(github_api, app_key):
    import jwt

    github_api.post(
        f"{API}/app/installations/957387/access_tokens",
        status=201,
        json={
            "token": "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "expires_at": "2026-07-11T22:14:10Z",
            "permissions": {"contents": "read", "metadata": "read"},
            "repository_selection": "selected",
        },
    )
    assert installation_token(957387) == "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
    sent = github_api.calls[0].request.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(sent, app_key.public_key(), algorithms=["RS256"])
    assert claims["iss"] == "29310"

    github_api.get(f"{API}/repos/octo/private", json=repo_metadata("octo", "private"))
    client_for(installation_id=957387).repository("octo", "private")
    assert github_api.calls[-1].request.headers["Authorization"] == (
        "Bearer ghs_16C7e42F292c6912E7710c838347Ae178B4a"
    )


def test_a_refused_installation_token_is_a_clear_error(github_api, app_key):
    github_api.post(
        f"{API}/app/installations/1/access_tokens", status=404, json={"message": "Not Found"}
    )
    with pytest.raises(GitHubAuthFailed) as refused:
        installation_token(1)
    assert refused.value.code == "github_installation_invalid"
