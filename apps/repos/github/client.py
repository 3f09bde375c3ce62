"""`GitHubClient`: the REST calls, through PyGithub where it does the job, under one retry policy.

PyGithub makes the calls that map onto its objects (repository metadata, a user's repositories,
the token's user, the installations a user token may administer); two calls are ours, on the
same `requests` session rules (see the package docstring for why): the conditional head lookup
and the streamed tarball download.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from django.conf import settings
from github import Auth, Github, GithubException
from github.GithubObject import GithubObject
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
    RequestsResponse,
)
from requests.structures import CaseInsensitiveDict

from ..archive import ArchiveRejected
from .errors import (
    GitHubAuthFailed,
    GitHubError,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRepositoryEmpty,
    GitHubTransientError,
)

logger = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
USER_AGENT = "Strato-Repository-Analysis"
RETRYABLE_STATUSES = (500, 502, 503, 504)

T = TypeVar("T")


@dataclass(frozen=True)
class Head:
    sha: str
    etag: str
    not_modified: bool


# --- PyGithub, configured for us ---------------------------------------------------------------


class _Connection(HTTPSRequestsConnectionClass):
    """PyGithub's HTTPS connection, with two fixes.

    It writes the port into every URL (`https://api.github.com:443/…`), which is the same
    address but not the one GitHub documents (and our HTTP stubs match on); and the connections
    it opens for other hosts (the OAuth token exchange on github.com) get no timeout.
    """

    def getresponse(self) -> RequestsResponse:
        port = "" if self.port == 443 else f":{self.port}"
        send = getattr(self.session, self.verb.lower())
        response = send(
            f"{self.protocol}://{self.host}{port}{self.url}",
            headers=self.headers,
            data=self.input,
            timeout=self.timeout or settings.GITHUB_TIMEOUT_SECONDS,
            verify=self.verify,
            allow_redirects=False,
        )
        return RequestsResponse(response)


# PyGithub copies its requester for many calls (`withAuth`, `withLazy`: `Requester(**kwargs)`),
# so a connection class set on one instance is lost; the class-wide hook is the only one that
# holds. It turns PyGithub's connection reuse off, which costs little: a client makes one or two
# PyGithub calls. Plain-HTTP API roots (a local stub server) keep PyGithub's class, which writes
# their explicit port as it should.
Requester.injectConnectionClasses(HTTPRequestsConnectionClass, _Connection)


class BearerToken(Auth.Token):
    """A token sent as `Authorization: Bearer …`, as GitHub documents (PyGithub says `token`)."""

    @property
    def token_type(self) -> str:
        return "Bearer"


def pygithub_options(*, base_url: str, timeout: float) -> dict[str, Any]:
    """What every `Github`/`GithubIntegration` we build shares.

    `retry=None`: PyGithub's own `GithubRetry` would sleep inside urllib3 and recognise rate
    limits by message text; our `GitHubClient._call` owns retries. No pause between requests
    (PyGithub's default spaces them by 0.25 s, writes by 1 s).
    """
    return {
        "base_url": base_url,
        "timeout": math.ceil(timeout),  # PyGithub insists on whole seconds
        "user_agent": USER_AGENT,
        "retry": None,
        "seconds_between_requests": None,
        "seconds_between_writes": None,
        "lazy": True,
        "api_version": API_VERSION,
    }


def listed_attributes(item: GithubObject) -> dict[str, Any]:
    """The attributes GitHub sent for an item of a list, without completing it.

    `raw_data` on a completable object (a `Repository`) first fetches its full representation,
    one request per listed item; the base class's property returns what the list carried.
    """
    return dict(GithubObject.raw_data.fget(item))  # type: ignore[attr-defined]


# --- The client --------------------------------------------------------------------------------


class GitHubClient:
    def __init__(
        self,
        *,
        token: str = "",
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff: float | None = None,
        max_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.token = token
        self.base_url = (base_url or settings.GITHUB_API_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.GITHUB_TIMEOUT_SECONDS
        self.max_retries = max_retries if max_retries is not None else settings.GITHUB_MAX_RETRIES
        self.backoff = backoff if backoff is not None else settings.GITHUB_RETRY_BACKOFF_SECONDS
        self.max_wait = (
            max_wait if max_wait is not None else settings.GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS
        )
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": USER_AGENT,
            }
        )
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def github(self, *, per_page: int = 100) -> Github:
        """A PyGithub client with this client's token, base URL and timeout."""
        gh = Github(
            auth=BearerToken(self.token) if self.token else None,
            per_page=per_page,
            **pygithub_options(base_url=self.base_url, timeout=self.timeout),
        )
        return gh

    # -- retry policy, shared by PyGithub calls and our own requests --

    def _call(
        self,
        operation: Callable[[], T],
        *,
        what: str,
        errors: Mapping[int, GitHubError] | None = None,
    ) -> T:
        """Run a PyGithub operation under our retry policy; its errors become ours.

        `errors` maps a status to the error it means for this call; otherwise 401 is a rejected
        token, 403/404 a missing (or invisible private) resource, anything else `GitHubError`.
        """
        failures = 0
        while True:
            try:
                return operation()
            except (requests.ConnectionError, requests.Timeout) as exc:
                failures = self._after_network_error(failures, exc)
            except GithubException as exc:
                retried = self._after_answer(failures, exc.status, exc.headers or {})
                if retried is None:
                    raise self._error_for(exc.status, what=what, errors=errors) from exc
                failures = retried

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """One hand-written request under the same retry policy (see the package docstring)."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        failures = 0
        while True:
            try:
                response = self.session.request(
                    method, url, headers=headers or {}, stream=stream, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failures = self._after_network_error(failures, exc)
                continue
            retried = self._after_answer(failures, response.status_code, response.headers)
            if retried is None:
                return response
            response.close()
            failures = retried

    def _after_network_error(self, failures: int, exc: Exception) -> int:
        failures += 1
        if failures > self.max_retries:
            raise GitHubTransientError(f"GitHub did not answer: {exc}") from exc
        self._backoff(failures)
        return failures

    def _after_answer(self, failures: int, status: int, headers: Mapping[str, Any]) -> int | None:
        """The failure count to retry with after waiting, or None when the answer stands."""
        wait = rate_limit_wait(status, headers)
        if wait is not None:
            if wait > self.max_wait:
                raise GitHubRateLimited(
                    f"GitHub rate limit reached; it resets in {int(wait)} s.", retry_after=wait
                )
            logger.info("GitHub rate limit: waiting %.1f s", wait)
            self.sleep(wait)
            failures += 1
            if failures > self.max_retries + 2:
                raise GitHubRateLimited("GitHub kept rate limiting the request.", retry_after=wait)
            return failures
        if status in RETRYABLE_STATUSES:
            failures += 1
            if failures > self.max_retries:
                raise GitHubTransientError(f"GitHub answered {status} {failures} times.")
            self._backoff(failures)
            return failures
        return None

    def _backoff(self, failures: int) -> None:
        self.sleep(min(30.0, self.backoff * 2 ** (failures - 1)))

    @staticmethod
    def _error_for(
        status: int, *, what: str, errors: Mapping[int, GitHubError] | None = None
    ) -> GitHubError:
        if errors and status in errors:
            return errors[status]
        if status == 401:
            return GitHubAuthFailed("GitHub rejected the token (401 Bad credentials).")
        if status in (403, 404):
            return GitHubNotFound(
                f"{what} was not found on GitHub, or it is private and this "
                "organisation has no access to it."
            )
        return GitHubError(f"GitHub answered {status} for {what}.")

    # -- calls through PyGithub --

    def repository(self, owner: str, name: str) -> dict:
        gh = self.github()
        return self._call(
            lambda: gh.get_repo(f"{owner}/{name}").raw_data, what=f"Repository {owner}/{name}"
        )

    def user_repositories(self, login: str, *, per_page: int = 100) -> list[dict]:
        """One page of the public repositories `login` owns, most recently pushed first.

        Forks and archived repositories are included (the caller decides); 404 is
        `GitHubNotFound` with code `github_user_not_found`.
        """
        gh = self.github(per_page=max(1, min(100, per_page)))

        def first_page() -> list[dict]:
            owner = gh.get_user(login, lazy=True)  # PyGithub quotes it; lazy: no GET /users/…
            page = owner.get_repos(type="owner", sort="pushed").get_page(0)
            return [listed_attributes(repo) for repo in page]

        return self._call(
            first_page,
            what=f"The repositories of {login}",
            errors={
                404: GitHubNotFound(
                    f"GitHub has no user or organisation {login!r}.", code="github_user_not_found"
                )
            },
        )

    def authenticated_user(self) -> tuple[dict, str]:
        """The account a token belongs to, and its OAuth scopes (blank for fine-grained)."""
        gh = self.github()

        def user_and_scopes() -> tuple[dict, str]:
            user = gh.get_user()
            body = user.raw_data
            return body, str(CaseInsensitiveDict(user.raw_headers).get("X-OAuth-Scopes", ""))

        rejected = GitHubAuthFailed(
            "GitHub rejected this token: it is invalid, expired or revoked."
        )
        return self._call(
            user_and_scopes, what="The token's user", errors={401: rejected, 403: rejected}
        )

    def user_installations(self) -> list[dict]:
        """The App's installations the token's user can administer (a user-to-server token).

        GitHub lists only installations on the user's own account and on organisations where
        the user is an owner, or that it granted the user access to as an admin.
        """
        gh = self.github()
        rejected = GitHubAuthFailed("GitHub rejected the user token.", code="github_code_invalid")
        return self._call(
            lambda: [listed_attributes(item) for item in gh.get_user().get_installations()],
            what="The user's installations",
            errors={401: rejected, 403: rejected},
        )

    # -- hand-written calls --

    def head(self, owner: str, name: str, ref: str, *, etag: str = "") -> Head:
        """The commit at `ref`; with `etag`, a 304 means the head has not moved."""
        headers = {"Accept": "application/vnd.github.sha"}
        if etag:
            headers["If-None-Match"] = etag
        response = self.request("GET", f"/repos/{owner}/{name}/commits/{ref}", headers=headers)
        if response.status_code == 304:
            return Head(sha="", etag=etag, not_modified=True)
        if response.status_code == 409:
            raise GitHubRepositoryEmpty(f"{owner}/{name} is empty: it has no commits to analyse.")
        if response.status_code == 422 or (response.status_code == 404 and ref):
            raise GitHubNotFound(
                f"Branch or commit {ref!r} was not found in {owner}/{name}.",
                code="github_ref_not_found",
            )
        if response.status_code >= 400:
            raise self._error_for(response.status_code, what=f"Repository {owner}/{name}")
        sha = response.text.strip()
        if not re.fullmatch(r"[0-9a-f]{40}", sha):
            raise GitHubError(f"GitHub answered an unexpected commit id for {ref!r}.")
        return Head(sha=sha, etag=response.headers.get("ETag", ""), not_modified=False)

    def download_tarball(
        self, owner: str, name: str, sha: str, destination: Path, *, max_bytes: int
    ) -> int:
        """Stream the tarball of `sha` to `destination`; returns its size in bytes."""
        response = self.request("GET", f"/repos/{owner}/{name}/tarball/{sha}", stream=True)
        with response:
            if response.status_code >= 400:
                raise self._error_for(response.status_code, what=f"The archive of {owner}/{name}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ArchiveRejected(
                    f"The repository archive is {int(declared)} bytes; the limit is {max_bytes}.",
                    code="archive_too_large",
                )
            written = 0
            with destination.open("wb") as out:
                for chunk in response.iter_content(chunk_size=64 * 1024):
                    written += len(chunk)
                    if written > max_bytes:
                        raise ArchiveRejected(
                            f"The repository archive is larger than the limit of {max_bytes} "
                            "bytes.",
                            code="archive_too_large",
                        )
                    out.write(chunk)
        return written


def rate_limit_wait(status: int, headers: Mapping[str, Any]) -> float | None:
    """Seconds to wait when the answer is a rate limit, else None.

    Primary limit: 403/429 with `X-RateLimit-Remaining: 0` until `X-RateLimit-Reset`; secondary
    limit: `Retry-After`. PyGithub lower-cases header names, `requests` does not.
    """
    if status not in (403, 429):
        return None
    header = CaseInsensitiveDict(headers)
    retry_after = str(header.get("Retry-After") or "")
    if retry_after.isdigit():
        return float(retry_after)
    if str(header.get("X-RateLimit-Remaining")) == "0":
        reset = str(header.get("X-RateLimit-Reset") or "")
        if reset.isdigit():
            return max(1.0, int(reset) - time.time() + 1)
        return 60.0
    if status == 429:
        return 60.0
    return None
