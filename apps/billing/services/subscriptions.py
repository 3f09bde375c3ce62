"""What a tenant asks Stripe for: the customer, checkout, the customer portal, plan changes
(upgrade now with proration, downgrade at the period end), cancel and resume. Each request
ends by applying the subscription Stripe returns (`stripe_state`)."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from djstripe.models import Customer
from stripe import StripeClient
from stripe.params import SubscriptionScheduleUpdateParams
from stripe.params.checkout import SessionCreateParams, SessionCreateParamsSubscriptionData

from apps.core.errors import Conflict
from apps.tenants.models import Tenant

from ..models import BillingAccount
from ..plans import FREE, PLANS, Plan
from ..selectors import (
    has_paid_subscription,
)
from ..stripe_client import as_dict, stripe_call, stripe_client, stripe_errors
from .account import billing_account_open, plan_by_code
from .prices import price_id_for
from .stripe_state import billing_subscription_apply


def _idempotency_key(*parts: Any) -> str:
    """Deterministic: the same request made twice (double click, retry) is one Stripe request."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:40]
    return f"strato-{parts[0]}-{digest}"


def billing_customer_ensure(*, tenant: Tenant) -> str:
    """The tenant's Stripe customer (one per tenant, created once through dj-stripe)."""
    account = billing_account_open(tenant=tenant)
    if account.stripe_customer_id:
        return account.stripe_customer_id
    stripe_client()  # raises StripeNotConfigured before dj-stripe is asked
    with stripe_errors("create the customer"):
        customer, _ = Customer.get_or_create(
            subscriber=tenant, metadata={"strato_tenant": str(tenant.public_id)}
        )
    BillingAccount.objects.filter(pk=account.pk).update(stripe_customer_id=customer.id)
    return str(customer.id)


def billing_checkout_start(
    *, tenant: Tenant, plan_code: str, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout Session (subscription mode) for moving from Free to a paid plan.

    Returns the URL to send the person to. The first paid plan comes with the trial.
    """
    plan = plan_by_code(plan_code)
    account = billing_account_open(tenant=tenant)
    if has_paid_subscription(account=account):
        raise Conflict(
            "This organisation already has a subscription: change its plan instead.",
            code="subscription_exists",
        )
    price_id = price_id_for(plan=plan)
    customer_id = billing_customer_ensure(tenant=tenant)
    trial_days = 0 if account.trial_used else settings.BILLING_TRIAL_DAYS
    subscription_data: SessionCreateParamsSubscriptionData = {
        "metadata": {"strato_tenant": str(tenant.public_id), "strato_plan": plan.code}
    }
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    params: SessionCreateParams = {
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
    return cast(str, session.url)  # always set for a hosted subscription checkout


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
    target = plan_by_code(plan_code)
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
    target = plan_by_code(plan_code)
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
    def schedule_downgrade(client: StripeClient) -> Any:
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
        params: SubscriptionScheduleUpdateParams = cast(
            "SubscriptionScheduleUpdateParams",
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
        return client.v1.subscription_schedules.update(schedule.id, params)

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
