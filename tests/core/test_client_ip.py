"""`client_ip`: the client's address behind NUM_PROXIES trusted proxies (DRF's semantics)."""

import pytest
from django.test import RequestFactory, override_settings
from rest_framework.settings import api_settings

from apps.core.http import client_ip


def _request(remote_addr="10.0.0.1", forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def _with_proxies(num_proxies):
    return override_settings(REST_FRAMEWORK={**_rest_framework(), "NUM_PROXIES": num_proxies})


def _rest_framework():
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


def test_without_proxies_the_socket_address_is_the_client_whatever_the_header_says():
    assert api_settings.NUM_PROXIES == 0
    assert client_ip(_request(forwarded_for="203.0.113.9")) == "10.0.0.1"


@pytest.mark.parametrize(
    ("num_proxies", "forwarded_for", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # A client-written entry on the left is ignored: the proxy appended the real address.
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),
        (2, "198.51.100.66, 203.0.113.9, 10.1.1.1", "203.0.113.9"),
        # Fewer entries than proxies: the leftmost one.
        (3, "203.0.113.9, 10.1.1.1", "203.0.113.9"),
    ],
)
def test_behind_proxies_the_nth_forwarded_address_from_the_right(
    num_proxies, forwarded_for, expected
):
    with _with_proxies(num_proxies):
        assert client_ip(_request(forwarded_for=forwarded_for)) == expected


def test_behind_a_proxy_a_request_without_the_header_is_the_socket_address():
    with _with_proxies(1):
        assert client_ip(_request()) == "10.0.0.1"
