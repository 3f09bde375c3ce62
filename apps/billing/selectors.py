"""Reads: the plan a tenant may use now, its usage against each limit, invoices, revenue."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from apps.tenants.models import Tenant

from .entitlements import MONTHLY_RESOURCES, STOCK_RESOURCES, limit_of
from .models import BillingAccount, BillingInvoice, SubscriptionStatus, UsageCounter
from .plans import FREE, PLANS, Plan

# Statuses under which the subscribed plan applies in full.
PAYING_STATUSES = {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING}
# Statuses that end a subscription's rights at once (data is kept, limits drop to Free).
LAPSED_STATUSES = {
    SubscriptionStatus.UNPAID,
    SubscriptionStatus.CANCELED,
    SubscriptionStatus.INCOMPLETE,
    SubscriptionStatus.INCOMPLETE_EXPIRED,
    SubscriptionStatus.PAUSED,
}


def billing_account_get(*, tenant: Tenant) -> BillingAccount | None:
    # Always read: a Tenant object may come from the host cache with a stale relation.
    return BillingAccount.objects.filter(tenant_id=tenant.pk).first()


def grace_ends_at(*, account: BillingAccount) -> datetime.datetime | None:
    if account.subscription_status != SubscriptionStatus.PAST_DUE or not account.past_due_since:
        return None
    return account.past_due_since + datetime.timedelta(days=settings.BILLING_GRACE_DAYS)


def effective_plan(*, account: BillingAccount | None, now: datetime.datetime | None = None) -> Plan:
    """The plan whose limits apply now.

    Comped and never-subscribed accounts get their plan as set by staff. A paying subscription
    gets its plan; `past_due` keeps it for the grace period; after that, and on any lapsed
    status, the tenant falls back to Free limits (nothing is deleted).
    """
    if account is None:
        return FREE
    plan = PLANS.get(account.plan, FREE)
    status = account.subscription_status
    if account.comped or status == SubscriptionStatus.NONE or status in PAYING_STATUSES:
        return plan
    if status == SubscriptionStatus.PAST_DUE:
        ends = grace_ends_at(account=account)
        if ends is not None and (now or timezone.now()) < ends:
            return plan
    return FREE


def plan_for_tenant(*, tenant: Tenant) -> Plan:
    return effective_plan(account=billing_account_get(tenant=tenant))


@dataclass(frozen=True)
class BillingStatus:
    """What the billing page and the banner say about a tenant's standing."""

    state: str  # free, comped, trialing, active, grace, lapsed, canceling
    plan: Plan  # the plan whose limits apply now
    subscribed_plan: Plan
    trial_end: datetime.datetime | None = None
    grace_ends_at: datetime.datetime | None = None
    period_end: datetime.datetime | None = None
    pending_plan: Plan | None = None


def billing_status(*, tenant: Tenant) -> BillingStatus:
    account = billing_account_get(tenant=tenant)
    plan = effective_plan(account=account)
    if account is None:
        return BillingStatus(state="free", plan=plan, subscribed_plan=FREE)
    subscribed = PLANS.get(account.plan, FREE)
    common = BillingStatus(
        state="active",
        plan=plan,
        subscribed_plan=subscribed,
        period_end=account.current_period_end,
        pending_plan=PLANS.get(account.pending_plan) if account.pending_plan else None,
    )
    status = account.subscription_status
    if account.comped:
        return replace(common, state="comped")
    if status == SubscriptionStatus.NONE:
        return replace(common, state="free" if subscribed == FREE else "comped")
    if status == SubscriptionStatus.PAST_DUE:
        ends = grace_ends_at(account=account)
        state = "grace" if plan == subscribed else "lapsed"
        return replace(common, state=state, grace_ends_at=ends)
    if status in LAPSED_STATUSES:
        return replace(common, state="lapsed")
    if account.cancel_at_period_end:
        return replace(common, state="canceling", trial_end=account.trial_end)
    if status == SubscriptionStatus.TRIALING:
        return replace(common, state="trialing", trial_end=account.trial_end)
    return common


def has_paid_subscription(*, account: BillingAccount | None) -> bool:
    """A live Stripe subscription that plan changes modify (instead of a new checkout)."""
    return bool(
        account
        and account.stripe_subscription_id
        and account.subscription_status
        not in (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)
    )


# --- Usage ---------------------------------------------------------------------------------------


def current_period_start(*, tenant: Tenant) -> datetime.date:
    """Monthly allowances reset on the first of each calendar month (UTC)."""
    return timezone.now().date().replace(day=1)


def usage_in_period(*, tenant: Tenant, resource: str) -> int:
    return (
        UsageCounter.objects.filter(
            tenant=tenant, resource=resource, period_start=current_period_start(tenant=tenant)
        )
        .values_list("used", flat=True)
        .first()
        or 0
    )


StockCounter = Callable[[Tenant], int]
_STOCK_COUNTERS: dict[str, StockCounter] = {}


def register_stock_counter(resource: str, counter: StockCounter) -> None:
    """The app that owns a stock resource says how to count it for a tenant, from its
    `AppConfig.ready()` (accounts: seats, campaigns: leads, repos: repositories), so billing
    imports none of them."""
    if resource not in STOCK_RESOURCES:
        raise ValueError(f"Unknown stock resource {resource!r}")
    _STOCK_COUNTERS[resource] = counter


def stock_in_use(*, tenant: Tenant, resource: str) -> int:
    """0 while no installed app counts `resource`."""
    counter = _STOCK_COUNTERS.get(resource)
    return counter(tenant) if counter is not None else 0


@dataclass(frozen=True)
class UsageLine:
    resource: str
    label: str
    used: int
    limit: int | None
    monthly: bool

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(100, round(100 * self.used / self.limit))

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.used > self.limit

    @property
    def at_limit(self) -> bool:
        return self.limit is not None and self.used >= self.limit


USAGE_LABELS = {
    "seats": "Seats",
    "repositories": "Repositories",
    "leads": "Leads",
    "analyses": "Analyses this month",
    "emails": "Emails this month",
}


def usage_summary(*, tenant: Tenant) -> list[UsageLine]:
    plan = plan_for_tenant(tenant=tenant)
    lines = []
    for resource in ("seats", "repositories", "leads", "analyses", "emails"):
        monthly = resource in MONTHLY_RESOURCES
        used = (
            usage_in_period(tenant=tenant, resource=resource)
            if monthly
            else stock_in_use(tenant=tenant, resource=resource)
        )
        lines.append(
            UsageLine(
                resource=resource,
                label=USAGE_LABELS[resource],
                used=used,
                limit=limit_of(plan, resource),
                monthly=monthly,
            )
        )
    return lines


# --- Invoices and revenue ------------------------------------------------------------------------


def invoices_of(*, tenant: Tenant, limit: int = 12) -> QuerySet[BillingInvoice]:
    return BillingInvoice.objects.filter(tenant=tenant)[:limit]


def monthly_recurring_revenue_usd() -> int:
    """Sum of plan prices of subscriptions that pay now (active, or past due within grace).

    Trials and comped tenants pay nothing, so they add nothing.
    """
    total = 0
    rows = (
        BillingAccount.objects.filter(comped=False)
        .filter(subscription_status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE])
        .values("plan", "subscription_status", "past_due_since")
    )
    now = timezone.now()
    for row in rows:
        account = BillingAccount(**row)
        plan = effective_plan(account=account, now=now)
        if plan.code == row["plan"]:
            total += plan.monthly_price_usd
    return total


def tenants_by_plan_and_status() -> list[dict[str, Any]]:
    rows = (
        BillingAccount.objects.values("plan", "subscription_status")
        .annotate(tenants=Count("id"))
        .order_by("plan", "subscription_status")
    )
    return [dict(row) for row in rows]


def billing_account_for_customer(*, customer_id: str) -> BillingAccount | None:
    if not customer_id:
        return None
    return (
        BillingAccount.objects.select_related("tenant")
        .filter(stripe_customer_id=customer_id)
        .first()
    )
