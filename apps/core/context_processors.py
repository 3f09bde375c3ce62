from django.conf import settings


def strato(request):
    tenant = getattr(request, "tenant", None)
    return {
        "current_tenant": tenant if tenant is not None and not tenant.is_public else None,
        "current_membership": getattr(request, "membership", None),
        "base_domain": settings.STRATO_BASE_DOMAIN,
    }
