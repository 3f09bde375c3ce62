"""JWTs bound to one tenant: the `tenant` claim must match the host on every request."""

from typing import cast

from rest_framework_simplejwt.tokens import RefreshToken

TENANT_CLAIM = "tenant"


class TenantRefreshToken(RefreshToken):
    @classmethod
    def for_membership(cls, *, user, tenant) -> "TenantRefreshToken":
        token = cast(TenantRefreshToken, cls.for_user(user))
        token[TENANT_CLAIM] = str(tenant.public_id)
        return token
