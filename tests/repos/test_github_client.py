import time

import pytest
import requests

from apps.repos.archive import ArchiveRejected
from apps.repos.github import (
    GitHubClient,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRepositoryEmpty,
    GitHubTransientError,
)
from tests.repos.support import API, SHA_1, build_tarball, repo_metadata, stub_tarball


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
