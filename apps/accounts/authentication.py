"""API authentication. Each class accepts a credential only on its own tenant's host."""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication

from apps.core.context import user_var

from .models import ApiKey, User
from .services import api_key_touch
from .tokens import TENANT_CLAIM

API_KEY_KEYWORD = "Api-Key"


def _request_tenant(request):
    tenant = getattr(request, "tenant", None)
    return None if tenant is None or tenant.is_public else tenant


class TenantJWTAuthentication(JWTAuthentication):
    """Bearer JWT whose `tenant` claim must name the organisation of this host."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        tenant = _request_tenant(request)
        if tenant is None or token.get(TENANT_CLAIM) != str(tenant.public_id):
            raise exceptions.AuthenticationFailed(
                _("Token was issued for another organisation."), code="token_wrong_tenant"
            )
        user_var.set(str(cast(User, user).public_id))
        return user, token


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`; the key acts as the member who created it."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _space, key = header.partition(" ")
        if keyword != API_KEY_KEYWORD:
            return None
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed(_("API key missing."), code="api_key_invalid")
        tenant = _request_tenant(request)
        try:
            api_key = cast(ApiKey, ApiKey.objects.get_from_key(key))
        except ApiKey.DoesNotExist:
            api_key = None
        if api_key is None or tenant is None or api_key.tenant_id != tenant.pk:
            raise exceptions.AuthenticationFailed(
                _("API key is invalid, expired, revoked or for another organisation."),
                code="api_key_invalid",
            )
        if not api_key.created_by.is_active:
            raise exceptions.AuthenticationFailed(
                _("API key owner is inactive."), code="api_key_invalid"
            )
        api_key_touch(api_key=api_key)
        request.api_key = api_key
        user_var.set(str(api_key.created_by.public_id))
        return api_key.created_by, api_key

    def authenticate_header(self, request):
        return API_KEY_KEYWORD


class TenantSessionAuthentication(SessionAuthentication):
    """Dashboard session (with CSRF); `TenantSessionMiddleware` already dropped foreign ones."""
