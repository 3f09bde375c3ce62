"""What a request says about its client, read the same way by throttles, lock-outs and logs."""

from django.http import HttpRequest
from rest_framework.settings import api_settings

from .accesslog import forwarded_client


def client_ip(request: HttpRequest) -> str:
    """The client's address behind `NUM_PROXIES` trusted proxies (see `forwarded_client`)."""
    return forwarded_client(
        request.META.get("REMOTE_ADDR", "") or "",
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        api_settings.NUM_PROXIES,
    )
