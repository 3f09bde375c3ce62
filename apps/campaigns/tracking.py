"""Signed tracking tokens, link rewriting, machine detection and the Redis event buffer.

Tokens are signed with the project's secret (`django.core.signing`, salted per purpose) and carry
the tenant schema, the message id and, for clicks, the destination: a tampered token fails the
signature and answers 404, so the redirect can never be pointed anywhere else, and no database
lookup is needed on the request path. Events are pushed to a Redis list and inserted in batches by
`flush_tracking_events`.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django_redis import get_redis_connection

OPEN_SALT = "strato.campaigns.open"
CLICK_SALT = "strato.campaigns.click"
UNSUBSCRIBE_SALT = "strato.campaigns.unsubscribe"
BUFFER_KEY = "strato:tracking:events"
# Events that failed to insert TRACKING_MAX_ATTEMPTS times, each with its last error.
PARKED_KEY = "strato:tracking:parked"
TRACKING_MAX_ATTEMPTS = 3

_open_signer = signing.Signer(salt=OPEN_SALT)
_click_signer = signing.Signer(salt=CLICK_SALT)
_unsubscribe_signer = signing.Signer(salt=UNSUBSCRIBE_SALT)

# User agents of link scanners and prefetchers (security gateways, previewers, HTTP libraries).
SCANNER_AGENTS = re.compile(
    r"bot|spider|crawl|preview|scanner|barracuda|mimecast|proofpoint|urldefense|safelinks|"
    r"symantec|messagelabs|forcepoint|trendmicro|fortiguard|sophos|cisco|ironport|zscaler|"
    r"python-requests|python-urllib|curl/|wget|go-http-client|okhttp|java/|libwww|headless|"
    r"slackbot|facebookexternalhit|microsoft office|ms-office|outlook-ios-linkpreview",
    re.I,
)
# Apple Mail Privacy Protection fetches every image through Apple's proxy with this bare agent.
APPLE_MPP_AGENT = "Mozilla/5.0"


def open_token(*, schema: str, message_id: int) -> str:
    return _open_signer.sign(f"{schema}:{message_id}")


def click_token(*, schema: str, message_id: int, url: str) -> str:
    return _click_signer.sign_object([schema, message_id, url], compress=True)


def unsubscribe_token(*, schema: str, message_id: int) -> str:
    return _unsubscribe_signer.sign(f"{schema}:{message_id}")


def read_open_token(token: str) -> tuple[str, int] | None:
    try:
        schema, message_id = _open_signer.unsign(token).rsplit(":", 1)
        return schema, int(message_id)
    except (signing.BadSignature, ValueError):
        return None


def read_unsubscribe_token(token: str) -> tuple[str, int] | None:
    try:
        schema, message_id = _unsubscribe_signer.unsign(token).rsplit(":", 1)
        return schema, int(message_id)
    except (signing.BadSignature, ValueError):
        return None


def read_click_token(token: str) -> tuple[str, int, str] | None:
    try:
        schema, message_id, url = _click_signer.unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        return None
    return str(schema), int(message_id), url


def public_base_url() -> str:
    if settings.CAMPAIGN_TRACKING_BASE_URL:
        return settings.CAMPAIGN_TRACKING_BASE_URL.rstrip("/")
    port = f":{settings.STRATO_PUBLIC_PORT}" if settings.STRATO_PUBLIC_PORT else ""
    return f"{settings.STRATO_URL_SCHEME}://{settings.STRATO_BASE_DOMAIN}{port}"


_HREF = re.compile(r'(<a\b[^>]*?\bhref=")(https?://[^"]+)(")', re.I)


def rewrite_links(
    html: str, *, schema: str, message_id: int, base: str, skip: tuple[str, ...] = ()
) -> str:
    def replace(match: re.Match) -> str:
        url = html_unescape_amp(match.group(2))
        if url.startswith(skip):
            return match.group(0)
        token = click_token(schema=schema, message_id=message_id, url=url)
        return f"{match.group(1)}{base}/t/c/{token}{match.group(3)}"

    return _HREF.sub(replace, html)


def html_unescape_amp(url: str) -> str:
    return url.replace("&amp;", "&")


def pixel_tag(*, schema: str, message_id: int, base: str) -> str:
    token = open_token(schema=schema, message_id=message_id)
    return (
        f'<img src="{base}/t/o/{token}.gif" width="1" height="1" alt="" '
        f'style="display:block;border:0;width:1px;height:1px">'
    )


def machine_reason(*, method: str, user_agent: str) -> str:
    """Why a request looks automated, or '' for a human. Timing is judged later, with sent_at."""
    if method == "HEAD":
        return "head_request"
    if not user_agent:
        return "no_user_agent"
    if user_agent.strip() == APPLE_MPP_AGENT:
        return "apple_mpp"
    if SCANNER_AGENTS.search(user_agent):
        return "scanner_agent"
    return ""


def buffer_event(
    *, kind: str, schema: str, message_id: int, user_agent: str, method: str, url: str = ""
) -> None:
    """One RPUSH; the only I/O on the tracking request path."""
    event = {
        "k": kind,
        "s": schema,
        "m": message_id,
        "ua": user_agent[:500],
        "r": machine_reason(method=method, user_agent=user_agent),
        "u": url,
        "t": time.time(),
    }
    get_redis_connection("default").rpush(BUFFER_KEY, json.dumps(event, separators=(",", ":")))


def take_buffered(limit: int) -> list[dict]:
    """Atomically take up to `limit` events off the buffer."""
    redis = get_redis_connection("default")
    raw = redis.lpop(BUFFER_KEY, limit) or []
    return [json.loads(item) for item in raw]


def requeue(events: list[dict]) -> None:
    if events:
        get_redis_connection("default").lpush(
            BUFFER_KEY, *[json.dumps(e, separators=(",", ":")) for e in reversed(events)]
        )


def retry_or_park(event: dict, *, reason: str) -> bool:
    """Put a failed event back at the end of the buffer, or park it once it has failed
    `TRACKING_MAX_ATTEMPTS` times. Returns True when it was parked."""
    attempts = int(event.get("a", 0)) + 1
    redis = get_redis_connection("default")
    if attempts >= TRACKING_MAX_ATTEMPTS:
        parked = {**event, "a": attempts, "error": reason[:1000]}
        redis.rpush(PARKED_KEY, json.dumps(parked, separators=(",", ":")))
        return True
    redis.rpush(BUFFER_KEY, json.dumps({**event, "a": attempts}, separators=(",", ":")))
    return False


def parked_events() -> list[dict]:
    return [json.loads(item) for item in get_redis_connection("default").lrange(PARKED_KEY, 0, -1)]
