"""JWTs bound to one tenant: the `tenant` claim must match the host on every request."""

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

TENANT_CLAIM = "tenant"


class TenantRefreshToken(RefreshToken):
    @classmethod
    def for_membership(cls, *, user, tenant) -> "TenantRefreshToken":
        """Like `for_user`, with the tenant claim set before the token is recorded as
        outstanding, so revoking one organisation's tokens can find them by that claim."""
        token = cls()
        token[api_settings.USER_ID_CLAIM] = str(getattr(user, api_settings.USER_ID_FIELD))
        token[TENANT_CLAIM] = str(tenant.public_id)
        OutstandingToken.objects.create(
            user=user,
            jti=token[api_settings.JTI_CLAIM],
            token=str(token),
            created_at=token.current_time,
            expires_at=datetime_from_epoch(token["exp"]),
        )
        return token
