"""The organisation's GitHub credentials: a personal access token and a GitHub App installation."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.core.errors import Conflict, ServiceUnavailable, ValidationFailed
from apps.tenants.models import Tenant

from .. import github, selectors
from ..models import GitHubConnection, Repository
from ..routing.models import InstallationRoute


def _connection_for_update() -> GitHubConnection:
    connection_row, _ = GitHubConnection.objects.select_for_update().get_or_create(singleton=True)
    return connection_row


def github_token_set(*, token: str) -> GitHubConnection:
    """Validate a personal access token against GitHub, then store it encrypted."""
    token = token.strip()
    if not token:
        raise ValidationFailed.for_field(
            "token", "Enter a GitHub personal access token.", code="github_token_required"
        )
    try:
        user, scopes = github.GitHubClient(token=token).authenticated_user()
    except github.GitHubAuthFailed as exc:
        raise ValidationFailed.for_field("token", str(exc), code="github_token_invalid") from exc
    except (github.GitHubError, github.GitHubTransientError) as exc:
        raise ServiceUnavailable(
            f"GitHub could not check the token: {exc}", code="github_unavailable"
        ) from exc
    with transaction.atomic():
        row = _connection_for_update()
        row.token = token
        row.token_login = user.get("login", "")
        row.token_scopes = scopes[:500]
        row.token_validated_at = timezone.now()
        row.save()
    return row


@transaction.atomic
def github_token_delete() -> None:
    row = _connection_for_update()
    row.token = ""
    row.token_login = ""
    row.token_scopes = ""
    row.token_validated_at = None
    row.save()


def github_installation_link(*, tenant: Tenant, installation_id: int) -> GitHubConnection:
    """Link a GitHub App installation (checked with the App's JWT) to this organisation."""
    try:
        installation = github.GitHubClient().installation(installation_id)
    except github.GitHubNotFound as exc:
        raise ValidationFailed.for_field(
            "installation_id",
            "This installation of the Strato GitHub App does not exist.",
            code="github_installation_invalid",
        ) from exc
    except github.GitHubError as exc:
        raise ValidationFailed.for_field("installation_id", str(exc), code=exc.code) from exc
    except github.GitHubTransientError as exc:
        raise ServiceUnavailable(
            f"GitHub could not be reached: {exc}", code="github_unavailable"
        ) from exc
    account = (installation.get("account") or {}).get("login", "")
    with transaction.atomic():
        if selectors.installation_linked_elsewhere(installation_id=installation_id, tenant=tenant):
            raise Conflict(
                "This GitHub App installation is linked to another organisation.",
                code="github_installation_taken",
            )
        InstallationRoute.objects.update_or_create(
            installation_id=installation_id, defaults={"tenant": tenant, "account_login": account}
        )
        row = _connection_for_update()
        if row.installation_id and row.installation_id != installation_id:
            InstallationRoute.objects.filter(
                installation_id=row.installation_id, tenant=tenant
            ).delete()
        row.installation_id = installation_id
        row.installation_account = account
        row.save()
    return row


@transaction.atomic
def github_installation_unlink(*, tenant: Tenant) -> None:
    row = _connection_for_update()
    if row.installation_id:
        InstallationRoute.objects.filter(
            installation_id=row.installation_id, tenant=tenant
        ).delete()
        Repository.objects.filter(installation_id=row.installation_id).update(installation_id=None)
    row.installation_id = None
    row.installation_account = ""
    row.save()


def github_client() -> github.GitHubClient:
    """A GitHub client with this organisation's best credential (token, App installation, none)."""
    row = selectors.github_connection()
    if row is None:
        return github.GitHubClient()
    return github.client_for(token=row.token, installation_id=row.installation_id)
