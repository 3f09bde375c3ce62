"""System check: every tenant API endpoint names the capability each of its methods needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.urls import URLPattern, URLResolver, get_resolver

from apps.core.permissions import (
    HANDLER_METHODS,
    MissingCapability,
    guarded_by_tenant_membership,
    required_capability_for,
)


def url_views(patterns: list, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(route, view class) of every class-based view under `patterns`."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from url_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "view_class", None)
            if view_class is not None:
                yield prefix + str(pattern.pattern), view_class


def undeclared_capabilities(urlconf: str) -> list[str]:
    problems = []
    for route, view_class in url_views(get_resolver(urlconf).url_patterns):
        if not guarded_by_tenant_membership(view_class):
            continue
        for method in HANDLER_METHODS:
            if not hasattr(view_class, method):
                continue
            try:
                required_capability_for(view_class, method)
            except (MissingCapability, LookupError) as exc:
                problems.append(f"/{route} {method.upper()}: {exc}")
    return problems


@register(Tags.security, Tags.urls)
def check_tenant_api_capabilities(app_configs=None, **kwargs) -> list[Error]:
    return [
        Error(
            problem,
            hint="Set required_capability (a name from apps.core.roles, or a dict by method).",
            id="core.E001",
        )
        for problem in undeclared_capabilities(settings.ROOT_URLCONF)
    ]
