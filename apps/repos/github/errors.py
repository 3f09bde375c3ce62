"""Our domain errors for GitHub answers; every client call raises these, never PyGithub's."""

from __future__ import annotations


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
