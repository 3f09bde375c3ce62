from __future__ import annotations

from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.urls import reverse
from django_tenants.utils import get_public_schema_name, schema_context

from .models import Domain, Tenant

HOST_CACHE_SECONDS = 3600
UNKNOWN_HOST_CACHE_SECONDS = 30
_UNKNOWN = "__unknown__"


def _host_cache_key(hostname: str) -> str:
    return f"tenant-host:{hostname.lower()}"


def tenant_for_host(*, hostname: str) -> Tenant:
    """The routable tenant for a host, from the cache when warm (no database query).

    Raises Domain.DoesNotExist for unknown hosts and tenants that are not routable.
    """
    with schema_context(get_public_schema_name()):
        key = _host_cache_key(hostname)
        cached = cache.get(key)
        if cached == _UNKNOWN:
            raise Domain.DoesNotExist(hostname)
        if cached is not None:
            return cast(Tenant, cached)
        domain = (
            Domain.objects.select_related("tenant")
            .filter(domain=hostname.lower(), tenant__status=Tenant.Status.READY)
            .first()
        )
        if domain is None:
            cache.set(key, _UNKNOWN, UNKNOWN_HOST_CACHE_SECONDS)
            raise Domain.DoesNotExist(hostname)
        cache.set(key, domain.tenant, HOST_CACHE_SECONDS)
        return cast(Tenant, domain.tenant)


def forget_hosts(*hostnames: str) -> None:
    with schema_context(get_public_schema_name()):
        cache.delete_many([_host_cache_key(hostname) for hostname in hostnames])


def tenant_host(*, tenant: Tenant) -> str:
    domain = tenant.domains.filter(is_primary=True).values_list("domain", flat=True).first()
    return domain or f"{tenant.slug}.{settings.STRATO_BASE_DOMAIN}"


def tenant_url(*, tenant: Tenant, path: str = "/") -> str:
    port = f":{settings.STRATO_PUBLIC_PORT}" if settings.STRATO_PUBLIC_PORT else ""
    return f"{settings.STRATO_URL_SCHEME}://{tenant_host(tenant=tenant)}{port}{path}"


def tenant_reverse(*, tenant: Tenant, viewname: str, args: tuple[object, ...] = ()) -> str:
    """Absolute URL of a tenant-host view, from any host (the public one included)."""
    return tenant_url(
        tenant=tenant, path=reverse(viewname, urlconf=settings.ROOT_URLCONF, args=args)
    )


def public_url(*, path: str = "/") -> str:
    port = f":{settings.STRATO_PUBLIC_PORT}" if settings.STRATO_PUBLIC_PORT else ""
    return f"{settings.STRATO_URL_SCHEME}://{settings.STRATO_BASE_DOMAIN}{port}{path}"


def tenant_by_id(*, tenant_id: int) -> Tenant | None:
    return cast("Tenant | None", Tenant.objects.filter(pk=tenant_id).first())


def ready_tenant_by_slug(*, slug: str) -> Tenant | None:
    """A ready organisation by its address (the public "find your organisation" form)."""
    tenant: Tenant | None = Tenant.objects.filter(slug=slug, status=Tenant.Status.READY).first()
    return tenant


def ready_tenants() -> QuerySet[Tenant]:
    tenants: QuerySet[Tenant] = Tenant.objects.filter(status=Tenant.Status.READY).exclude(
        schema_name=get_public_schema_name()
    )
    return tenants


def spare_count() -> int:
    count: int = Tenant.objects.filter(status=Tenant.Status.SPARE).count()
    return count
