from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from apps.tenants.models import Tenant

from .models import ApiKey, Invitation, Membership, Role, User


def membership_get(*, user: User | AnonymousUser, tenant: Tenant | None) -> Membership | None:
    if not user.is_authenticated or tenant is None or tenant.is_public:
        return None
    return Membership.objects.filter(user=user, tenant=tenant).first()


def members_of(*, tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("created_at")


def member_count(*, tenant: Tenant) -> int:
    """Seats in use (billing's `seats` stock counter, registered in `AccountsConfig.ready`)."""
    return members_of(tenant=tenant).count()


def owner_addresses(*, tenant: Tenant) -> list[str]:
    """Where billing mail goes by default (registered with billing in `AccountsConfig.ready`)."""
    return [
        membership.user.email for membership in members_of(tenant=tenant).filter(role=Role.OWNER)
    ]


def invitations_pending(*, tenant: Tenant) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(
            tenant=tenant,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )


def api_keys_of(*, tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(tenant=tenant, revoked=False).select_related("created_by")


def tenants_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")
