"""Login with lock-out, JWTs and their revocation, password and profile changes."""

from __future__ import annotations

import logging

import jwt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.core.errors import (
    AuthenticationFailed,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from apps.tenants.models import Tenant

from ..models import Membership, User
from ..tokens import TENANT_CLAIM, TenantRefreshToken
from .validation import password_check

logger = logging.getLogger(__name__)


def _account_failures_key(email: str) -> str:
    # Normalised like the user lookup, so " Ada@X " and "ada@x" share one failure counter.
    return f"login-failures:account:{(email or '').strip().lower()}"


def _ip_failures_key(ip: str) -> str:
    return f"login-failures:ip:{ip}"


def _failure_count(key: str) -> int:
    return int(cache.get(key, 0))


def _failure_record(key: str) -> int:
    try:
        return int(cache.incr(key))
    except ValueError:
        cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)
        return 1


def _locked_out() -> RateLimited:
    return RateLimited(
        "Too many failed logins. Try again later or reset your password.",
        code="login_locked",
        headers={"Retry-After": str(settings.LOGIN_LOCKOUT_SECONDS)},
        extra={"retry_after": settings.LOGIN_LOCKOUT_SECONDS},
    )


def credentials_locked(*, email: str, ip: str) -> bool:
    """Whether the account or the client address reached its failure limit (login, signup)."""
    with schema_context(get_public_schema_name()):
        return bool(
            _failure_count(_account_failures_key(email)) >= settings.LOGIN_MAX_FAILURES
            or _failure_count(_ip_failures_key(ip)) >= settings.LOGIN_MAX_FAILURES_PER_IP
        )


def credentials_failure_record(*, email: str, ip: str) -> bool:
    """Counts one failure against the account and the address; True when a lock-out starts."""
    with schema_context(get_public_schema_name()):
        account_failures = _failure_record(_account_failures_key(email))
        ip_failures = _failure_record(_ip_failures_key(ip))
    return bool(
        account_failures == settings.LOGIN_MAX_FAILURES
        or ip_failures == settings.LOGIN_MAX_FAILURES_PER_IP
    )


def login_authenticate(*, email: str, password: str, tenant: Tenant, ip: str) -> User:
    """Checks credentials and membership.

    Failures are counted per account (whatever address they come from: behind a proxy many
    clients share one) and per client address (one address guessing across many accounts); either
    limit locks out for LOGIN_LOCKOUT_SECONDS. An unknown email costs one password hash like a
    known one, so the answer's timing does not tell which emails have accounts.
    """
    if credentials_locked(email=email, ip=ip):
        logger.warning("login refused: locked out", extra={"ip": ip, "tenant": tenant.slug})
        raise _locked_out()
    with schema_context(get_public_schema_name()):
        user = User.objects.filter(email__iexact=(email or "").strip()).first()
        if user is None:
            make_password(password)  # same work as checking a real password
            valid = False
        else:
            valid = (
                user.check_password(password)
                and user.is_active
                and Membership.objects.filter(user=user, tenant=tenant).exists()
            )
        if not valid:
            if credentials_failure_record(email=email, ip=ip):
                logger.warning("login lockout started", extra={"ip": ip, "tenant": tenant.slug})
            raise AuthenticationFailed(
                "Email or password is incorrect for this organisation.", code="invalid_credentials"
            )
        cache.delete(_account_failures_key(email))
    assert user is not None
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return user


def tokens_issue(*, user: User, tenant: Tenant) -> dict[str, str]:
    refresh = TenantRefreshToken.for_membership(user=user, tenant=tenant)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _refresh_token_for_tenant(*, refresh: str, tenant: Tenant) -> TenantRefreshToken:
    try:
        token = TenantRefreshToken(refresh)  # type: ignore[arg-type]  # stubs omit str tokens
    except TokenError as exc:
        raise AuthenticationFailed(
            "Refresh token is invalid, expired or already used.", code="token_invalid"
        ) from exc
    if token.get(TENANT_CLAIM) != str(tenant.public_id):
        raise AuthenticationFailed(
            "Refresh token was issued for another organisation.", code="token_wrong_tenant"
        )
    return token


@transaction.atomic
def tokens_refresh(*, refresh: str, tenant: Tenant) -> dict[str, str]:
    """Rotation: the used refresh token is blacklisted and a new pair is returned."""
    token = _refresh_token_for_tenant(refresh=refresh, tenant=tenant)
    user = User.objects.filter(public_id=token["sub"], is_active=True).first()
    if user is None or not Membership.objects.filter(user=user, tenant=tenant).exists():
        raise AuthenticationFailed(
            "This account no longer has access to this organisation.", code="membership_revoked"
        )
    token.blacklist()
    return tokens_issue(user=user, tenant=tenant)


def tokens_revoke(*, refresh: str, tenant: Tenant) -> None:
    _refresh_token_for_tenant(refresh=refresh, tenant=tenant).blacklist()


def refresh_tokens_revoke(*, user: User, tenant: Tenant | None = None) -> int:
    """Blacklists the user's unexpired refresh tokens: all of them, or those of one tenant.

    Access tokens are short-lived (JWT_ACCESS_MINUTES) and checked against the membership on
    every request; refresh tokens are what keep a stolen or outdated credential alive.
    """
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    revoked = []
    for token in outstanding:
        if tenant is not None:
            # Rows written by us when the token was issued; only the claim is read here.
            claims = jwt.decode(token.token, options={"verify_signature": False})
            if claims.get(TENANT_CLAIM) != str(tenant.public_id):
                continue
        revoked.append(BlacklistedToken(token=token))
    BlacklistedToken.objects.bulk_create(revoked, ignore_conflicts=True)
    return len(revoked)


def password_changed(*, user: User) -> None:
    """After a password change or reset: every refresh token of the user stops working.

    Sessions need nothing here: Django stores a hash of the password in each session and ends
    any session whose hash no longer matches (the view that changed it keeps its own session
    with `update_session_auth_hash`).
    """
    refresh_tokens_revoke(user=user)


@transaction.atomic
def profile_update(
    *,
    user: User,
    full_name: str | None = None,
    current_password: str | None = None,
    new_password: str | None = None,
    by_api_key: bool = False,
) -> User:
    """Name and password. A password change signs the user out everywhere else (refresh tokens
    revoked, other sessions ended) and needs the person: a session or a JWT, not an API key,
    which acts for its creator and could otherwise take over the account."""
    if new_password and by_api_key:
        raise PermissionDenied(
            "Changing the password needs a signed-in session or a JWT, not an API key.",
            code="password_change_needs_login",
        )
    if full_name is not None:
        user.full_name = full_name.strip()
    if new_password:
        if not current_password or not user.check_password(current_password):
            raise ValidationFailed.for_field(
                "current_password", "Current password is incorrect.", code="invalid_password"
            )
        password_check(password=new_password, user=user, field="new_password")
        user.set_password(new_password)
    user.save()
    if new_password:
        password_changed(user=user)
    return user
