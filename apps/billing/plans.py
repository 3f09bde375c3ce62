"""The plan catalogue: the one place that says what each plan costs and allows.

`None` means unlimited.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    monthly_price_usd: int
    seats: int | None
    repositories: int | None
    analyses_per_month: int | None
    leads: int | None
    emails_per_month: int | None
    api_requests_per_minute: int


FREE = Plan("free", "Free", 0, 1, 3, 20, 1_000, 500, 60)
STARTER = Plan("starter", "Starter", 29, 3, 25, 500, 10_000, 10_000, 300)
PRO = Plan("pro", "Pro", 99, 10, 250, 5_000, 100_000, 100_000, 1_000)
ENTERPRISE = Plan("enterprise", "Enterprise", 299, None, None, 50_000, None, 1_000_000, 3_000)

PLANS: dict[str, Plan] = {plan.code: plan for plan in (FREE, STARTER, PRO, ENTERPRISE)}
PLAN_CHOICES = [(plan.code, plan.name) for plan in PLANS.values()]
