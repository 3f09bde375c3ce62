"""The one permission layer: a tenant member whose role holds the capability the view names.

API views declare `required_capability = "campaign.send"`, or a dict by HTTP method
(`{"GET": "workspace.view", "POST": "lead.manage"}`); `apps.core.roles` says which role holds it.
A tenant API view without a declaration is a configuration error (`core.E001`, see
`apps.core.checks`), never a silent default. Authentication has already proved the credential
belongs to this tenant's host; the membership is read from `request.membership`, which
accounts' `MembershipMiddleware` attaches (core knows no app, only that attribute and its
`role`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework.permissions import BasePermission

from apps.core.roles import (
    capability,
    capability_denied,
    denial_message,
    request_role,
    role_can,
)

HANDLER_METHODS = ("get", "post", "put", "patch", "delete")


class MissingCapability(LookupError):
    """A tenant API view does not say which capability one of its methods needs."""


def required_capability_for(view: Any, method: str) -> str:
    """The capability `view` names for `method` (HEAD as GET); raises `MissingCapability`."""
    method = method.upper()
    if method == "HEAD":
        method = "GET"
    if method == "OPTIONS":
        # DRF's metadata answer only describes the endpoint.
        return "workspace.view"
    declared = getattr(view, "required_capability", None)
    if isinstance(declared, Mapping):
        declared = declared.get(method)
    if not declared:
        name = getattr(view, "__name__", type(view).__name__)
        raise MissingCapability(f"{name} declares no required_capability for {method}.")
    capability(str(declared))  # an unknown name fails here, not as a silent denial
    return str(declared)


class IsTenantMember(BasePermission):
    message = "You are not a member of this organisation."

    def has_permission(self, request, view) -> bool:
        role = request_role(request)
        if role is None:
            return False
        name = required_capability_for(view, request.method)
        if not role_can(role, name):
            raise capability_denied(name)
        return True


def guarded_by_tenant_membership(view_class: Any) -> bool:
    """Whether a view class answers to `IsTenantMember` (so it must name its capabilities)."""
    return any(
        isinstance(permission, type) and issubclass(permission, IsTenantMember)
        for permission in getattr(view_class, "permission_classes", ())
    )


class IsPublicHost(BasePermission):
    """For endpoints that only make sense on the public host (signup)."""

    def has_permission(self, request, view) -> bool:
        tenant = getattr(request, "tenant", None)
        return tenant is not None and tenant.is_public


def capability_required(
    name: str, *, post: str | None = None, actions: Mapping[str, str] | None = None
):
    """Dashboard views: signed in on this tenant's host, with a role holding `name`.

    `post` is the capability a POST needs when it differs from reading the page (the members
    page lists to everyone, inviting is `member.manage`). `actions` maps a POSTed `action` field
    to the capability it needs (the campaign page's one form posts `schedule`, `send-now`,
    `pause`, ...), so those rules sit next to the view's declaration rather than in its body.
    """
    for declared in [name, post, *(actions or {}).values()]:
        if declared:
            capability(declared)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            needed = name
            if request.method == "POST":
                needed = post or name
                if actions:
                    needed = actions.get(request.POST.get("action", ""), needed)
            if not role_can(request_role(request), needed):
                raise DjangoPermissionDenied(denial_message(needed))
            return view(request, *args, **kwargs)

        wrapper.required_capability = name  # type: ignore[attr-defined]
        wrapper.post_capability = post or name  # type: ignore[attr-defined]
        wrapper.action_capabilities = dict(actions or {})  # type: ignore[attr-defined]
        return wrapper

    return decorator
