"""Resend's API: the batch endpoint (up to 100 distinct, personalised emails per request) and
the domains a tenant sends from.

django-anymail sends one message per API call; a campaign goes through `POST /emails/batch`
instead. Every call carries an `Idempotency-Key` derived from the messages it holds, so a retry
after a timeout, or a redelivered task after a worker died, cannot send twice. A 429 is honoured
(its `Retry-After`, then the call is repeated) and never drops the batch; 5xx answers and network
errors are retried with exponential backoff, then surface as `ResendUnavailable` for the task to
retry later with the same key. Requests take tokens from a Redis bucket shared by every worker so
the account's rate limit holds across processes.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from .ratelimit import TokenBucket

logger = logging.getLogger(__name__)

MAX_BATCH = 100


class ResendError(Exception):
    pass


class ResendUnavailable(ResendError):
    """Transient: outage, timeouts or a 429 storm longer than we wait in one task run."""


class ResendRejected(ResendError):
    """Permanent: the batch itself is invalid (4xx other than 429)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


# Tags travel with each email and come back in every webhook event about it (Resend allows
# ASCII letters, digits, "_" and "-"), so an event finds its tenant and message without a lookup
# table. The webhook payload is svix-signed, so the values are the ones we sent.
TENANT_TAG = "strato_tenant"
MESSAGE_TAG = "strato_message"
_TAG_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def message_tags(*, schema: str, message_id: int) -> dict[str, str]:
    return {TENANT_TAG: schema, MESSAGE_TAG: str(message_id)}


def read_message_tags(data: dict) -> tuple[str, int] | None:
    """(schema, message id) from a webhook event's `data.tags`, or None when they are absent.

    Resend sends tags as an object; a list of {name, value} pairs (the send format) is accepted.
    """
    tags = data.get("tags") or {}
    if isinstance(tags, list):
        tags = {t.get("name"): t.get("value") for t in tags if isinstance(t, dict)}
    if not isinstance(tags, dict):
        return None
    schema, message_id = tags.get(TENANT_TAG), tags.get(MESSAGE_TAG)
    if not (isinstance(schema, str) and _TAG_VALUE.match(schema)):
        return None
    if not (isinstance(message_id, str) and message_id.isdigit()):
        return None
    return schema, int(message_id)


@dataclass
class BatchEmail:
    from_email: str
    to: str
    subject: str
    html: str
    text: str
    headers: dict[str, str]
    reply_to: str = ""
    tags: dict[str, str] | None = None

    def as_json(self) -> dict:
        body: dict[str, Any] = {
            "from": self.from_email,
            "to": [self.to],
            "subject": self.subject,
            "html": self.html,
            "text": self.text,
            "headers": self.headers,
        }
        if self.reply_to:
            body["reply_to"] = [self.reply_to]
        if self.tags:
            body["tags"] = [{"name": k, "value": v} for k, v in self.tags.items()]
        return body


_session: requests.Session | None = None


def _http() -> requests.Session:
    global _session
    if _session is None:
        _session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16)
        _session.mount("https://", adapter)
        _session.mount("http://", adapter)
    return _session


def bucket() -> TokenBucket:
    return TokenBucket(
        key="strato:ratelimit:resend", rate_per_second=settings.RESEND_RATE_PER_SECOND
    )


def _retry_after(response: requests.Response, default: float) -> float:
    value = response.headers.get("Retry-After") or response.headers.get("ratelimit-reset")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def _request(
    method: str,
    path: str,
    *,
    json: Any = None,
    idempotency_key: str = "",
    timeout: float | None = None,
) -> requests.Response:
    """One authenticated call to Resend's API; sending and domains both go through here.

    Network errors propagate (`requests.ConnectionError`, `requests.Timeout`): each caller owns
    its retry policy. The API key travels only in the header, never in a log line."""
    headers = {
        "Authorization": f"Bearer {settings.ANYMAIL.get('RESEND_API_KEY', '')}",
        "Content-Type": "application/json",
        "User-Agent": "strato-campaigns",
    }
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return _http().request(
        method,
        settings.RESEND_API_URL.rstrip("/") + path,
        json=json,
        headers=headers,
        timeout=(3.05, timeout or settings.RESEND_TIMEOUT_SECONDS),
    )


def send_batch(emails: list[BatchEmail], *, idempotency_key: str) -> list[str]:
    """Send up to 100 distinct emails in one call; returns Resend's ids in the same order."""
    if not emails:
        return []
    if len(emails) > MAX_BATCH:
        raise ValueError(f"Resend takes at most {MAX_BATCH} emails per batch")
    payload = [email.as_json() for email in emails]
    deadline = time.monotonic() + settings.RESEND_MAX_WAIT_SECONDS
    attempt = 0
    limiter = bucket()
    while True:
        attempt += 1
        limiter.acquire(max_wait=max(1.0, deadline - time.monotonic()))
        try:
            response = _request(
                "POST", "/emails/batch", json=payload, idempotency_key=idempotency_key
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            wait, reason = min(30.0, 0.5 * 2 ** (attempt - 1)), f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 200:
                data = response.json().get("data") or []
                ids = [item.get("id", "") for item in data]
                if len(ids) != len(emails):
                    raise ResendUnavailable(
                        f"Resend answered {len(ids)} ids for {len(emails)} emails"
                    )
                return ids
            if response.status_code == 429:
                wait = _retry_after(response, default=1.0)
                reason = "429 rate limited"
            elif response.status_code >= 500:
                wait = min(30.0, 0.5 * 2 ** (attempt - 1))
                reason = f"{response.status_code} {response.text[:200]}"
            elif response.status_code == 409:
                # Same key, still in flight elsewhere, or reused with a different body.
                wait, reason = 1.0, f"409 {response.text[:200]}"
            else:
                raise ResendRejected(
                    f"Resend refused the batch: {response.status_code} {response.text[:500]}",
                    status=response.status_code,
                )
        if time.monotonic() + wait > deadline:
            raise ResendUnavailable(f"Resend unavailable after {attempt} attempts: {reason}")
        logger.info("resend batch retry in %.2fs (%s)", wait, reason)
        time.sleep(wait)


# --- Domains: https://resend.com/docs/api-reference/domains --------------------------------------

# A person waits on these calls (dashboard, API), so they give up far sooner than a send batch.
DOMAIN_ATTEMPTS = 3
DOMAIN_TIMEOUT_SECONDS = 10.0


def _error_message(response: requests.Response) -> str:
    """Resend's error body is `{"statusCode", "name", "message"}`; fall back to the raw text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])[:300]
    return response.text[:300]


def _domain_call(method: str, path: str, *, json: Any = None) -> dict[str, Any]:
    """A domains call with a short retry on 429, 5xx and network errors; 4xx → `ResendRejected`."""
    limiter = bucket()
    reason = ""
    for attempt in range(1, DOMAIN_ATTEMPTS + 1):
        limiter.acquire(max_wait=DOMAIN_TIMEOUT_SECONDS)
        try:
            response = _request(method, path, json=json, timeout=DOMAIN_TIMEOUT_SECONDS)
        except (requests.ConnectionError, requests.Timeout) as exc:
            wait, reason = 0.5 * 2 ** (attempt - 1), f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code < 300:
                body = response.json() if response.content else {}
                return body if isinstance(body, dict) else {}
            if response.status_code == 429:
                wait, reason = min(5.0, _retry_after(response, default=1.0)), "429 rate limited"
            elif response.status_code >= 500:
                wait = 0.5 * 2 ** (attempt - 1)
                reason = f"{response.status_code} {_error_message(response)}"
            else:
                raise ResendRejected(_error_message(response), status=response.status_code)
        if attempt < DOMAIN_ATTEMPTS:
            logger.info("resend %s %s retry in %.2fs (%s)", method, path, wait, reason)
            time.sleep(wait)
    raise ResendUnavailable(f"Resend unavailable after {DOMAIN_ATTEMPTS} attempts: {reason}")


def domain_create(*, name: str) -> dict[str, Any]:
    """`POST /domains`: the new domain with its `id`, `status` and the DNS `records` to publish."""
    return _domain_call("POST", "/domains", json={"name": name})


def domain_get(*, domain_id: str) -> dict[str, Any]:
    """`GET /domains/{id}`: the domain's current `status` and its `records`, each with a status."""
    return _domain_call("GET", f"/domains/{domain_id}")


def domain_verify(*, domain_id: str) -> dict[str, Any]:
    """`POST /domains/{id}/verify`: asks Resend to check the DNS records again (asynchronously)."""
    return _domain_call("POST", f"/domains/{domain_id}/verify")


def domain_delete(*, domain_id: str) -> dict[str, Any]:
    """`DELETE /domains/{id}`; a domain Resend no longer knows (404) counts as deleted."""
    try:
        return _domain_call("DELETE", f"/domains/{domain_id}")
    except ResendRejected as exc:
        if exc.status == 404:
            return {"id": domain_id, "deleted": True}
        raise
