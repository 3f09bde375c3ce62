"""Applying Stripe's state: subscriptions (as Stripe holds them now), completed checkouts,
invoices and dunning (payment failed, action required, trial ending). Webhook handlers call
these; they are idempotent and order-independent."""

from __future__ import annotations

import datetime
import logging
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import emails
from ..models import BillingAccount, BillingInvoice, SubscriptionStatus
from ..plans import PLANS
from ..selectors import (
    billing_account_for_customer,
    effective_plan,
)
from ..stripe_client import as_dict, stripe_call
from .account import plan_change_announce
from .prices import UnknownStripeObject, plan_for_price

logger = logging.getLogger(__name__)


def stripe_subscription_fetch(*, subscription_id: str) -> dict[str, Any]:
    """The subscription as Stripe holds it now (webhooks apply this, never the event's copy)."""
    return as_dict(
        stripe_call(
            "read the subscription",
            lambda client: client.v1.subscriptions.retrieve(subscription_id),
        )
    )


def _timestamp(value: int | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if value else None


def _account_for(*, customer_id: str, tenant_public_id: str = "") -> BillingAccount:
    account = billing_account_for_customer(customer_id=customer_id)
    if account is None and tenant_public_id:
        account = (
            BillingAccount.objects.select_related("tenant")
            .filter(tenant__public_id=tenant_public_id)
            .first()
        )
        if account is not None and not account.stripe_customer_id:
            account.stripe_customer_id = customer_id
            account.save(update_fields=["stripe_customer_id", "updated_at"])
    if account is None:
        raise UnknownStripeObject(f"No tenant has the Stripe customer {customer_id!r}.")
    return account


@transaction.atomic
def billing_subscription_apply(*, subscription: dict[str, Any]) -> BillingAccount:
    """Make the tenant's billing state match a subscription object as Stripe holds it now.

    Idempotent and order-independent: it copies the current object, and an older subscription
    of the same customer (compared by `created`) never overrides a newer one.
    """
    metadata = subscription.get("metadata") or {}
    account = _account_for(
        customer_id=subscription["customer"], tenant_public_id=metadata.get("strato_tenant", "")
    )
    account = BillingAccount.objects.select_for_update().select_related("tenant").get(pk=account.pk)
    created = cast(datetime.datetime, _timestamp(subscription["created"]))  # always present
    status = subscription["status"]
    if account.stripe_subscription_id and account.stripe_subscription_id != subscription["id"]:
        ended = status in (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)
        older = account.subscription_created and created < account.subscription_created
        if ended or older:
            logger.info("ignoring superseded subscription %s", subscription["id"])
            return account
    item = subscription["items"]["data"][0]
    plan = plan_for_price(price=item["price"])
    before = effective_plan(account=account)
    was_past_due = account.subscription_status == SubscriptionStatus.PAST_DUE

    if not account.comped:
        account.plan = plan.code
    account.stripe_subscription_id = subscription["id"]
    account.stripe_subscription_item_id = item["id"]
    account.subscription_created = created
    account.subscription_status = status
    account.current_period_end = _timestamp(
        item.get("current_period_end") or subscription.get("current_period_end")
    )
    account.trial_end = _timestamp(subscription.get("trial_end"))
    if account.trial_end or status == SubscriptionStatus.TRIALING:
        account.trial_used = True
    account.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    schedule = subscription.get("schedule")
    account.stripe_schedule_id = (
        schedule.get("id") if isinstance(schedule, dict) else schedule
    ) or ""
    if not account.stripe_schedule_id or account.pending_plan == plan.code:
        account.pending_plan = ""
    if status == SubscriptionStatus.PAST_DUE:
        account.past_due_since = account.past_due_since or timezone.now()
    else:
        account.past_due_since = None
    account.save()

    if status == SubscriptionStatus.PAST_DUE and not was_past_due:
        emails.billing_email_queue(
            tenant=account.tenant,
            kind="payment_failed",
            context={
                "plan": plan.name,
                "grace_days": settings.BILLING_GRACE_DAYS,
                "grace_ends": (
                    cast(datetime.datetime, account.past_due_since)
                    + datetime.timedelta(days=settings.BILLING_GRACE_DAYS)
                )
                .date()
                .isoformat(),
            },
        )
    plan_change_announce(account=account, before=before)
    return account


@transaction.atomic
def billing_checkout_complete(*, session: dict[str, Any]) -> BillingAccount:
    """checkout.session.completed: link the customer and apply the subscription Stripe holds."""
    tenant_public_id = session.get("client_reference_id") or ""
    account = _account_for(
        customer_id=session.get("customer") or "", tenant_public_id=tenant_public_id
    )
    if not session.get("subscription"):
        return account
    subscription_id = session["subscription"]
    if isinstance(subscription_id, dict):
        subscription_id = subscription_id["id"]
    first_time = account.stripe_subscription_id != subscription_id
    account = billing_subscription_apply(
        subscription=stripe_subscription_fetch(subscription_id=subscription_id)
    )
    if first_time and account.stripe_subscription_id == subscription_id:
        emails.billing_email_queue(
            tenant=account.tenant,
            kind="subscription_confirmed",
            context={
                "plan": PLANS[account.plan].name,
                "trial_end": account.trial_end.date().isoformat() if account.trial_end else "",
            },
        )
    return account


FINAL_INVOICE_STATUSES = {"paid", "void", "uncollectible"}


@transaction.atomic
def billing_invoice_record(*, invoice: dict[str, Any]) -> BillingInvoice:
    """Keep a copy of an invoice for the billing page. A final status (paid, void) is never
    replaced by an earlier one that arrives late."""
    account = _account_for(customer_id=invoice["customer"])
    record = (
        BillingInvoice.objects.select_for_update().filter(stripe_invoice_id=invoice["id"]).first()
    )
    status = invoice.get("status") or "open"
    if record is None:
        record = BillingInvoice(tenant=account.tenant, stripe_invoice_id=invoice["id"])
    elif record.status in FINAL_INVOICE_STATUSES and status not in FINAL_INVOICE_STATUSES:
        status = record.status
    record.status = status
    record.number = invoice.get("number") or ""
    record.currency = invoice.get("currency") or "usd"
    record.amount_due = invoice.get("amount_due") or 0
    record.amount_paid = max(record.amount_paid or 0, invoice.get("amount_paid") or 0)
    record.hosted_invoice_url = invoice.get("hosted_invoice_url") or ""
    record.invoice_pdf = invoice.get("invoice_pdf") or ""
    record.created = cast(datetime.datetime, _timestamp(invoice["created"]))
    record.save()
    return record


def invoice_subscription_id(invoice: dict[str, Any]) -> str:
    """The subscription an invoice bills (top level in old API versions, under `parent` now)."""
    subscription = invoice.get("subscription")
    if not subscription:
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        subscription = details.get("subscription")
    if isinstance(subscription, dict):
        subscription = subscription.get("id")
    return subscription or ""


def billing_payment_action_required(*, invoice: dict[str, Any]) -> None:
    account = _account_for(customer_id=invoice["customer"])
    emails.billing_email_queue(
        tenant=account.tenant,
        kind="payment_action_required",
        context={
            "invoice_url": invoice.get("hosted_invoice_url") or "",
            "amount": f"{(invoice.get('amount_due') or 0) / 100:.2f}",
            "currency": (invoice.get("currency") or "usd").upper(),
        },
    )


def billing_trial_will_end(*, subscription: dict[str, Any]) -> None:
    account = _account_for(
        customer_id=subscription["customer"],
        tenant_public_id=(subscription.get("metadata") or {}).get("strato_tenant", ""),
    )
    trial_end = _timestamp(subscription.get("trial_end"))
    emails.billing_email_queue(
        tenant=account.tenant,
        kind="trial_ending",
        context={
            "plan": plan_for_price(price=subscription["items"]["data"][0]["price"]).name,
            "trial_end": trial_end.date().isoformat() if trial_end else "",
        },
    )
