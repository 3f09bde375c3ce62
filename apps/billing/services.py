"""Billing rules: plans per tenant, Stripe checkout and plan changes, subscription state from
Stripe's objects, dunning, and the one entitlement service every app calls."""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from apps.core.errors import Conflict, DomainError, ValidationFailed
from apps.tenants.models import Tenant

from . import emails
from .entitlements import MONTHLY_RESOURCES, STOCK_RESOURCES, limit_of
from .models import BillingAccount, BillingInvoice, SubscriptionStatus, UsageCounter
from .plans import FREE, PLANS, Plan
from .selectors import (
    billing_account_for_customer,
    current_period_start,
    effective_plan,
    has_paid_subscription,
    plan_for_tenant,
    usage_in_period,
)
from .stripe_client import as_dict, stripe_call, stripe_errors

logger = logging.getLogger(__name__)

# Sent inside the tenant's schema whenever the plan whose limits apply changes, so apps can
# act on their own data (e.g. resume messages queued at the allowance). kwargs: tenant,
# old_plan, new_plan (plan codes).
plan_changed = Signal()


class PlanLimitExceeded(DomainError):
    status = 402
    code = "plan_limit_exceeded"
    title = "Plan limit reached"


class UnknownStripeObject(Exception):
    """A webhook names a customer or price Strato does not know: the event fails and waits in
    the inbox for a replay (after staff link the customer or sync the plans)."""


# --- Plans set by staff or tests ----------------------------------------------------------------


@transaction.atomic
def billing_account_open(*, tenant: Tenant) -> BillingAccount:
    account, _ = BillingAccount.objects.get_or_create(tenant=tenant)
    return account


def billing_welcome_send(*, tenant: Tenant, email: str) -> None:
    """The welcome email for a new organisation's owner (after signup commits)."""
    emails.billing_email_queue(
        tenant=tenant,
        kind="welcome",
        to=[email],
        context={"trial_days": settings.BILLING_TRIAL_DAYS},
    )


def _locked_account(tenant: Tenant) -> BillingAccount:
    account, _ = BillingAccount.objects.select_for_update().get_or_create(tenant=tenant)
    return account


def _plan(plan_code: str) -> Plan:
    try:
        return PLANS[plan_code]
    except KeyError:
        raise ValidationFailed.for_field(
            "plan", f"Choose one of: {', '.join(PLANS)}.", code="unknown_plan"
        ) from None


@transaction.atomic
def billing_plan_set(*, tenant: Tenant, plan_code: str) -> BillingAccount:
    """Set the plan on record without Stripe (no-Stripe installs, fixtures)."""
    _plan(plan_code)
    account = _locked_account(tenant)
    before = effective_plan(account=account)
    account.plan = plan_code
    account.save(update_fields=["plan", "updated_at"])
    _announce_plan_change(account=account, before=before)
    return account


@transaction.atomic
def billing_plan_comp(*, tenant: Tenant, plan_code: str) -> BillingAccount:
    """Staff grant a plan without payment; Stripe events no longer change the plan."""
    _plan(plan_code)
    account = _locked_account(tenant)
    before = effective_plan(account=account)
    account.plan = plan_code
    account.comped = True
    account.save(update_fields=["plan", "comped", "updated_at"])
    _announce_plan_change(account=account, before=before)
    return account


@transaction.atomic
def billing_comp_end(*, tenant: Tenant) -> BillingAccount:
    """End a comp: the tenant keeps a paid subscription's plan, or returns to Free."""
    account = _locked_account(tenant)
    before = effective_plan(account=account)
    account.comped = False
    if not has_paid_subscription(account=account):
        account.plan = FREE.code
    account.save(update_fields=["plan", "comped", "updated_at"])
    _announce_plan_change(account=account, before=before)
    return account


def _announce_plan_change(*, account: BillingAccount, before: Plan) -> None:
    after = effective_plan(account=account)
    if after == before:
        return
    tenant = account.tenant
    logger.info(
        "plan changed", extra={"tenant": tenant.schema_name, "from": before.code, "to": after.code}
    )

    def send_signal() -> None:
        with tenant_context(tenant):
            plan_changed.send(
                sender=BillingAccount, tenant=tenant, old_plan=before.code, new_plan=after.code
            )

    transaction.on_commit(send_signal, robust=True)
    emails.billing_email_queue(
        tenant=tenant,
        kind="plan_changed",
        context={"old_plan": before.name, "new_plan": after.name},
    )


# --- Stripe prices ------------------------------------------------------------------------------

PRICE_LOOKUP_PATTERN = re.compile(r"^strato_(?P<plan>[a-z]+)_monthly$")
PRICE_CACHE_SECONDS = 3600


def price_lookup_key(*, plan: Plan) -> str:
    return f"strato_{plan.code}_monthly"


def plan_for_price(*, price: dict) -> Plan:
    """The catalogue plan a Stripe price bills for (by lookup key, else metadata)."""
    match = PRICE_LOOKUP_PATTERN.match(price.get("lookup_key") or "")
    code = match["plan"] if match else (price.get("metadata") or {}).get("strato_plan")
    if code not in PLANS:
        raise UnknownStripeObject(
            f"Price {price.get('id')!r} is not one of Strato's plans; "
            "run sync_plans_to_stripe and replay the event."
        )
    return PLANS[code]


def price_id_for(*, plan: Plan) -> str:
    if plan.monthly_price_usd == 0:
        raise ValidationFailed.for_field(
            "plan", "The Free plan has no price.", code="plan_not_purchasable"
        )
    key = price_lookup_key(plan=plan)
    with schema_context(get_public_schema_name()):
        cached = cache.get(f"stripe-price:{key}")
        if cached:
            return cached
        prices = stripe_call(
            "look up the plan's price",
            lambda client: client.v1.prices.list(
                {"lookup_keys": [key], "active": True, "limit": 1}
            ),
        )
        if not prices.data:
            raise DomainError(
                f"The {plan.name} plan is not set up in Stripe yet: run "
                "`manage.py sync_plans_to_stripe`.",
                code="plan_not_synced",
            )
        price_id = prices.data[0].id
        cache.set(f"stripe-price:{key}", price_id, PRICE_CACHE_SECONDS)
        return price_id


def stripe_plans_sync(*, stdout=None) -> list[dict[str, str]]:
    """Create or update one product and one monthly price per paid plan of the catalogue.

    Idempotent: products have fixed ids (`strato_<plan>`); a price is created only when none
    carries the plan's lookup key at the catalogue amount (the new one takes the lookup key
    over, so existing subscriptions keep their old price until changed).
    """
    from djstripe.models import Price, Product

    synced = []
    for plan in PLANS.values():
        if plan.monthly_price_usd == 0:
            continue
        product_id = f"strato_{plan.code}"
        product_params = {"name": f"Strato {plan.name}", "metadata": {"strato_plan": plan.code}}

        def upsert_product(client, product_id=product_id, params=product_params):
            try:
                return client.v1.products.update(product_id, params)
            except Exception as exc:
                if getattr(exc, "http_status", None) != 404:
                    raise
                return client.v1.products.create({"id": product_id, **params})

        product = stripe_call("sync a product", upsert_product)
        key = price_lookup_key(plan=plan)
        amount = plan.monthly_price_usd * 100
        existing = stripe_call(
            "list prices",
            lambda client, key=key: client.v1.prices.list(
                {"lookup_keys": [key], "active": True, "limit": 1}
            ),
        )
        price = existing.data[0] if existing.data else None
        if price is None or price.unit_amount != amount or price.product != product_id:
            price = stripe_call(
                "create a price",
                lambda client, key=key, amount=amount, plan=plan, product_id=product_id: (
                    client.v1.prices.create(
                        {
                            "product": product_id,
                            "currency": "usd",
                            "unit_amount": amount,
                            "recurring": {"interval": "month"},
                            "lookup_key": key,
                            "transfer_lookup_key": True,
                            "nickname": f"Strato {plan.name} monthly",
                            "metadata": {"strato_plan": plan.code},
                        },
                        {"idempotency_key": f"strato-price-{key}-{amount}"},
                    )
                ),
            )
        # Mirror into dj-stripe's tables so staff see products and prices in the admin.
        with stripe_errors("mirror the product"):
            Product.sync_from_stripe_data(as_dict(product), api_key=settings.STRIPE_SECRET_KEY)
            Price.sync_from_stripe_data(as_dict(price), api_key=settings.STRIPE_SECRET_KEY)
        with schema_context(get_public_schema_name()):
            cache.set(f"stripe-price:{key}", price.id, PRICE_CACHE_SECONDS)
        synced.append({"plan": plan.code, "product": product_id, "price": price.id})
        if stdout is not None:
            stdout.write(
                f"{plan.name}: product {product_id}, price {price.id} "
                f"(${plan.monthly_price_usd}/month)\n"
            )
    return synced


# --- Checkout, portal and plan changes ----------------------------------------------------------


def _idempotency_key(*parts: Any) -> str:
    """Deterministic: the same request made twice (double click, retry) is one Stripe request."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:40]
    return f"strato-{parts[0]}-{digest}"


def billing_customer_ensure(*, tenant: Tenant) -> str:
    """The tenant's Stripe customer (one per tenant, created once through dj-stripe)."""
    from djstripe.models import Customer

    account = billing_account_open(tenant=tenant)
    if account.stripe_customer_id:
        return account.stripe_customer_id
    from .stripe_client import stripe_client

    stripe_client()  # raises StripeNotConfigured before dj-stripe is asked
    with stripe_errors("create the customer"):
        customer, _ = Customer.get_or_create(
            subscriber=tenant, metadata={"strato_tenant": str(tenant.public_id)}
        )
    BillingAccount.objects.filter(pk=account.pk).update(stripe_customer_id=customer.id)
    return customer.id


def billing_checkout_start(
    *, tenant: Tenant, plan_code: str, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout Session (subscription mode) for moving from Free to a paid plan.

    Returns the URL to send the person to. The first paid plan comes with the trial.
    """
    plan = _plan(plan_code)
    account = billing_account_open(tenant=tenant)
    if has_paid_subscription(account=account):
        raise Conflict(
            "This organisation already has a subscription: change its plan instead.",
            code="subscription_exists",
        )
    price_id = price_id_for(plan=plan)
    customer_id = billing_customer_ensure(tenant=tenant)
    trial_days = 0 if account.trial_used else settings.BILLING_TRIAL_DAYS
    subscription_data: dict[str, Any] = {
        "metadata": {"strato_tenant": str(tenant.public_id), "strato_plan": plan.code}
    }
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    params = {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": str(tenant.public_id),
        "line_items": [{"price": price_id, "quantity": 1}],
        "subscription_data": subscription_data,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": {"strato_tenant": str(tenant.public_id), "strato_plan": plan.code},
    }
    # Checkout Sessions and idempotency keys both live 24 hours: the day is part of the key.
    key = _idempotency_key(
        "checkout",
        tenant.public_id,
        price_id,
        trial_days,
        success_url,
        timezone.now().date().isoformat(),
    )
    session = stripe_call(
        "start the checkout",
        lambda client: client.v1.checkout.sessions.create(params, {"idempotency_key": key}),
    )
    return session.url


def billing_portal_open(*, tenant: Tenant, return_url: str) -> str:
    """A Customer Portal session: payment methods, invoices and cancellation."""
    account = billing_account_open(tenant=tenant)
    if not account.stripe_customer_id:
        raise Conflict(
            "Subscribe to a plan first: the portal manages an existing subscription.",
            code="no_customer",
        )
    session = stripe_call(
        "open the billing portal",
        lambda client: client.v1.billing_portal.sessions.create(
            {"customer": account.stripe_customer_id, "return_url": return_url}
        ),
    )
    return session.url


def _require_subscription(account: BillingAccount) -> None:
    if not has_paid_subscription(account=account):
        raise Conflict(
            "There is no paid subscription to change: choose a plan to subscribe.",
            code="no_subscription",
        )


def plan_change_direction(*, current: Plan, target: Plan) -> str:
    if target == current:
        raise Conflict(f"You are already on the {current.name} plan.", code="same_plan")
    return "upgrade" if target.monthly_price_usd > current.monthly_price_usd else "downgrade"


def billing_plan_change_preview(*, tenant: Tenant, plan_code: str) -> dict[str, Any]:
    """What a plan change costs now. An upgrade is invoiced at once with proration, so this
    asks Stripe for the prorated invoice; a downgrade starts at the period end and costs 0."""
    target = _plan(plan_code)
    account = billing_account_open(tenant=tenant)
    _require_subscription(account)
    current = PLANS[account.plan]
    direction = plan_change_direction(current=current, target=target)
    preview = {
        "plan": target.code,
        "direction": direction,
        "currency": "usd",
        "amount_due": 0,
        "proration_date": None,
        "effective": "now" if direction == "upgrade" else "period_end",
        "period_end": account.current_period_end,
    }
    if direction == "downgrade" or target == FREE:
        preview["effective"] = "period_end"
        return preview
    proration_date = int(timezone.now().timestamp())
    invoice = stripe_call(
        "preview the prorated invoice",
        lambda client: client.v1.invoices.create_preview(
            {
                "customer": account.stripe_customer_id,
                "subscription": account.stripe_subscription_id,
                "subscription_details": {
                    "items": [
                        {
                            "id": account.stripe_subscription_item_id,
                            "price": price_id_for(plan=target),
                        }
                    ],
                    "proration_behavior": "always_invoice",
                    "proration_date": proration_date,
                },
            }
        ),
    )
    preview.update(
        amount_due=invoice.amount_due, currency=invoice.currency, proration_date=proration_date
    )
    return preview


def billing_plan_change(
    *, tenant: Tenant, plan_code: str, proration_date: int | None = None
) -> BillingAccount:
    """Upgrade now (prorated, invoiced at once), downgrade at the period end; Free = cancel."""
    target = _plan(plan_code)
    account = billing_account_open(tenant=tenant)
    _require_subscription(account)
    current = PLANS[account.plan]
    direction = plan_change_direction(current=current, target=target)
    if target == FREE:
        return billing_subscription_cancel(tenant=tenant)
    price_id = price_id_for(plan=target)
    if direction == "upgrade":
        proration_date = proration_date or int(timezone.now().timestamp())
        if account.stripe_schedule_id:
            _schedule_release(account)
        key = _idempotency_key("upgrade", account.stripe_subscription_id, price_id, proration_date)
        subscription = stripe_call(
            "upgrade the plan",
            lambda client: client.v1.subscriptions.update(
                account.stripe_subscription_id,
                {
                    "items": [{"id": account.stripe_subscription_item_id, "price": price_id}],
                    "proration_behavior": "always_invoice",
                    "proration_date": proration_date,
                    "cancel_at_period_end": False,
                },
                {"idempotency_key": key},
            ),
        )
        return billing_subscription_apply(subscription=as_dict(subscription))
    return _downgrade_at_period_end(account=account, target=target, price_id=price_id)


def _downgrade_at_period_end(
    *, account: BillingAccount, target: Plan, price_id: str
) -> BillingAccount:
    def schedule_downgrade(client):
        schedule_id = account.stripe_schedule_id
        if schedule_id:
            schedule = client.v1.subscription_schedules.retrieve(schedule_id)
        else:
            schedule = client.v1.subscription_schedules.create(
                {"from_subscription": account.stripe_subscription_id},
                {
                    "idempotency_key": _idempotency_key(
                        "schedule", account.stripe_subscription_id, account.current_period_end
                    )
                },
            )
        phase = schedule.phases[0]
        current_items = [
            {
                "price": item.price if isinstance(item.price, str) else item.price.id,
                "quantity": item.quantity or 1,
            }
            for item in phase["items"]
        ]
        return client.v1.subscription_schedules.update(
            schedule.id,
            {
                "end_behavior": "release",
                "phases": [
                    {
                        "items": current_items,
                        "start_date": phase.start_date,
                        "end_date": phase.end_date,
                    },
                    {"items": [{"price": price_id, "quantity": 1}], "iterations": 1},
                ],
            },
        )

    schedule = stripe_call("schedule the downgrade", schedule_downgrade)
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update().get(pk=account.pk)
        account.stripe_schedule_id = schedule.id
        account.pending_plan = target.code
        account.cancel_at_period_end = False
        account.save(
            update_fields=[
                "stripe_schedule_id",
                "pending_plan",
                "cancel_at_period_end",
                "updated_at",
            ]
        )
    return account


def _schedule_release(account: BillingAccount) -> None:
    stripe_call(
        "release the scheduled change",
        lambda client: client.v1.subscription_schedules.release(account.stripe_schedule_id),
    )
    BillingAccount.objects.filter(pk=account.pk).update(stripe_schedule_id="", pending_plan="")
    account.stripe_schedule_id = ""
    account.pending_plan = ""


def billing_subscription_cancel(*, tenant: Tenant) -> BillingAccount:
    """Cancel at the period end: the plan stays until then, and can be resumed before."""
    account = billing_account_open(tenant=tenant)
    _require_subscription(account)
    if account.stripe_schedule_id:
        _schedule_release(account)
    subscription = stripe_call(
        "cancel the subscription",
        lambda client: client.v1.subscriptions.update(
            account.stripe_subscription_id, {"cancel_at_period_end": True}
        ),
    )
    return billing_subscription_apply(subscription=as_dict(subscription))


def billing_subscription_resume(*, tenant: Tenant) -> BillingAccount:
    account = billing_account_open(tenant=tenant)
    _require_subscription(account)
    if not account.cancel_at_period_end:
        raise Conflict("The subscription is not set to cancel.", code="not_canceling")
    subscription = stripe_call(
        "resume the subscription",
        lambda client: client.v1.subscriptions.update(
            account.stripe_subscription_id, {"cancel_at_period_end": False}
        ),
    )
    return billing_subscription_apply(subscription=as_dict(subscription))


def stripe_subscription_fetch(*, subscription_id: str) -> dict:
    """The subscription as Stripe holds it now (webhooks apply this, never the event's copy)."""
    return as_dict(
        stripe_call(
            "read the subscription",
            lambda client: client.v1.subscriptions.retrieve(subscription_id),
        )
    )


# --- Applying Stripe's state ---------------------------------------------------------------------


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
def billing_subscription_apply(*, subscription: dict) -> BillingAccount:
    """Make the tenant's billing state match a subscription object as Stripe holds it now.

    Idempotent and order-independent: it copies the current object, and an older subscription
    of the same customer (compared by `created`) never overrides a newer one.
    """
    metadata = subscription.get("metadata") or {}
    account = _account_for(
        customer_id=subscription["customer"], tenant_public_id=metadata.get("strato_tenant", "")
    )
    account = BillingAccount.objects.select_for_update().select_related("tenant").get(pk=account.pk)
    created = _timestamp(subscription["created"])
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
                    account.past_due_since + datetime.timedelta(days=settings.BILLING_GRACE_DAYS)
                )
                .date()
                .isoformat(),
            },
        )
    _announce_plan_change(account=account, before=before)
    return account


@transaction.atomic
def billing_checkout_complete(*, session: dict) -> BillingAccount:
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
def billing_invoice_record(*, invoice: dict) -> BillingInvoice:
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
    record.created = _timestamp(invoice["created"])
    record.save()
    return record


def invoice_subscription_id(invoice: dict) -> str:
    """The subscription an invoice bills (top level in old API versions, under `parent` now)."""
    subscription = invoice.get("subscription")
    if not subscription:
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        subscription = details.get("subscription")
    if isinstance(subscription, dict):
        subscription = subscription.get("id")
    return subscription or ""


def billing_payment_action_required(*, invoice: dict) -> None:
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


def billing_trial_will_end(*, subscription: dict) -> None:
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


# --- Entitlements --------------------------------------------------------------------------------


def _limit_error(*, tenant: Tenant, resource: str, limit: int, used: int) -> PlanLimitExceeded:
    from apps.tenants.selectors import tenant_url

    plan = plan_for_tenant(tenant=tenant)
    noun = resource.replace("_", " ")
    if limit == 1:
        noun = {"analyses": "analysis", "repositories": "repository"}.get(noun, noun[:-1])
    return PlanLimitExceeded(
        f"Your {plan.name} plan allows {limit} {noun}"
        f"{' per month' if resource in MONTHLY_RESOURCES else ''}; you have used {used}.",
        extra={
            "resource": resource,
            "limit": limit,
            "usage": used,
            "plan": plan.code,
            "upgrade_url": tenant_url(tenant=tenant, path="/billing/"),
        },
    )


def entitlement_check(
    *, tenant: Tenant, resource: str, amount: int = 1, current: int | None = None
) -> None:
    """May this tenant use `amount` more of `resource` now? Raises PlanLimitExceeded (402).

    Stock resources need `current` (what the tenant holds now); monthly ones read the meter.
    Data above a lower plan's limit stays, read-only: adding more is what this refuses.
    """
    limit = limit_of(plan_for_tenant(tenant=tenant), resource)
    if limit is None:
        return
    if resource in STOCK_RESOURCES:
        if current is None:
            raise ValueError(f"{resource!r} is counted by the caller: pass current=")
        used = current
    else:
        used = usage_in_period(tenant=tenant, resource=resource)
    if used + amount > limit:
        raise _limit_error(tenant=tenant, resource=resource, limit=limit, used=used)


def entitlement_ensure_writable(*, tenant: Tenant, resource: str, current: int) -> None:
    """Data kept above a lower plan's limit is read-only: refuse changes while over it (402).

    At or below the limit, existing rows stay editable; deleting is always allowed.
    """
    entitlement_check(tenant=tenant, resource=resource, amount=0, current=current)


@transaction.atomic
def entitlement_consume(*, tenant: Tenant, resource: str, amount: int = 1) -> int:
    """Check and record `amount` of a monthly resource in one step; returns the new usage.

    The counter row is locked, so concurrent workers can never overshoot the allowance.
    """
    if resource not in MONTHLY_RESOURCES:
        raise ValueError(f"{resource!r} is not metered monthly")
    period = current_period_start(tenant=tenant)
    counter, _ = UsageCounter.objects.select_for_update().get_or_create(
        tenant=tenant, resource=resource, period_start=period
    )
    limit = limit_of(plan_for_tenant(tenant=tenant), resource)
    if limit is not None and counter.used + amount > limit:
        raise _limit_error(tenant=tenant, resource=resource, limit=limit, used=counter.used)
    UsageCounter.objects.filter(pk=counter.pk).update(
        used=F("used") + amount, updated_at=timezone.now()
    )
    return counter.used + amount
