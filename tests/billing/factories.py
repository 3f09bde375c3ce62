"""Billing rows (public schema): a tenant's billing account, its metered usage, and dj-stripe's
webhook endpoint. Stripe's own objects (subscriptions, invoices, events) are JSON payloads built
in tests/billing/conftest.py, not rows."""

from __future__ import annotations

import factory
from django.conf import settings
from djstripe.models import WebhookEndpoint
from factory.django import DjangoModelFactory

from apps.billing import selectors
from apps.billing.models import BillingAccount, UsageCounter
from tests.tenants.factories import TenantFactory


class BillingAccountFactory(DjangoModelFactory):
    """The tenant's billing account with the fields given.

    A tenant has one, and the code under test may already have opened it, so an existing account
    is updated with the fields given (and only those) rather than inserted twice.
    """

    class Meta:
        model = BillingAccount

    tenant = factory.SubFactory(TenantFactory)

    @classmethod
    def _create(cls, model_class, *args, tenant, **fields):
        account, _ = model_class.objects.update_or_create(tenant=tenant, defaults=fields)
        return account


class UsageCounterFactory(DjangoModelFactory):
    """What a tenant used of a monthly resource in the current period."""

    class Meta:
        model = UsageCounter

    tenant = factory.SubFactory(TenantFactory)
    resource = "analyses"
    period_start = factory.LazyAttribute(
        lambda counter: selectors.current_period_start(tenant=counter.tenant)
    )
    used = 0


class WebhookEndpointFactory(DjangoModelFactory):
    """dj-stripe's record of our Stripe webhook endpoint, which holds its signing secret."""

    class Meta:
        model = WebhookEndpoint

    id = factory.Sequence(lambda n: f"we_strato_test{n}")
    livemode = False
    secret = factory.Sequence(lambda n: f"whsec_test{n}")
    status = "enabled"
    url = "https://localhost/stripe/webhook/"
    enabled_events = factory.LazyFunction(lambda: ["*"])
    api_version = factory.LazyFunction(lambda: settings.STRIPE_API_VERSION)
