"""Billing fixtures: Stripe stubbed at the HTTP layer only (`responses` under stripe's
RequestsClient), with object shapes from Stripe's own API fixtures, and webhooks signed with
Stripe's real scheme."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import time
import uuid
from pathlib import Path
from urllib.parse import unquote

import pytest
import responses
from django.conf import settings as django_settings

from apps.core import webhooks as inbox
from apps.core.models import WebhookEvent
from tests.billing.factories import BillingAccountFactory, WebhookEndpointFactory

FIXTURES_PATH = (
    Path(django_settings.BASE_DIR).parent / "shared" / "fixtures" / "stripe" / "fixtures3.json"
)
STRIPE_RESOURCES = json.loads(FIXTURES_PATH.read_text())["resources"]
API = "https://api.stripe.com"
WEBHOOK_SECRET = "whsec_strato_test_secret"
CUSTOMER_ID = "cus_QXg1o8vcGmoR32"  # the fixtures' customer


def stripe_object(kind: str, **changes) -> dict:
    """A deep copy of Stripe's fixture for `kind`, with top-level `changes`."""
    obj = copy.deepcopy(STRIPE_RESOURCES[kind])
    obj.update(changes)
    return obj


def price(plan: str, price_id: str | None = None) -> dict:
    return stripe_object(
        "price",
        id=price_id or f"price_{plan}",
        lookup_key=f"strato_{plan}_monthly",
        unit_amount={"starter": 2900, "pro": 9900, "enterprise": 29900}[plan],
        metadata={"strato_plan": plan},
    )


def subscription(
    *,
    plan: str = "starter",
    status: str = "active",
    sub_id: str = "sub_strato1",
    customer: str = CUSTOMER_ID,
    created: int | None = None,
    trial_end: int | None = None,
    cancel_at_period_end: bool = False,
    period_end: int | None = None,
    schedule: str | None = None,
    tenant=None,
) -> dict:
    """Stripe's subscription fixture, made to bill `plan`."""
    now = int(time.time())
    obj = stripe_object(
        "subscription",
        id=sub_id,
        customer=customer,
        status=status,
        created=created or now - 3600,
        trial_end=trial_end,
        trial_start=None,
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=None,
        canceled_at=None,
        ended_at=None,
        schedule=schedule,
        metadata={"strato_tenant": str(tenant.public_id)} if tenant else {},
    )
    item = obj["items"]["data"][0]
    item["id"] = f"si_{sub_id}"
    item["subscription"] = sub_id
    item["price"] = price(plan)
    item["current_period_start"] = now - 3600
    item["current_period_end"] = period_end or now + 30 * 86400
    return obj


def invoice(
    *,
    invoice_id: str = "in_strato1",
    status: str = "paid",
    sub_id: str = "sub_strato1",
    amount: int = 2900,
    customer: str = CUSTOMER_ID,
) -> dict:
    obj = stripe_object(
        "invoice",
        id=invoice_id,
        status=status,
        customer=customer,
        amount_due=amount,
        amount_paid=amount if status == "paid" else 0,
        number="7FE1103-0001",
        created=int(time.time()) - 60,
        hosted_invoice_url=f"https://invoice.stripe.com/i/{invoice_id}",
        subscription=None,
    )
    obj["parent"] = {
        "type": "subscription_details",
        "quote_details": None,
        "subscription_details": {"metadata": {}, "subscription": sub_id},
    }
    return obj


def event(kind: str, obj: dict, *, event_id: str | None = None, created: int | None = None) -> dict:
    """Stripe's event envelope around `obj`."""
    return stripe_object(
        "event",
        id=event_id or f"evt_{uuid.uuid4().hex[:24]}",
        type=kind,
        created=created or int(time.time()),
        data={"object": obj},
        api_version=django_settings.STRIPE_API_VERSION,
        livemode=False,
    )


def sign(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


@pytest.fixture
def stripe_api(settings):
    """Stripe configured with a test key; every HTTP request to it must be stubbed."""
    # Stripe's documented example test key (dj-stripe checks the key's shape).
    settings.STRIPE_SECRET_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def stub_subscription(mock, obj: dict) -> None:
    """GET /v1/subscriptions/<id> answers the subscription as Stripe holds it now."""
    mock.upsert(responses.GET, f"{API}/v1/subscriptions/{obj['id']}", json=obj)


def stub_prices(mock) -> None:
    def answer(request):
        key = re.search(r"lookup_keys\[0\]=strato_(\w+)_monthly", unquote(request.url))
        data = [price(key[1])] if key else []
        return (
            200,
            {},
            json.dumps({"object": "list", "data": data, "has_more": False, "url": "/v1/prices"}),
        )

    mock.add_callback(responses.GET, re.compile(rf"{API}/v1/prices.*"), callback=answer)


@pytest.fixture
def webhook_endpoint(db):
    return WebhookEndpointFactory(id="we_strato_test", secret=WEBHOOK_SECRET)


@pytest.fixture
def post_event(public_client, webhook_endpoint):
    """POST a Stripe event to dj-stripe's UUID endpoint; returns the response."""

    def post(payload: dict, *, body: bytes | None = None, signature: str | None = None):
        raw = body if body is not None else json.dumps(payload).encode()
        headers = {
            "HTTP_STRIPE_SIGNATURE": signature
            if signature is not None
            else sign(json.dumps(payload).encode())
        }
        return public_client.post(
            f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/",
            data=raw,
            content_type="application/json",
            **headers,
        )

    return post


def process(event_id: str) -> str:
    """What the Celery task does for a stored event."""
    stored = WebhookEvent.objects.get(provider="stripe", event_id=event_id)
    return inbox.webhook_process(event_pk=stored.pk)


@pytest.fixture
def account(tenant, owner):
    """acme, with its owner, linked to the fixtures' Stripe customer."""
    return BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)


@pytest.fixture
def send_emails(django_capture_on_commit_callbacks):
    """Run on-commit callbacks and Celery tasks in process, so queued emails really go out."""
    from strato.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield django_capture_on_commit_callbacks
    finally:
        app.conf.task_always_eager = previous
