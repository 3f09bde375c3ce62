from __future__ import annotations

from django.db.models import QuerySet

from apps.tenants.models import Tenant

from .models import ApiKey, Invitation, Membership, User


def membership_get(*, user: User, tenant: Tenant) -> Membership | None:
    if not user.is_authenticated or tenant is None or tenant.is_public:
        return None
    return Membership.objects.filter(user=user, tenant=tenant).first()


def membership_for_request(request) -> Membership | None:
    """The current user's membership in the request's tenant, looked up once per request."""
    django_request = getattr(request, "_request", request)
    if not hasattr(django_request, "membership"):
        django_request.membership = membership_get(
            user=request.user, tenant=getattr(request, "tenant", None)
        )
    return django_request.membership


def members_of(*, tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("created_at")


def invitations_pending(*, tenant: Tenant) -> QuerySet[Invitation]:
    from django.utils import timezone

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
