"""Tenants and their domains (public schema).

`TenantFactory` makes the row only, without a schema (schemas are created by
`apps.tenants.services`, never on save): enough for code that reads public tables (routing,
billing, memberships). A tenant whose schema holds data is the `tenant` / `other_tenant` fixture,
or one provisioned through `tenant_services.tenant_provision`.
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from apps.tenants.models import Domain, Tenant


class TenantFactory(DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")
    schema_name = factory.LazyAttribute(lambda tenant: "t_" + tenant.slug.replace("-", "_"))
    status = Tenant.Status.READY


class DomainFactory(DjangoModelFactory):
    """A further (not primary) host name of a tenant."""

    class Meta:
        model = Domain

    tenant = factory.SubFactory(TenantFactory)
    domain = factory.LazyAttribute(lambda domain: f"{domain.tenant.slug}.localhost")
    is_primary = False
