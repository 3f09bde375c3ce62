"""Stripe webhooks: dj-stripe's UUID endpoint verifies, our inbox stores, Celery applies.

`StripeWebhookView` serves dj-stripe's UUID endpoint (`/stripe/webhook/<uuid>/`): dj-stripe
checks the `Stripe-Signature` (HMAC-SHA256 over `t.body`, 300 s tolerance) on the raw body and
keeps the request as a `WebhookEventTrigger`; we store the event once by its id in the core
inbox and answer at once. `apply_stripe_event` runs in the Celery task: it never trusts the
event's copy of a subscription (events arrive late and twice) but re-reads the subscription
from Stripe and applies that; invoices keep their final status. Tenant work runs in the
tenant's schema (see `services.plan_changed`).
"""

from __future__ import annotations

import json
import logging

from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from djstripe.models import WebhookEndpoint, WebhookEventTrigger
from djstripe.models.webhooks import get_remote_ip
from djstripe.settings import djstripe_settings
from djstripe.views import ProcessWebhookView

from apps.core.models import WebhookEvent
from apps.core.webhooks import event_json, kept_headers, webhook_handler, webhook_receive

from . import services
from .selectors import billing_account_for_customer

logger = logging.getLogger(__name__)

PROVIDER = "stripe"

SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
}
INVOICE_EVENTS = {"invoice.paid", "invoice.payment_failed", "invoice.payment_action_required"}
HANDLED_EVENTS = {
    "checkout.session.completed",
    "customer.subscription.trial_will_end",
    *SUBSCRIPTION_EVENTS,
    *INVOICE_EVENTS,
}


def _customer_of(payload: dict) -> str:
    customer = (payload.get("data") or {}).get("object", {}).get("customer") or ""
    return customer.get("id", "") if isinstance(customer, dict) else customer


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(ProcessWebhookView):
    """dj-stripe's UUID endpoint, with processing moved out of the request.

    dj-stripe keeps the request (`WebhookEventTrigger`) and checks it with its own validation
    (`Stripe-Signature` on the raw body, the endpoint's secret and tolerance). A valid event is
    stored once in the inbox and applied by Celery; this answers at once: 400 for a forged or
    stale signature (stored as invalid, nothing applied), 200 otherwise, duplicates included.
    """

    def post(self, request, uuid):
        if "stripe-signature" not in request.headers:
            logger.warning("stripe webhook without signature")
            return HttpResponseBadRequest("Missing Stripe-Signature header.")
        endpoint = get_object_or_404(WebhookEndpoint, djstripe_uuid=uuid)
        with transaction.atomic():
            trigger = WebhookEventTrigger.objects.create(
                headers=dict(request.headers),
                body=request.body.decode("utf-8", "replace"),
                remote_ip=get_remote_ip(request),
                webhook_endpoint=endpoint,
                stripe_trigger_account=endpoint.djstripe_owner_account,
            )
            trigger.valid = trigger.validate(
                api_key=djstripe_settings.get_default_api_key(endpoint.livemode),
                secret=endpoint.secret,
            )
            if trigger.valid:
                stripe_event_to_inbox(body=request.body, headers=request.headers)
                trigger.processed = True
            trigger.save(update_fields=["valid", "processed", "updated"])
        if not trigger.valid:
            logger.warning(
                "stripe webhook with an invalid signature", extra={"trigger": trigger.pk}
            )
            return HttpResponseBadRequest("Invalid signature.")
        return HttpResponse(str(trigger.id))


def stripe_event_to_inbox(*, body: bytes, headers) -> None:
    """Store a verified Stripe event in the inbox (once per event id); Celery applies it."""
    payload = json.loads(body)
    account = billing_account_for_customer(customer_id=_customer_of(payload))
    webhook_receive(
        provider=PROVIDER,
        event_id=payload["id"],
        body=body,
        headers=kept_headers(headers),
        event_type=payload.get("type", ""),
        schema_name=account.tenant.schema_name if account else "",
    )


@webhook_handler(PROVIDER)
def apply_stripe_event(event: WebhookEvent) -> str:
    payload = event_json(event)
    kind = payload.get("type", "")
    obj = payload["data"]["object"]
    if kind not in HANDLED_EVENTS:
        return "ignored"
    if kind == "checkout.session.completed":
        if obj.get("mode") != "subscription":
            return "ignored"
        services.billing_checkout_complete(session=obj)
    elif kind in SUBSCRIPTION_EVENTS:
        current = services.stripe_subscription_fetch(subscription_id=obj["id"])
        services.billing_subscription_apply(subscription=current)
    elif kind == "customer.subscription.trial_will_end":
        services.billing_trial_will_end(subscription=obj)
    else:
        services.billing_invoice_record(invoice=obj)
        subscription_id = services.invoice_subscription_id(obj)
        if subscription_id:
            services.billing_subscription_apply(
                subscription=services.stripe_subscription_fetch(subscription_id=subscription_id)
            )
        if kind == "invoice.payment_action_required":
            services.billing_payment_action_required(invoice=obj)
    return "processed"
