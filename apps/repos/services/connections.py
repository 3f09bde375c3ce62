"""The organisation's GitHub credentials: a personal access token and a GitHub App installation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.errors import Conflict, PermissionDenied, ServiceUnavailable, ValidationFailed
from apps.tenants.models import Tenant

from .. import github, selectors
from ..models import GitHubConnection, GitHubLinkState, Repository
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


LINK_STATE_SALT = "apps.repos.github-link-state"


@dataclass(frozen=True)
class InstallLink:
    state: str
    install_url: str
    expires_at: datetime


def github_link_state_create(*, tenant: Tenant, user: User) -> InstallLink:
    """Start linking the GitHub App: a signed, single-use state bound to this tenant and user.

    The state goes into the App's install URL; GitHub hands it back to the Setup URL with the
    installation id and an OAuth `code`, which `github_installation_link` checks.
    """
    slug = settings.GITHUB_APP_SLUG
    if not (slug and settings.GITHUB_APP_CLIENT_ID and settings.GITHUB_APP_CLIENT_SECRET):
        raise ValidationFailed(
            "The GitHub App is not configured (GITHUB_APP_SLUG, GITHUB_APP_CLIENT_ID, "
            "GITHUB_APP_CLIENT_SECRET).",
            code="github_app_not_configured",
        )
    nonce = secrets.token_urlsafe(32)
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.GITHUB_LINK_STATE_MAX_AGE_SECONDS)
    with transaction.atomic():
        GitHubLinkState.objects.filter(expires_at__lte=now).delete()
        GitHubLinkState.objects.create(
            nonce_hash=_nonce_hash(nonce), user_public_id=user.public_id, expires_at=expires_at
        )
    state = signing.dumps({"tenant": str(tenant.public_id), "nonce": nonce}, salt=LINK_STATE_SALT)
    return InstallLink(
        state=state,
        install_url=f"https://github.com/apps/{quote(slug, safe='')}/installations/new?"
        + urlencode({"state": state}),
        expires_at=expires_at,
    )


def github_link_state_tenant(*, state: str) -> Tenant:
    """The tenant a state was issued for, when its signature holds and it has not expired.

    The public Setup URL callback uses it to send the user back to their organisation's host,
    where `github_installation_link` checks the rest.
    """
    payload = _state_payload(state)
    tenant: Tenant | None = Tenant.objects.filter(public_id=payload["tenant"]).first()
    if tenant is None:
        raise _state_invalid()
    return tenant


def github_installation_link(
    *, tenant: Tenant, user: User, installation_id: int, code: str, state: str
) -> GitHubConnection:
    """Link a GitHub App installation once GitHub proves this user administers it.

    The state must be one this user started here, unexpired and unused (it is consumed first,
    so a replay fails even when GitHub then refuses). The OAuth `code` is exchanged for a user
    token, and the installation must be among that user's `GET /user/installations`: GitHub
    lists only installations the user owns or administers.
    """
    payload = _state_payload(state)
    if payload["tenant"] != str(tenant.public_id):
        raise _state_invalid()
    with transaction.atomic():
        row = (
            GitHubLinkState.objects.select_for_update()
            .filter(nonce_hash=_nonce_hash(payload["nonce"]))
            .first()
        )
        if row is None or row.user_public_id != user.public_id:
            raise _state_invalid()
        if row.used_at is not None:
            raise ValidationFailed.for_field(
                "state",
                "This installation link was already used; start again from Strato.",
                code="github_state_used",
            )
        if row.expires_at <= timezone.now():
            raise _state_expired()
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
    installation = _installation_of_user(installation_id=installation_id, code=code)
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
        connection_row = _connection_for_update()
        if connection_row.installation_id and connection_row.installation_id != installation_id:
            InstallationRoute.objects.filter(
                installation_id=connection_row.installation_id, tenant=tenant
            ).delete()
        connection_row.installation_id = installation_id
        connection_row.installation_account = account
        connection_row.save()
    return connection_row


def _installation_of_user(*, installation_id: int, code: str) -> dict[str, Any]:
    try:
        user_token = github.oauth_user_token(code)
        installations = github.GitHubClient(token=user_token).user_installations()
    except github.GitHubError as exc:
        raise ValidationFailed.for_field("code", str(exc), code=exc.code) from exc
    except github.GitHubTransientError as exc:
        raise ServiceUnavailable(
            f"GitHub could not be reached: {exc}", code="github_unavailable"
        ) from exc
    for installation in installations:
        if installation.get("id") == installation_id:
            return installation
    raise PermissionDenied(
        "GitHub does not list this installation among those you administer; "
        "an owner or admin of its account must link it.",
        code="github_installation_forbidden",
    )


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _state_payload(state: str) -> dict[str, str]:
    try:
        payload = signing.loads(
            state, salt=LINK_STATE_SALT, max_age=settings.GITHUB_LINK_STATE_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired as exc:
        raise _state_expired() from exc
    except signing.BadSignature as exc:
        raise _state_invalid() from exc
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("tenant"), str)
        and isinstance(payload.get("nonce"), str)
    ):
        raise _state_invalid()
    return payload


def _state_invalid() -> ValidationFailed:
    return ValidationFailed.for_field(
        "state",
        "This installation link is not valid for you here; start again from Strato.",
        code="github_state_invalid",
    )


def _state_expired() -> ValidationFailed:
    return ValidationFailed.for_field(
        "state",
        "This installation link has expired; start again from Strato.",
        code="github_state_expired",
    )


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
