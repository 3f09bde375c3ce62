"""The billing account and the plan on record: opened at signup, set or comped by staff (and
tests, and installs without Stripe), and the announcement every change of the plan whose limits
apply makes (the `plan_changed` signal and the plan-changed email)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django_tenants.utils import tenant_context

from apps.core.errors import ValidationFailed
from apps.tenants.models import Tenant

from .. import emails
from ..models import BillingAccount
from ..plans import FREE, PLANS, Plan
from ..selectors import (
    effective_plan,
    has_paid_subscription,
)

logger = logging.getLogger(__name__)

# Sent inside the tenant's schema whenever the plan whose limits apply changes, so apps can
# act on their own data (e.g. resume messages queued at the allowance). kwargs: tenant,
# old_plan, new_plan (plan codes).
plan_changed = Signal()


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


def plan_by_code(plan_code: str) -> Plan:
    try:
        return PLANS[plan_code]
    except KeyError:
        raise ValidationFailed.for_field(
            "plan", f"Choose one of: {', '.join(PLANS)}.", code="unknown_plan"
        ) from None


@transaction.atomic
def billing_plan_set(*, tenant: Tenant, plan_code: str) -> BillingAccount:
    """Set the plan on record without Stripe (no-Stripe installs, fixtures)."""
    plan_by_code(plan_code)
    account = _locked_account(tenant)
    before = effective_plan(account=account)
    account.plan = plan_code
    account.save(update_fields=["plan", "updated_at"])
    plan_change_announce(account=account, before=before)
    return account


@transaction.atomic
def billing_plan_comp(*, tenant: Tenant, plan_code: str) -> BillingAccount:
    """Staff grant a plan without payment; Stripe events no longer change the plan."""
    plan_by_code(plan_code)
    account = _locked_account(tenant)
    before = effective_plan(account=account)
    account.plan = plan_code
    account.comped = True
    account.save(update_fields=["plan", "comped", "updated_at"])
    plan_change_announce(account=account, before=before)
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
    plan_change_announce(account=account, before=before)
    return account


def plan_change_announce(*, account: BillingAccount, before: Plan) -> None:
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
