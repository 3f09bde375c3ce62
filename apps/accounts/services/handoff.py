"""Cross-host sign-in after signup: a short-lived signed token for the tenant host."""

from __future__ import annotations

import secrets

from django.core import signing
from django.core.cache import cache
from django_tenants.utils import get_public_schema_name, schema_context

from apps.core.errors import AuthenticationFailed
from apps.tenants.models import Tenant

from ..models import Membership, User

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
