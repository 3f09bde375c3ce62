"""What a request says about its client, read the same way by throttles, lock-outs and logs."""

from django.http import HttpRequest
from rest_framework.settings import api_settings


def client_ip(request: HttpRequest) -> str:
    """The client's address behind `NUM_PROXIES` trusted proxies (DRF's semantics).

    With NUM_PROXIES=0 the socket address is the client. With N > 0 the client is the N-th
    address from the right of X-Forwarded-For: each trusted proxy appended the address it
    received from, and anything to the left of that was written by the client and cannot be
    trusted. Without the header (a request that did not pass the proxy) the socket address is it.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "") or ""
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    num_proxies = api_settings.NUM_PROXIES
    if num_proxies is None:
        return "".join(forwarded_for.split()) if forwarded_for else remote_addr
    if num_proxies <= 0 or not forwarded_for:
        return remote_addr
    addresses = [address.strip() for address in forwarded_for.split(",")]
    return addresses[-min(num_proxies, len(addresses))] or remote_addr
