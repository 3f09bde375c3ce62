"""Billing rules, one module per concern; callers keep writing `services.X`.

- `account`: the billing account and the plan on record (staff, tests, no-Stripe installs).
- `prices`: the plan catalogue's products and prices in Stripe.
- `subscriptions`: what a tenant asks Stripe for (checkout, portal, plan changes, cancel).
- `stripe_state`: applying Stripe's subscriptions, invoices and dunning (webhooks).
- `entitlements`: plan limits and the monthly usage meter, which every app calls.
"""

from .account import (
    billing_account_open,
    billing_comp_end,
    billing_plan_comp,
    billing_plan_set,
    billing_welcome_send,
    plan_changed,
)
from .entitlements import (
    PlanLimitExceeded,
    entitlement_check,
    entitlement_consume,
    entitlement_ensure_writable,
)
from .prices import (
    PRICE_CACHE_SECONDS,
    PRICE_LOOKUP_PATTERN,
    UnknownStripeObject,
    plan_for_price,
    price_id_for,
    price_lookup_key,
    stripe_plans_sync,
)
from .stripe_state import (
    FINAL_INVOICE_STATUSES,
    billing_checkout_complete,
    billing_invoice_record,
    billing_payment_action_required,
    billing_subscription_apply,
    billing_trial_will_end,
    invoice_subscription_id,
    stripe_subscription_fetch,
)
from .subscriptions import (
    billing_checkout_start,
    billing_customer_ensure,
    billing_plan_change,
    billing_plan_change_preview,
    billing_portal_open,
    billing_subscription_cancel,
    billing_subscription_resume,
    plan_change_direction,
)

__all__ = [
    "FINAL_INVOICE_STATUSES",
    "PRICE_CACHE_SECONDS",
    "PRICE_LOOKUP_PATTERN",
    "PlanLimitExceeded",
    "UnknownStripeObject",
    "billing_account_open",
    "billing_checkout_complete",
    "billing_checkout_start",
    "billing_comp_end",
    "billing_customer_ensure",
    "billing_invoice_record",
    "billing_payment_action_required",
    "billing_plan_change",
    "billing_plan_change_preview",
    "billing_plan_comp",
    "billing_plan_set",
    "billing_portal_open",
    "billing_subscription_apply",
    "billing_subscription_cancel",
    "billing_subscription_resume",
    "billing_trial_will_end",
    "billing_welcome_send",
    "entitlement_check",
    "entitlement_consume",
    "entitlement_ensure_writable",
    "invoice_subscription_id",
    "plan_change_direction",
    "plan_changed",
    "plan_for_price",
    "price_id_for",
    "price_lookup_key",
    "stripe_plans_sync",
    "stripe_subscription_fetch",
]
