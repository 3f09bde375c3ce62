"""The one way Strato reaches Stripe: timeouts, network retries with backoff, a pinned version.

Every call goes through `stripe_call`, which turns Stripe's failures into domain errors:
an outage (connection error, rate limit, 5xx) becomes a 503 `stripe_unavailable` that tells the
person to retry; anything else Stripe refuses becomes a 502 `stripe_error`. dj-stripe's own
calls use the same HTTP client (configured in `BillingConfig.ready`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import stripe
from django.conf import settings

from apps.core.errors import DomainError, ServiceUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")


class StripeNotConfigured(ServiceUnavailable):
    code = "stripe_not_configured"
    title = "Billing is not configured"


class StripeUnavailable(ServiceUnavailable):
    code = "stripe_unavailable"
    title = "Payment provider unavailable"


class StripeRefused(DomainError):
    status = 502
    code = "stripe_error"
    title = "Payment provider refused the request"


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def http_client() -> stripe.RequestsClient:
    # (connect, read) timeouts: a dead network fails fast, a slow answer gets a little longer.
    timeout = float(settings.STRIPE_TIMEOUT_SECONDS)
    return stripe.RequestsClient(timeout=(min(timeout, 5.0), timeout))


def configure_stripe_module() -> None:
    """Settings for the `stripe` module's global client, which dj-stripe uses."""
    stripe.default_http_client = http_client()
    stripe.max_network_retries = settings.STRIPE_MAX_NETWORK_RETRIES
    stripe.api_version = settings.STRIPE_API_VERSION


def stripe_client() -> stripe.StripeClient:
    if not stripe_configured():
        raise StripeNotConfigured(
            "Stripe is not configured on this server: set STRIPE_SECRET_KEY (and the webhook "
            "endpoint) as described on the billing page."
        )
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_version=settings.STRIPE_API_VERSION,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=http_client(),
    )


def stripe_call(action: str, function: Callable[[stripe.StripeClient], T]) -> T:
    """Run `function(client)`; Stripe's errors become domain errors the API and pages explain."""
    client = stripe_client()
    with stripe_errors(action):
        return function(client)


@contextmanager
def stripe_errors(action: str) -> Iterator[None]:
    """Stripe's exceptions raised inside the block become StripeUnavailable or StripeRefused."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        logger.warning("stripe unavailable during %s: %s", action, exc)
        raise _unavailable() from exc
    except stripe.APIError as exc:
        if (exc.http_status or 500) >= 500:
            logger.warning("stripe error %s during %s", exc.http_status, action)
            raise _unavailable() from exc
        raise StripeRefused(f"Stripe refused to {action}: {exc.user_message or exc}") from exc
    except stripe.StripeError as exc:
        logger.warning("stripe refused %s: %s", action, exc)
        raise StripeRefused(f"Stripe refused to {action}: {exc.user_message or exc}") from exc


def _unavailable() -> StripeUnavailable:
    return StripeUnavailable(
        "We could not reach our payment provider. Nothing was charged and nothing changed: "
        "please try again in a minute.",
        headers={"Retry-After": "60"},
        extra={"retry_after": 60},
    )


def as_dict(stripe_object: Any) -> dict:
    """The JSON Stripe sent for a StripeObject, as a plain dict (decimals back to strings)."""
    if isinstance(stripe_object, dict) and not isinstance(stripe_object, stripe.StripeObject):
        return stripe_object
    return json.loads(json.dumps(stripe_object.to_dict(), default=str))
