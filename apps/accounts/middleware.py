from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from .selectors import membership_get

SESSION_TENANT_KEY = "strato_tenant"


class TenantSessionMiddleware:
    """A session is valid only on the host it was opened on.

    Users live in the public schema, so a session row alone would work on any tenant host; the
    schema recorded at login must match this request's tenant or the request is anonymous.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if (
            request.user.is_authenticated
            and tenant is not None
            and request.session.get(SESSION_TENANT_KEY) != tenant.schema_name
        ):
            request.user = AnonymousUser()
            request._cached_user = request.user
        return self.get_response(request)


class MembershipMiddleware:
    """Attaches `request.membership`: the user's membership in this host's tenant, or None.

    Core's permission layer reads this attribute (core imports no app). It is looked up on first
    use, once per request: by then DRF has authenticated the request (JWT, API key) and set the
    user on the Django request, so the membership is that of the credential's user.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(
            lambda: membership_get(user=request.user, tenant=getattr(request, "tenant", None))
        )
        return self.get_response(request)
