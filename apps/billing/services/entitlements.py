"""Entitlements and usage: may a tenant use more of a resource now, and the monthly meter.
Every app that spends a plan limit calls these."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.errors import DomainError
from apps.tenants.models import Tenant
from apps.tenants.selectors import tenant_url

from ..entitlements import MONTHLY_RESOURCES, STOCK_RESOURCES, limit_of
from ..models import UsageCounter
from ..selectors import (
    current_period_start,
    plan_for_tenant,
    usage_in_period,
)


class PlanLimitExceeded(DomainError):
    status = 402
    code = "plan_limit_exceeded"
    title = "Plan limit reached"


def _limit_error(*, tenant: Tenant, resource: str, limit: int, used: int) -> PlanLimitExceeded:
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
