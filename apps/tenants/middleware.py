from django_tenants.middleware.main import TenantMainMiddleware

from .selectors import tenant_for_host


class CachedTenantMiddleware(TenantMainMiddleware):
    """django-tenants' routing, with the host lookup served from the cache."""

    def get_tenant(self, domain_model, hostname):
        return tenant_for_host(hostname=hostname)
