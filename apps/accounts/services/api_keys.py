"""API keys: created once, stored as a hash, touched at most once a minute."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from django.db import transaction
from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.tenants.models import Tenant

from ..models import ApiKey, User

API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


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
