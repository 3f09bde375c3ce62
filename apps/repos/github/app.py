"""The GitHub App: its JWT, installation tokens, and the OAuth code of the Setup URL (PyGithub)."""

from __future__ import annotations

from django.conf import settings
from github import Auth, GithubIntegration

from .client import GitHubClient, pygithub_options
from .errors import GitHubAuthFailed, GitHubError


def app_configured() -> bool:
    return bool(settings.GITHUB_APP_ID and settings.GITHUB_APP_PRIVATE_KEY)


def _app_auth() -> Auth.AppAuth:
    if not app_configured():
        raise GitHubError(
            "The GitHub App is not configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY).",
            code="github_app_not_configured",
        )
    return Auth.AppAuth(settings.GITHUB_APP_ID, settings.GITHUB_APP_PRIVATE_KEY)


def app_jwt() -> str:
    """A short-lived JWT signed with the App's private key (PyGithub does the signing)."""
    return _app_auth().create_jwt()


def installation_token(installation_id: int, *, client: GitHubClient | None = None) -> str:
    """A fresh installation access token (`POST /app/installations/{id}/access_tokens`)."""
    client = client or GitHubClient()
    integration = GithubIntegration(
        auth=_app_auth(), **pygithub_options(base_url=client.base_url, timeout=client.timeout)
    )
    refused = GitHubAuthFailed(
        f"GitHub refused a token for installation {installation_id}.",
        code="github_installation_invalid",
    )
    return client._call(
        lambda: integration.get_access_token(installation_id).token,
        what=f"Installation {installation_id}",
        errors=dict.fromkeys((401, 403, 404, 422), refused),
    )


def oauth_user_token(code: str, *, client: GitHubClient | None = None) -> str:
    """Exchange the `code` GitHub hands to the App's Setup URL for a user-to-server token."""
    if not (settings.GITHUB_APP_CLIENT_ID and settings.GITHUB_APP_CLIENT_SECRET):
        raise GitHubError(
            "The GitHub App's OAuth client is not configured "
            "(GITHUB_APP_CLIENT_ID, GITHUB_APP_CLIENT_SECRET).",
            code="github_app_not_configured",
        )
    client = client or GitHubClient()
    application = client.github().get_oauth_application(
        settings.GITHUB_APP_CLIENT_ID, settings.GITHUB_APP_CLIENT_SECRET
    )
    refused = GitHubAuthFailed(
        "GitHub did not accept the authorisation code: it is wrong, expired or already used.",
        code="github_code_invalid",
    )
    # GitHub answers 200 {"error": "bad_verification_code", …} for a wrong or used code; PyGithub
    # raises that with status 200.
    token = client._call(
        lambda: application.get_access_token(code).token,
        what="The authorisation code",
        errors=dict.fromkeys((200, 400, 401, 404), refused),
    )
    if not token:
        raise refused
    return token


def client_for(*, token: str = "", installation_id: int | None = None) -> GitHubClient:
    """A client with the best credential available: PAT, else App installation, else none."""
    if token:
        return GitHubClient(token=token)
    if installation_id and app_configured():
        return GitHubClient(token=installation_token(installation_id))
    return GitHubClient()
