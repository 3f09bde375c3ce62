from rest_framework.throttling import SimpleRateThrottle

from .http import client_ip


class ClientIpMixin:
    """Keys "per IP" on the client's address behind the configured proxies (`client_ip`)."""

    def get_ident(self, request) -> str:
        return client_ip(request)


class PrincipalRateThrottle(ClientIpMixin, SimpleRateThrottle):
    """Per API key, else per user, else per client IP, at the configured `principal` rate; keys
    carry the schema via the cache. Billing's `PlanRateThrottle` sets the rate from the plan."""

    scope = "principal"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "api_key", None)
        if api_key is not None:
            ident = f"key:{api_key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AuthRateThrottle(ClientIpMixin, SimpleRateThrottle):
    """Per client IP on authentication endpoints."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
