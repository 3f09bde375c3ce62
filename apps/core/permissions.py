"""The one permission layer: a tenant member, with at least the role the view asks for.

Views declare `required_role = "admin"` (or a dict by HTTP method); authentication has already
proved the credential belongs to this tenant's host.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

ROLE_RANK = {"member": 1, "admin": 2, "owner": 3}


def role_satisfies(role: str | None, required: str) -> bool:
    return ROLE_RANK.get(role or "", 0) >= ROLE_RANK[required]


def required_role_for(view, method: str) -> str:
    required = getattr(view, "required_role", "member")
    if isinstance(required, dict):
        return required.get(method, required.get("*", "member"))
    return required


class IsTenantMember(BasePermission):
    message = "You are not a member of this organisation with the role this action needs."

    def has_permission(self, request, view) -> bool:
        from apps.accounts.selectors import membership_for_request

        membership = membership_for_request(request)
        if membership is None:
            return False
        return role_satisfies(membership.role, required_role_for(view, request.method))


class IsPublicHost(BasePermission):
    """For endpoints that only make sense on the public host (signup)."""

    def has_permission(self, request, view) -> bool:
        tenant = getattr(request, "tenant", None)
        return tenant is not None and tenant.is_public


def member_required(role: str = "member"):
    """Dashboard views: signed in on this tenant's host, with at least `role`."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            from apps.accounts.selectors import membership_for_request

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_for_request(request)
            if membership is None or not role_satisfies(membership.role, role):
                raise DjangoPermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
