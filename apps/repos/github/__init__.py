"""The one GitHub client: every call to GitHub goes through this package.

- `urls`: the ways people write a repository or account (no network).
- `errors`: our domain errors; PyGithub's exceptions never leave the package.
- `client`: `GitHubClient`, the REST calls and the one retry policy.
- `app`: the GitHub App (JWT, installation tokens) and the OAuth code of its Setup URL.

PyGithub (2.10) makes the calls it models: repository metadata (`get_repo`), a user's
repositories (`get_user(login).get_repos`), the token's user (`get_user`), the installations a
user token administers (`get_user().get_installations`), installation tokens
(`GithubIntegration.get_access_token`), the OAuth code exchange
(`get_oauth_application().get_access_token`) and the App JWT (`Auth.AppAuth`). Two calls stay
hand-written on `requests`, because PyGithub cannot make them as we need:

- the tarball download: PyGithub's connection never passes `stream=True` to `requests`, so
  `Requester.getStream`/`getFile` hold the whole archive in memory before our size cap could
  refuse it; we stream it to disk and stop at `REPO_ARCHIVE_MAX_BYTES`;
- the head lookup: it needs the `application/vnd.github.sha` media type and `If-None-Match`, so
  an unchanged head costs a 304 (not counted against the rate limit) and no download; PyGithub's
  `get_commit` sends neither and would fetch the whole commit, and only its low-level requester
  could send them, guessing afterwards whether the body is JSON.

Retries are ours for both kinds of call (`GitHubClient._call` and `GitHubClient.request`):
PyGithub runs with `retry=None`. Connection errors, timeouts and 5xx answers are retried with
exponential backoff (`GITHUB_MAX_RETRIES`, `GITHUB_RETRY_BACKOFF_SECONDS`); a rate limit
(primary: 403/429 with `X-RateLimit-Remaining: 0`; secondary: `Retry-After`) is waited out in
place when the reset is near (`GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS`), otherwise
`GitHubRateLimited` tells the caller how long to wait (the Celery task reschedules itself).
PyGithub's `GithubRetry` would instead sleep inside urllib3 for as long as the reset is away and
recognises rate limits by the message text.

No Django models here; settings are read when a client is built.
"""

from .app import app_configured, app_jwt, client_for, installation_token, oauth_user_token
from .client import API_VERSION, USER_AGENT, GitHubClient, Head, rate_limit_wait
from .errors import (
    GitHubAuthFailed,
    GitHubError,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRepositoryEmpty,
    GitHubTransientError,
)
from .urls import (
    GITHUB_HOSTS,
    InvalidRepositoryURL,
    RepoRef,
    parse_account,
    parse_account_or_repository,
    parse_repository_url,
)

__all__ = [
    "API_VERSION",
    "GITHUB_HOSTS",
    "USER_AGENT",
    "GitHubAuthFailed",
    "GitHubClient",
    "GitHubError",
    "GitHubNotFound",
    "GitHubRateLimited",
    "GitHubRepositoryEmpty",
    "GitHubTransientError",
    "Head",
    "InvalidRepositoryURL",
    "RepoRef",
    "app_configured",
    "app_jwt",
    "client_for",
    "installation_token",
    "oauth_user_token",
    "parse_account",
    "parse_account_or_repository",
    "parse_repository_url",
    "rate_limit_wait",
]
