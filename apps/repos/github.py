"""The one GitHub client: every call to GitHub goes through here.

Plain `requests` for the REST API (so timeouts, retries, conditional requests and streaming are
ours to control) and PyGithub's `Auth.AppAuth` for the GitHub App's JWT. Rules:

- every request has a timeout; connection errors and 5xx answers are retried with exponential
  backoff (`GITHUB_MAX_RETRIES`, `GITHUB_RETRY_BACKOFF_SECONDS`);
- a rate limit (primary: 403/429 with `X-RateLimit-Remaining: 0`; secondary: `Retry-After`) is
  waited out in place when the reset is near (`GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS`), otherwise
  `GitHubRateLimited` tells the caller how long to wait (the Celery task reschedules itself);
- the branch head is looked up with `If-None-Match`, so an unchanged head costs a 304 (which
  GitHub does not count against the rate limit) and no download;
- the tarball is streamed to disk and unpacked by `apps.repos.archive` under size limits.

Why the REST calls are not made with PyGithub 2.10 (checked against its source):

- its HTTPS connection class writes the port into every URL (`https://api.github.com:443/…`),
  and can be replaced only process-wide (`Requester.injectConnectionClasses`, which also turns
  off connection reuse); our tests stub GitHub at the HTTP layer by its real URLs;
- its connection class never passes `stream=True` to `requests`, so `getStream`/`getFile` read a
  whole tarball into memory before our size cap could refuse it;
- its `retry=` is a urllib3 `Retry` inside the connection pool: `GithubRetry` recognises rate
  limits by the message text rather than GitHub's `X-RateLimit-*`/`Retry-After` headers, and
  timeouts, 5xx and rate limits cannot share one backoff sequence with a sleep we can inject;
- the head lookup needs the `application/vnd.github.sha` media type and `If-None-Match`, which
  only its low-level `requester` can send, and it then guesses whether the body is JSON.

This module has no Django models in it; settings are read when a client is built.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from github import Auth

from .archive import ArchiveRejected

logger = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
USER_AGENT = "Strato-Repository-Analysis"
OAUTH_TOKEN_URL = "https://github.com/login/oauth/access_token"

# --- URL parsing --------------------------------------------------------------------------------

GITHUB_HOSTS = {"github.com", "www.github.com"}
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>(?!//)[^\s]+)$")
# First path segments of github.com that are pages, not accounts.
_RESERVED_OWNERS = {
    "settings",
    "orgs",
    "organizations",
    "marketplace",
    "explore",
    "topics",
    "trending",
    "collections",
    "sponsors",
    "notifications",
    "login",
    "logout",
    "join",
    "new",
    "apps",
    "features",
    "pricing",
    "about",
    "site",
    "security",
    "enterprise",
    "search",
    "pulls",
    "issues",
    "codespaces",
    "users",
    "repos",
}


class InvalidRepositoryURL(ValueError):
    """Input that does not name a GitHub repository; `code` is stable for clients."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RepoRef:
    owner: str
    name: str
    ref: str = ""
    path: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def parse_repository_url(value: str) -> RepoRef:
    """Any way people write a GitHub repository, as (owner, name, ref, path).

    Accepts `https://github.com/o/r`, `http://…`, `github.com/o/r`, a `.git` suffix, trailing
    slashes, `/tree/<branch>/<path>` and `/blob/<branch>/<path>` (the first segment after
    `tree` is taken as the branch), `git@github.com:o/r.git`, `ssh://git@github.com/o/r.git`,
    `git://github.com/o/r.git`, and the short `o/r`.
    """
    text = (value or "").strip()
    if not text:
        raise InvalidRepositoryURL(
            "Enter a GitHub repository URL or owner/name.", code="repository_url_required"
        )
    if len(text) > 500 or any(ch.isspace() for ch in text):
        raise InvalidRepositoryURL("This is not a repository URL.", code="github_url_invalid")

    host, path = _split_host_and_path(text)
    if host is not None and host.lower() not in GITHUB_HOSTS:
        raise InvalidRepositoryURL(
            f"Only github.com repositories can be analysed, not {host.lower()}.",
            code="not_github_url",
        )
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) < 2:
        raise InvalidRepositoryURL(
            "The URL names a GitHub account but no repository; use "
            "https://github.com/<owner>/<repository>.",
            code="github_url_incomplete",
        )
    owner, name = segments[0], segments[1]
    if name.lower().endswith(".git"):
        name = name[:-4]
    if (
        owner.lower() in _RESERVED_OWNERS
        or not _OWNER.match(owner)
        or not _NAME.match(name)
        or name in {".", ".."}
    ):
        raise InvalidRepositoryURL(
            f"{owner}/{name} is not a valid GitHub repository name.", code="github_url_invalid"
        )
    ref, subpath = "", ""
    rest = segments[2:]
    if rest:
        if host is None and not text.startswith(("git@", "ssh:", "git:")) and "." not in text:
            # "owner/name/extra" without a host is not a form anyone writes.
            raise InvalidRepositoryURL(
                "Use owner/name or a full GitHub URL.", code="github_url_invalid"
            )
        if rest[0] in {"tree", "blob"} and len(rest) >= 2:
            ref, subpath = rest[1], "/".join(rest[2:])
    return RepoRef(owner=owner, name=name, ref=ref, path=subpath)


def parse_account(value: str) -> str:
    """The GitHub login a username or profile URL names.

    Accepts `octocat`, `@octocat`, `https://github.com/octocat` (with or without scheme,
    trailing slash or query) and raises `InvalidRepositoryURL` for anything else, so a login
    is safe to put in an API path.
    """
    text = (value or "").strip().removeprefix("@")
    if not text or len(text) > 500 or any(ch.isspace() for ch in text):
        raise InvalidRepositoryURL("Enter a GitHub username.", code="github_account_invalid")
    if any(ch in text for ch in "/.:"):
        host, path = _split_host_and_path(text)
        if host is None or host.lower() not in GITHUB_HOSTS:
            raise InvalidRepositoryURL(
                "This is not a GitHub profile URL.", code="github_account_invalid"
            )
        segments = [segment for segment in path.split("/") if segment]
        if len(segments) != 1:
            raise InvalidRepositoryURL(
                "This is not a GitHub profile URL.", code="github_account_invalid"
            )
        text = segments[0]
    if not _OWNER.match(text) or text.lower() in _RESERVED_OWNERS:
        raise InvalidRepositoryURL(
            f"{text} is not a valid GitHub username.", code="github_account_invalid"
        )
    return text


def parse_account_or_repository(value: str) -> RepoRef | str:
    """A repository (`RepoRef`) or, for a username or profile URL, the account's login."""
    try:
        return parse_repository_url(value)
    except InvalidRepositoryURL as exc:
        if exc.code != "github_url_incomplete":
            raise
    return parse_account(value)


def _split_host_and_path(text: str) -> tuple[str | None, str]:
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme.lower() not in {"http", "https", "ssh", "git", "git+ssh"}:
            raise InvalidRepositoryURL(
                f"Unsupported URL scheme {parts.scheme!r}.", code="github_url_invalid"
            )
        if not parts.hostname:
            raise InvalidRepositoryURL("The URL has no host.", code="github_url_invalid")
        return parts.hostname, parts.path
    scp = _SCP.match(text)
    if scp and "." in scp["host"]:
        return scp["host"], scp["path"]
    first, _, rest = text.partition("/")
    if "." in first:  # github.com/owner/name without a scheme
        return first.split("@")[-1], rest.split("?")[0].split("#")[0]
    if ":" in text:
        raise InvalidRepositoryURL("This is not a repository URL.", code="github_url_invalid")
    return None, text


# --- Errors -------------------------------------------------------------------------------------


class GitHubError(Exception):
    """A GitHub answer that retrying will not change. `code` becomes the analysis failure code."""

    code = "github_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class GitHubNotFound(GitHubError):
    code = "github_repository_not_found"


class GitHubRepositoryEmpty(GitHubError):
    code = "repository_empty"


class GitHubAuthFailed(GitHubError):
    code = "github_token_invalid"


class GitHubTransientError(Exception):
    """Worth retrying later: network trouble, 5xx, or a rate limit."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GitHubRateLimited(GitHubTransientError):
    pass


@dataclass(frozen=True)
class Head:
    sha: str
    etag: str
    not_modified: bool


# --- Client -------------------------------------------------------------------------------------


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

    # -- transport --

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        json: dict | None = None,
        auth_header: str | None = None,
    ) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        request_headers = dict(headers or {})
        if auth_header:
            request_headers["Authorization"] = auth_header
        failures = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=request_headers,
                    stream=stream,
                    json=json,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failures += 1
                if failures > self.max_retries:
                    raise GitHubTransientError(f"GitHub did not answer: {exc}") from exc
                self._backoff(failures)
                continue
            wait = self._rate_limit_wait(response)
            if wait is not None:
                response.close()
                if wait > self.max_wait:
                    raise GitHubRateLimited(
                        f"GitHub rate limit reached; it resets in {int(wait)} s.", retry_after=wait
                    )
                logger.info("GitHub rate limit: waiting %.1f s", wait)
                self.sleep(wait)
                failures += 1
                if failures > self.max_retries + 2:
                    raise GitHubRateLimited(
                        "GitHub kept rate limiting the request.", retry_after=wait
                    )
                continue
            if response.status_code in (500, 502, 503, 504):
                failures += 1
                response.close()
                if failures > self.max_retries:
                    raise GitHubTransientError(
                        f"GitHub answered {response.status_code} {failures} times."
                    )
                self._backoff(failures)
                continue
            return response

    def _backoff(self, failures: int) -> None:
        self.sleep(min(30.0, self.backoff * 2 ** (failures - 1)))

    @staticmethod
    def _rate_limit_wait(response: requests.Response) -> float | None:
        """Seconds to wait when the answer is a rate limit, else None."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("Retry-After")
        if retry_after and retry_after.isdigit():
            return float(retry_after)
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = response.headers.get("X-RateLimit-Reset", "")
            if reset.isdigit():
                return max(1.0, int(reset) - time.time() + 1)
            return 60.0
        if response.status_code == 429:
            return 60.0
        return None

    def _json(self, response: requests.Response, *, what: str) -> dict:
        if response.status_code == 401:
            raise GitHubAuthFailed("GitHub rejected the token (401 Bad credentials).")
        if response.status_code in (403, 404):
            raise GitHubNotFound(
                f"{what} was not found on GitHub, or it is private and this "
                "organisation has no access to it."
            )
        if response.status_code >= 400:
            raise GitHubError(f"GitHub answered {response.status_code} for {what}.")
        return response.json()

    # -- calls --

    def repository(self, owner: str, name: str) -> dict:
        return self._json(
            self.request("GET", f"/repos/{owner}/{name}"), what=f"Repository {owner}/{name}"
        )

    def user_repositories(self, login: str, *, per_page: int = 100) -> list[dict]:
        """One page of the public repositories `login` owns, most recently pushed first.

        Forks and archived repositories are included (the caller decides); 404 is
        `GitHubNotFound` with code `github_user_not_found`.
        """
        per_page = max(1, min(100, per_page))
        response = self.request(
            "GET",
            f"/users/{quote(login, safe='')}/repos?type=owner&sort=pushed&per_page={per_page}",
        )
        if response.status_code == 404:
            raise GitHubNotFound(
                f"GitHub has no user or organisation {login!r}.", code="github_user_not_found"
            )
        if response.status_code >= 400:
            self._json(response, what=f"The repositories of {login}")
        body = response.json()
        if not isinstance(body, list):
            raise GitHubError(f"GitHub answered an unexpected list of repositories for {login}.")
        return body

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
            self._json(response, what=f"Repository {owner}/{name}")
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
                self._json(response, what=f"The archive of {owner}/{name}")
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

    def authenticated_user(self) -> tuple[dict, str]:
        """The account a token belongs to, and its OAuth scopes (blank for fine-grained)."""
        response = self.request("GET", "/user")
        if response.status_code in (401, 403):
            raise GitHubAuthFailed("GitHub rejected this token: it is invalid, expired or revoked.")
        body = self._json(response, what="The token's user")
        return body, response.headers.get("X-OAuth-Scopes", "")

    def user_installations(self) -> list[dict]:
        """The App's installations the token's user can administer (a user-to-server token).

        GitHub lists only installations on the user's own account and on organisations where
        the user is an owner, or the installations it was granted access to as an admin.
        """
        installations: list[dict] = []
        page = 1
        while True:
            response = self.request("GET", f"/user/installations?per_page=100&page={page}")
            if response.status_code in (401, 403):
                raise GitHubAuthFailed(
                    "GitHub rejected the user token.", code="github_code_invalid"
                )
            body = self._json(response, what="The user's installations")
            batch = body.get("installations") or []
            installations.extend(batch)
            if len(batch) < 100 or len(installations) >= int(body.get("total_count") or 0):
                return installations
            page += 1

    # -- GitHub App --

    def installation(self, installation_id: int) -> dict:
        response = self.request(
            "GET", f"/app/installations/{installation_id}", auth_header=f"Bearer {app_jwt()}"
        )
        return self._json(response, what=f"Installation {installation_id}")

    def installation_token(self, installation_id: int) -> str:
        response = self.request(
            "POST",
            f"/app/installations/{installation_id}/access_tokens",
            auth_header=f"Bearer {app_jwt()}",
        )
        if response.status_code >= 400:
            raise GitHubAuthFailed(
                f"GitHub refused a token for installation "
                f"{installation_id} ({response.status_code}).",
                code="github_installation_invalid",
            )
        return response.json()["token"]


def app_configured() -> bool:
    return bool(settings.GITHUB_APP_ID and settings.GITHUB_APP_PRIVATE_KEY)


def app_jwt() -> str:
    """A short-lived JWT signed with the App's private key (PyGithub does the signing)."""
    if not app_configured():
        raise GitHubError(
            "The GitHub App is not configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY).",
            code="github_app_not_configured",
        )
    return Auth.AppAuth(settings.GITHUB_APP_ID, settings.GITHUB_APP_PRIVATE_KEY).create_jwt()


def oauth_user_token(code: str) -> str:
    """Exchange the `code` GitHub hands to the App's Setup URL for a user-to-server token."""
    if not (settings.GITHUB_APP_CLIENT_ID and settings.GITHUB_APP_CLIENT_SECRET):
        raise GitHubError(
            "The GitHub App's OAuth client is not configured "
            "(GITHUB_APP_CLIENT_ID, GITHUB_APP_CLIENT_SECRET).",
            code="github_app_not_configured",
        )
    response = GitHubClient().request(
        "POST",
        OAUTH_TOKEN_URL,
        headers={"Accept": "application/json"},
        json={
            "client_id": settings.GITHUB_APP_CLIENT_ID,
            "client_secret": settings.GITHUB_APP_CLIENT_SECRET,
            "code": code,
        },
    )
    body = response.json() if response.status_code < 500 else {}
    token = body.get("access_token") if isinstance(body, dict) else None
    if response.status_code >= 400 or not token:
        # GitHub answers 200 {"error": "bad_verification_code", ...} for a wrong or used code.
        raise GitHubAuthFailed(
            "GitHub did not accept the authorisation code: it is wrong, expired or already used.",
            code="github_code_invalid",
        )
    return str(token)


def client_for(*, token: str = "", installation_id: int | None = None) -> GitHubClient:
    """A client with the best credential available: PAT, else App installation, else none."""
    if token:
        return GitHubClient(token=token)
    if installation_id and app_configured():
        return GitHubClient(token=GitHubClient().installation_token(installation_id))
    return GitHubClient()
