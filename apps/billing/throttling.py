"""The API rate a tenant's plan allows (a plan limit, hence billing's; core only keys it)."""

from apps.core.throttling import PrincipalRateThrottle

from .selectors import plan_for_tenant


class PlanRateThrottle(PrincipalRateThrottle):
    """On a tenant's host the rate is the tenant's plan (`api_requests_per_minute`, after
    dunning); on the public host it is the configured `principal` rate."""

    def allow_request(self, request, view):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and not tenant.is_public:
            self.rate = f"{plan_for_tenant(tenant=tenant).api_requests_per_minute}/min"
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
