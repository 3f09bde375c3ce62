"""Helpers of the accounts tests, also used by the browser and billing tests."""

from __future__ import annotations

import re

from django.core import mail

CONFIRM_LINK = re.compile(r"https?://[^/\s]+/signup/confirm/(?P<token>[^/\s]+)/")


def signup_confirm_link(email: str) -> str:
    """The confirmation link of the last signup mail sent to `email` (locmem backend)."""
    sent = [m for m in mail.outbox if email in m.to and CONFIRM_LINK.search(m.body)]
    assert sent, f"no signup confirmation mail to {email}"
    match = CONFIRM_LINK.search(sent[-1].body)
    assert match is not None
    return match.group(0)


def signup_confirm_token(email: str) -> str:
    match = CONFIRM_LINK.search(signup_confirm_link(email))
    assert match is not None
    return match["token"]


def register_and_confirm(client, **body):
    """`POST /api/auth/register` then `/register/confirm` with the emailed token."""
    requested = client.post("/api/auth/register", body, format="json")
    assert requested.status_code == 202, requested.content
    token = signup_confirm_token(body["email"].strip().lower())
    return client.post("/api/auth/register/confirm", {"token": token}, format="json")
