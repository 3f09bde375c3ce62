"""What each plan limit is called and how it is counted.

Monthly resources are metered in `UsageCounter`; stock resources (seats, repositories, leads)
are what the tenant holds now, counted by the caller and passed in as `current`.
"""

from .plans import Plan

MONTHLY_RESOURCES = {
    "emails": "emails_per_month",
    "analyses": "analyses_per_month",
}
STOCK_RESOURCES = {
    "seats": "seats",
    "repositories": "repositories",
    "leads": "leads",
}


def limit_of(plan: Plan, resource: str) -> int | None:
    """The plan's limit for `resource`; None means unlimited."""
    attribute = MONTHLY_RESOURCES.get(resource) or STOCK_RESOURCES.get(resource)
    if attribute is None:
        raise ValueError(f"Unknown metered resource {resource!r}")
    return getattr(plan, attribute)
