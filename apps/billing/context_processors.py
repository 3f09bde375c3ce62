from django.utils.functional import SimpleLazyObject

from .selectors import billing_status


def billing(request):
    """The dunning banner on every dashboard page (past due in grace, or back on Free limits).

    Lazy: pages that never show it never query it.
    """
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or tenant.is_public or user is None or not user.is_authenticated:
        return {}
    return {"billing_standing": SimpleLazyObject(lambda: billing_status(tenant=tenant))}
