from __future__ import annotations

import datetime

from django.utils import timezone

from apps.tenants.models import Tenant

from .models import BillingAccount, UsageCounter
from .plans import FREE, PLANS, Plan


def plan_for_tenant(*, tenant: Tenant) -> Plan:
    try:
        return PLANS[tenant.billing_account.plan]
    except BillingAccount.DoesNotExist:
        return FREE


def current_period_start(*, tenant: Tenant) -> datetime.date:
    """Usage periods are calendar months (UTC) until Stripe billing periods take over."""
    return timezone.now().date().replace(day=1)


def usage_in_period(*, tenant: Tenant, resource: str) -> int:
    return (UsageCounter.objects.filter(tenant=tenant, resource=resource,
                                        period_start=current_period_start(tenant=tenant))
            .values_list("used", flat=True).first() or 0)
