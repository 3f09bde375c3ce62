"""The one permission layer: a tenant member, with at least the role the view asks for.

Views declare `required_role = "admin"` (or a dict by HTTP method); authentication has already
proved the credential belongs to this tenant's host. The membership is read from
`request.membership`, which accounts' `MembershipMiddleware` attaches (looked up on first use,
after DRF authentication); core knows no app, only that attribute and its `role`.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework.permissions import BasePermission

ROLE_RANK = {"member": 1, "admin": 2, "owner": 3}


def role_satisfies(role: str | None, required: str) -> bool:
    return ROLE_RANK.get(role or "", 0) >= ROLE_RANK[required]


def request_role(request) -> str | None:
    """The role of the request's membership in this host's tenant; None for non-members."""
    membership = getattr(request, "membership", None)
    # A lazy object wrapping None is falsy, not None.
    return membership.role if membership else None


def required_role_for(view, method: str) -> str:
    required = getattr(view, "required_role", "member")
    if isinstance(required, dict):
        required = required.get(method, required.get("*", "member"))
    return str(required)


class IsTenantMember(BasePermission):
    message = "You are not a member of this organisation with the role this action needs."

    def has_permission(self, request, view) -> bool:
        role = request_role(request)
        if role is None:
            return False
        return role_satisfies(role, required_role_for(view, request.method))


class IsPublicHost(BasePermission):
    """For endpoints that only make sense on the public host (signup)."""

    def has_permission(self, request, view) -> bool:
        tenant = getattr(request, "tenant", None)
        return tenant is not None and tenant.is_public


def member_required(role: str = "member"):
    """Dashboard views: signed in on this tenant's host, with at least `role`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not role_satisfies(request_role(request), role):
                raise DjangoPermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
