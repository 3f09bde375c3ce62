"""Plumbing shared by the factories in `tests/<app>/factories.py`.

Public-schema factories (tenants, users, billing) build their rows in the public schema, where
the autouse fixture leaves the connection at the start of every test.

Tenant-schema factories (leads, campaigns, repositories, …) derive from `TenantSchemaFactory`
and build their rows in the schema the connection is on, as the app's own code does. A test sets
it first, one of two ways:

    def test_x(shop):                      # campaigns: `shop` calls connection.set_tenant(tenant)
        lead = LeadFactory()

    with schema_context(tenant.schema_name):
        RepositoryFactory(owner="octo")    # anywhere else

Building one while the connection is on the public schema raises at once instead of failing on
a missing table.

Sequences restart at 0 in every test (`restart_sequences`, an autouse fixture), so a test can
name the rows it made (`lead0@example.com`, …) whatever ran before it.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from django_tenants.utils import get_public_schema_name
from factory.django import DjangoModelFactory


def require_tenant_schema(what: str) -> None:
    if connection.schema_name == get_public_schema_name():
        raise RuntimeError(
            f"{what} builds rows in a tenant schema, and the connection is on the public one: "
            "set it first (the `shop` fixture, connection.set_tenant(tenant) or "
            "schema_context(tenant.schema_name))."
        )


class TenantSchemaFactory(DjangoModelFactory):
    """Base of the factories whose model lives in tenant schemas (see the module docstring)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        require_tenant_schema(cls.__name__)
        return super()._create(model_class, *args, **kwargs)


def _model_factories(base: type[DjangoModelFactory]) -> Iterator[type[DjangoModelFactory]]:
    for factory_class in base.__subclasses__():
        yield factory_class
        yield from _model_factories(factory_class)


def restart_sequences() -> None:
    """Every factory of ours numbers its rows from 0 again."""
    for factory_class in _model_factories(DjangoModelFactory):
        if factory_class.__module__.startswith("tests.") and factory_class._meta.model:
            factory_class.reset_sequence(force=True)
