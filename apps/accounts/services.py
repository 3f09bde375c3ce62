"""Accounts: registration, login, tokens, profile, members, invitations and API keys."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import cast

import jwt
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.billing.services import billing_account_open, billing_welcome_send, entitlement_check
from apps.core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from apps.core.locks import advisory_lock
from apps.core.roles import capability_denied, role_can
from apps.tenants.models import Tenant
from apps.tenants.selectors import public_url, tenant_reverse
from apps.tenants.services import (
    tenant_provision,
    tenant_slug_from_name,
    tenant_slug_validate,
)

from .models import ApiKey, Invitation, Membership, Role, User
from .selectors import invitations_pending, members_of
from .tokens import TENANT_CLAIM, TenantRefreshToken

logger = logging.getLogger(__name__)

INVITATION_SALT = "strato.invitation"
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


# --- Validation ---------------------------------------------------------------------------------


def email_normalize(*, email: str, field: str = "email") -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed.for_field(
            field, "Enter a valid email address.", code="invalid_email"
        ) from exc
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}".lower()


def password_check(*, password: str, user: User | None = None, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            exc.messages[0], code="weak_password", errors={field: list(exc.messages)}
        ) from exc


# --- Registration and login ---------------------------------------------------------------------


@transaction.atomic
def account_register(
    *,
    email: str,
    password: str,
    organisation_name: str,
    slug: str | None = None,
    full_name: str = "",
) -> tuple[User, Tenant]:
    """A new organisation with its owner, at once (seed data, benchmarks, staff tools).

    Not reachable from the web: people sign up through `signup_request` / `signup_confirm`,
    which never tell whether an email has an account. Here an existing user proves it with the
    password.
    """
    email = email_normalize(email=email)
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        password_check(password=password, user=User(email=email, full_name=full_name))
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=password, full_name=full_name.strip()
                )
        except IntegrityError as exc:
            raise _email_taken() from exc
    elif not user.check_password(password):
        raise _email_taken()
    tenant = _organisation_open(user=user, organisation_name=organisation_name, slug=slug)
    return user, tenant


def _public_path(viewname: str, *args: str) -> str:
    return reverse(viewname, urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=args)


def _signup_pending_key(token: str) -> str:
    # Only a digest of the emailed token is stored: reading Redis does not give working links.
    return "signup-pending:" + hashlib.sha256(token.encode()).hexdigest()


def signup_request(
    *,
    email: str,
    password: str,
    organisation_name: str,
    slug: str | None = None,
    full_name: str = "",
    ip: str,
) -> None:
    """First step of signup: the same answer whether or not the email has an account.

    A new email gets a confirmation link; the pending signup (password already hashed) waits in
    Redis for SIGNUP_CONFIRM_MAX_AGE_SECONDS and `signup_confirm` creates the organisation. An
    existing account gets a notice instead ("someone tried to sign up with your address"), so the
    answer is never a password oracle nor an existence oracle. Every attempt counts against the
    account and the client address like a failed login, whichever the case.
    """
    email = email_normalize(email=email)
    if not (organisation_name or "").strip():
        raise ValidationFailed.for_field("organisation_name", "This field may not be blank.")
    password_check(password=password, user=User(email=email, full_name=full_name))
    tenant_slug_validate(slug=slug or tenant_slug_from_name(name=organisation_name))
    if credentials_locked(email=email, ip=ip):
        logger.warning("signup refused: locked out", extra={"ip": ip})
        raise _locked_out()
    if credentials_failure_record(email=email, ip=ip):
        logger.warning("signup lockout started", extra={"ip": ip})
    password_hash = make_password(password)  # hashed in both cases: same work, same timing
    context: dict[str, object]
    if User.objects.filter(email__iexact=email).exists():
        context = {"email": email, "login_url": public_url(path=_public_path("login"))}
        subject = "Someone tried to sign up to Strato with your address"
        template = "accounts/email/signup_existing.txt"
    else:
        token = secrets.token_urlsafe(32)
        pending: dict[str, str | None] = {
            "email": email,
            "password_hash": password_hash,
            "organisation_name": organisation_name.strip(),
            "slug": (slug or "").strip() or None,
            "full_name": full_name.strip(),
        }
        with schema_context(get_public_schema_name()):
            cache.set(_signup_pending_key(token), pending, settings.SIGNUP_CONFIRM_MAX_AGE_SECONDS)
        context = {
            "url": public_url(path=_public_path("signup-confirm", token)),
            "organisation_name": pending["organisation_name"],
            "expires_at": timezone.now()
            + timedelta(seconds=settings.SIGNUP_CONFIRM_MAX_AGE_SECONDS),
        }
        subject = "Confirm your Strato signup"
        template = "accounts/email/signup_confirm.txt"
    send_mail(
        subject=subject,
        message=render_to_string(template, context),
        from_email=None,
        recipient_list=[email],
    )


def _signup_link_invalid() -> NotFound:
    return NotFound(
        "This confirmation link is invalid, expired or already used. Sign up again.",
        code="signup_invalid",
    )


def signup_pending(*, token: str) -> dict[str, str | None]:
    """The signup waiting for this link (for the confirmation page), without consuming it."""
    with schema_context(get_public_schema_name()):
        pending = cache.get(_signup_pending_key(token))
    if pending is None:
        raise _signup_link_invalid()
    return cast(dict[str, "str | None"], pending)


@transaction.atomic
def signup_confirm(*, token: str) -> tuple[User, Tenant]:
    """Second step: the link proves the mailbox; creates the owner and the organisation once."""
    pending = signup_pending(token=token)
    with schema_context(get_public_schema_name()):
        # Single use: of two concurrent confirmations only the one that deletes the key goes on.
        if not cache.delete(_signup_pending_key(token)):
            raise _signup_link_invalid()
    email = cast(str, pending["email"])
    if User.objects.filter(email__iexact=email).exists():
        message = "An account with this email already exists. Sign in, or reset its password."
        raise Conflict(message, code="email_taken", errors={"email": [message]})
    try:
        with transaction.atomic():
            user = User.objects.create(
                email=email,
                password=cast(str, pending["password_hash"]),
                full_name=pending["full_name"] or "",
            )
    except IntegrityError as exc:
        raise _email_taken() from exc
    tenant = _organisation_open(
        user=user,
        organisation_name=cast(str, pending["organisation_name"]),
        slug=pending["slug"],
    )
    return user, tenant


def _organisation_open(*, user: User, organisation_name: str, slug: str | None) -> Tenant:
    tenant = tenant_provision(name=organisation_name, slug=slug, billing_email=user.email)
    Membership.objects.create(user=user, tenant=tenant, role=Role.OWNER)
    billing_account_open(tenant=tenant)
    billing_welcome_send(tenant=tenant, email=user.email)
    return tenant


def _email_taken() -> Conflict:
    message = "An account with this email already exists. Use its password to add an organisation."
    return Conflict(message, code="email_taken", errors={"email": [message]})


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


# --- Members ------------------------------------------------------------------------------------


def _ensure_can_manage(*, actor: Membership, target_role: str) -> None:
    """Managing members is `member.manage`; touching the owner role is `owner.manage`."""
    if not role_can(actor.role, "member.manage"):
        raise capability_denied("member.manage")
    if target_role == Role.OWNER and not role_can(actor.role, "owner.manage"):
        denied = capability_denied("owner.manage")
        raise PermissionDenied(
            "Only owners can grant or change the owner role.",
            code="owner_required",
            extra=denied.extra,
        )


def _ensure_not_last_owner(*, membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(
        tenant_id=membership.tenant_id, role=Role.OWNER
    )
    if membership.role == Role.OWNER and [m.pk for m in owners] == [membership.pk]:
        raise Conflict(
            "An organisation needs at least one owner. Make someone else owner first.",
            code="last_owner",
        )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor: Membership) -> Membership:
    if role not in Role.values:
        raise ValidationFailed.for_field("role", f"Choose one of: {', '.join(Role.values)}.")
    touches_owner = Role.OWNER in (role, membership.role)
    _ensure_can_manage(actor=actor, target_role=Role.OWNER if touches_owner else role)
    if role != Role.OWNER:
        _ensure_not_last_owner(membership=membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Membership) -> None:
    if membership.user_id != actor.user_id:
        _ensure_can_manage(actor=actor, target_role=membership.role)
    _ensure_not_last_owner(membership=membership)
    ApiKey.objects.filter(tenant_id=membership.tenant_id, created_by_id=membership.user_id).update(
        revoked=True
    )
    refresh_tokens_revoke(user=membership.user, tenant=membership.tenant)
    membership.delete()


# --- Invitations --------------------------------------------------------------------------------


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps(str(invitation.public_id), salt=INVITATION_SALT, compress=False)


def invitation_url(*, invitation: Invitation) -> str:
    return tenant_reverse(
        tenant=invitation.tenant,
        viewname="invitation-accept",
        args=(invitation_token(invitation=invitation),),
    )


@transaction.atomic
def invitation_create(
    *, tenant: Tenant, email: str, role: str, invited_by: Membership
) -> Invitation:
    email = email_normalize(email=email)
    if role not in Role.values:
        raise ValidationFailed.for_field("role", f"Choose one of: {', '.join(Role.values)}.")
    _ensure_can_manage(actor=invited_by, target_role=role)
    # Concurrent invitations of one address: the second waits, then replaces the first's.
    advisory_lock("invitation", tenant.pk, email.lower())
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise Conflict(
            "This person is already a member.",
            code="already_member",
            errors={"email": ["This person is already a member."]},
        )
    # A new invitation replaces an expired or pending one for the same address.
    Invitation.objects.filter(
        tenant=tenant, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    # Every member and every pending invitation holds a seat of the plan.
    seats_held = members_of(tenant=tenant).count() + invitations_pending(tenant=tenant).count()
    entitlement_check(tenant=tenant, resource="seats", current=seats_held)
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=email,
        role=role,
        invited_by=invited_by.user,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    context = {
        "invitation": invitation,
        "url": invitation_url(invitation=invitation),
        "inviter": invited_by.user,
    }
    transaction.on_commit(
        lambda: send_mail(
            subject=f"You are invited to {tenant.name} on Strato",
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation


def invitation_from_token(*, token: str) -> Invitation:
    max_age = timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    try:
        public_id = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ValidationFailed(
            "This invitation has expired. Ask for a new one.", code="invitation_expired"
        ) from exc
    except signing.BadSignature as exc:
        raise NotFound("This invitation link is not valid.", code="invitation_invalid") from exc
    invitation = Invitation.objects.select_related("tenant").filter(public_id=public_id).first()
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound("This invitation was withdrawn.", code="invitation_invalid")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was already used.", code="invitation_used")
    if invitation.expires_at <= timezone.now():
        raise ValidationFailed(
            "This invitation has expired. Ask for a new one.", code="invitation_expired"
        )
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    password: str = "",
    full_name: str = "",
) -> Membership:
    """Join as the signed-in user, or as a new account created with `password`."""
    invitation = invitation_from_token(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was already used.", code="invitation_used")
    if user is None or not user.is_authenticated:
        user = User.objects.filter(email__iexact=invitation.email).first()
        if user is None:
            password_check(password=password, user=User(email=invitation.email))
            user = User.objects.create_user(
                email=invitation.email, password=password, full_name=full_name.strip()
            )
        elif not user.check_password(password):
            raise AuthenticationFailed(
                "An account with this email exists; enter its password.", code="invalid_credentials"
            )
    if not Membership.objects.filter(user=user, tenant=invitation.tenant).exists():
        # The plan may have shrunk since the invitation was sent (downgrade, dunning).
        members = Membership.objects.filter(tenant=invitation.tenant).count()
        entitlement_check(tenant=invitation.tenant, resource="seats", current=members)
    membership, _created = Membership.objects.get_or_create(
        user=user, tenant=invitation.tenant, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Membership) -> None:
    _ensure_can_manage(actor=actor, target_role=invitation.role)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


# --- API keys -----------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(
    *,
    tenant: Tenant,
    user: User,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.for_field("name", "Give the key a name.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed.for_field("expires_at", "Expiry must be in the future.")
    api_key, key = ApiKey.objects.create_key(
        tenant=tenant, created_by=user, name=name[:50], expiry_date=expires_at
    )
    return cast(ApiKey, api_key), key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> None:
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use at most once a minute, so authentication is not a write per request."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > API_KEY_TOUCH_INTERVAL:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


# --- Cross-host sign-in after signup ------------------------------------------------------------

HANDOFF_SALT = "strato.login-handoff"
HANDOFF_MAX_AGE_SECONDS = 120


def login_handoff_token(*, user: User, tenant: Tenant) -> str:
    """A short-lived, single-use link that signs a new owner in on the tenant's own host."""
    payload = {
        "user": str(user.public_id),
        "tenant": str(tenant.public_id),
        "nonce": secrets.token_urlsafe(16),
    }
    return signing.dumps(payload, salt=HANDOFF_SALT)


def login_handoff_consume(*, token: str, tenant: Tenant) -> User:
    try:
        payload = signing.loads(token, salt=HANDOFF_SALT, max_age=HANDOFF_MAX_AGE_SECONDS)
    except signing.BadSignature as exc:
        raise AuthenticationFailed(
            "This sign-in link is invalid or expired. Log in instead.", code="handoff_invalid"
        ) from exc
    if payload.get("tenant") != str(tenant.public_id):
        raise AuthenticationFailed(
            "This sign-in link is for another organisation.", code="handoff_invalid"
        )
    with schema_context(get_public_schema_name()):
        first_use = cache.add(f"login-handoff:{payload['nonce']}", 1, HANDOFF_MAX_AGE_SECONDS * 2)
    if not first_use:
        raise AuthenticationFailed(
            "This sign-in link was already used. Log in instead.", code="handoff_used"
        )
    user = User.objects.filter(public_id=payload["user"], is_active=True).first()
    if user is None or not Membership.objects.filter(user=user, tenant=tenant).exists():
        raise AuthenticationFailed(
            "This account has no access to this organisation.", code="handoff_invalid"
        )
    return user
