"""Stripe's side of the plan catalogue: one product and one monthly price per paid plan, found
by lookup key, and the catalogue plan a Stripe price bills for."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django_tenants.utils import get_public_schema_name, schema_context
from djstripe.models import Price, Product
from stripe import StripeClient

from apps.core.errors import DomainError, ValidationFailed

from ..plans import PLANS, Plan
from ..stripe_client import as_dict, stripe_call, stripe_errors

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


class UnknownStripeObject(Exception):
    """A webhook names a customer or price Strato does not know: the event fails and waits in
    the inbox for a replay (after staff link the customer or sync the plans)."""


PRICE_LOOKUP_PATTERN = re.compile(r"^strato_(?P<plan>[a-z]+)_monthly$")
PRICE_CACHE_SECONDS = 3600


def price_lookup_key(*, plan: Plan) -> str:
    return f"strato_{plan.code}_monthly"


def plan_for_price(*, price: dict[str, Any]) -> Plan:
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
            return str(cached)
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


def stripe_plans_sync(*, stdout: SupportsWrite[str] | None = None) -> list[dict[str, str]]:
    """Create or update one product and one monthly price per paid plan of the catalogue.

    Idempotent: products have fixed ids (`strato_<plan>`); a price is created only when none
    carries the plan's lookup key at the catalogue amount (the new one takes the lookup key
    over, so existing subscriptions keep their old price until changed).
    """
    synced = []
    for plan in PLANS.values():
        if plan.monthly_price_usd == 0:
            continue
        product_id = f"strato_{plan.code}"
        product_name = f"Strato {plan.name}"

        def upsert_product(
            client: StripeClient,
            product_id: str = product_id,
            name: str = product_name,
            plan_code: str = plan.code,
        ) -> Any:
            metadata = {"strato_plan": plan_code}
            try:
                return client.v1.products.update(product_id, {"name": name, "metadata": metadata})
            except Exception as exc:
                if getattr(exc, "http_status", None) != 404:
                    raise
                return client.v1.products.create(
                    {"id": product_id, "name": name, "metadata": metadata}
                )

        product = stripe_call("sync a product", upsert_product)
        key = price_lookup_key(plan=plan)
        amount = plan.monthly_price_usd * 100

        def list_prices(client: StripeClient, key: str = key) -> Any:
            return client.v1.prices.list({"lookup_keys": [key], "active": True, "limit": 1})

        def create_price(
            client: StripeClient,
            key: str = key,
            amount: int = amount,
            plan: Plan = plan,
            product_id: str = product_id,
        ) -> Any:
            return client.v1.prices.create(
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

        existing = stripe_call("list prices", list_prices)
        price = existing.data[0] if existing.data else None
        if price is None or price.unit_amount != amount or price.product != product_id:
            price = stripe_call("create a price", create_price)
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
