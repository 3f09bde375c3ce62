"""Signup (confirmed by an emailed link) and opening an organisation."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from apps.billing.services import billing_account_open, billing_welcome_send
from apps.core.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from apps.tenants.models import Tenant
from apps.tenants.selectors import public_url
from apps.tenants.services import (
    tenant_provision,
    tenant_slug_from_name,
    tenant_slug_validate,
)

from ..models import Membership, Role, User
from .login import _locked_out, credentials_failure_record, credentials_locked
from .validation import email_normalize, password_check

logger = logging.getLogger(__name__)


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
