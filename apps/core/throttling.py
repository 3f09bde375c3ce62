from rest_framework.throttling import SimpleRateThrottle


class PrincipalRateThrottle(SimpleRateThrottle):
    """Per API key, else per user, else per client IP; keys carry the schema via the cache.

    On a tenant's host the rate is the tenant's plan (`api_requests_per_minute`, after dunning);
    on the public host it is the configured `principal` rate.
    """

    scope = "principal"

    def allow_request(self, request, view):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and not tenant.is_public:
            from apps.billing.selectors import plan_for_tenant

            self.rate = f"{plan_for_tenant(tenant=tenant).api_requests_per_minute}/min"
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        api_key = getattr(request, "api_key", None)
        if api_key is not None:
            ident = f"key:{api_key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AuthRateThrottle(SimpleRateThrottle):
    """Per client IP on authentication endpoints."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
