"""Pure helpers shared by Django's logging and gunicorn's access log (no Django imports: the
gunicorn configuration loads this module before any app)."""

from __future__ import annotations

import re

REDACTED = "[redacted]"

# Paths whose segments are bearer secrets: sign-in hand-off, invitation, signup confirmation and
# password-reset links (uidb64 and token; Django then swaps the token for "set-password").
_SECRET_SEGMENT = re.compile(r"(/(?:handoff|invitations|signup/confirm)/)(?!accept\b)[^/\s?#\"']+")
_RESET_SEGMENTS = re.compile(r"(/password-reset/)(?!sent/|done/)[^/\s?#\"']+/[^/\s?#\"']+")
_SECRET_QUERY = re.compile(r"((?:^|[?&\s])(?:token|key|code)=)[^&\s#\"']+", re.IGNORECASE)


def redact_secrets(text: str) -> str:
    """`text` (a request line, path, URL, referrer, log message) with link secrets replaced."""
    text = _SECRET_SEGMENT.sub(rf"\g<1>{REDACTED}", text)
    text = _RESET_SEGMENTS.sub(rf"\g<1>{REDACTED}/{REDACTED}", text)
    return _SECRET_QUERY.sub(rf"\g<1>{REDACTED}", text)


def forwarded_client(remote_addr: str, forwarded_for: str, num_proxies: int | None) -> str:
    """The client behind `num_proxies` trusted proxies (DRF's NUM_PROXIES semantics).

    With 0 the socket address is the client. With N > 0 it is the N-th address from the right
    of X-Forwarded-For: each trusted proxy appended the address it received from, and anything
    to the left of that was written by the client and cannot be trusted. Without the header (a
    request that did not pass the proxy) the socket address is it. None trusts the whole header.
    """
    if num_proxies is None:
        return "".join(forwarded_for.split()) if forwarded_for else remote_addr
    if num_proxies <= 0 or not forwarded_for:
        return remote_addr
    addresses = [address.strip() for address in forwarded_for.split(",")]
    return addresses[-min(num_proxies, len(addresses))] or remote_addr
