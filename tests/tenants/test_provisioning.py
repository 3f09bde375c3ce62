"""Provisioning: a ready tenant with schema and domain, from the spare pool or a template clone;
a failure half-way leaves nothing behind."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from apps.core.errors import Conflict, ValidationFailed
from apps.tenants import services
from apps.tenants.models import Domain, Tenant
from apps.tenants.selectors import ready_tenants, spare_count
from tests.tenants.factories import DomainFactory

pytestmark = pytest.mark.django_db


def tables_in(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return {row[0] for row in cursor.fetchall()}


def test_provision_creates_a_ready_tenant_with_schema_and_domain():
    tenant = services.tenant_provision(name="  Wayne Enterprises ", billing_email="b@wayne.test")

    tenant.refresh_from_db()
    assert (tenant.name, tenant.slug, tenant.schema_name) == (
        "Wayne Enterprises",
        "wayne-enterprises",
        "t_wayne_enterprises",
    )
    assert tenant.status == Tenant.Status.READY
    assert tenant.ready_at is not None
    assert tenant.billing_email == "b@wayne.test"
    assert schema_exists("t_wayne_enterprises")
    domain = Domain.objects.get(tenant=tenant)
    assert (domain.domain, domain.is_primary) == ("wayne-enterprises.localhost", True)
    # The schema is complete: it holds every table the migrated template holds.
    template_tables = tables_in(settings.STRATO_TEMPLATE_SCHEMA)
    assert "django_migrations" in template_tables
    assert tables_in("t_wayne_enterprises") == template_tables
    assert tenant in ready_tenants()


def test_clone_path_when_the_pool_is_empty():
    assert spare_count() == 0
    tenants_before = Tenant.objects.count()

    tenant = services.tenant_provision(name="Stark", slug="stark")

    assert Tenant.objects.count() == tenants_before + 1
    assert tenant.schema_name == "t_stark"
    assert schema_exists("t_stark")
    assert spare_count() == 0


def test_claim_renames_a_spare_schema_and_shrinks_the_pool():
    assert services.spare_pool_refill(target=1) == 1
    assert services.spare_pool_refill(target=1) == 0
    spare = Tenant.objects.get(status=Tenant.Status.SPARE)
    spare_schema = spare.schema_name
    assert spare_schema.startswith("spare_")
    assert schema_exists(spare_schema)
    assert not Domain.objects.filter(tenant=spare).exists()
    tenants_before = Tenant.objects.count()

    tenant = services.tenant_provision(name="Pool Co", slug="pool-co")

    assert tenant.pk == spare.pk
    assert tenant.schema_name == "t_pool_co"
    assert schema_exists("t_pool_co")
    assert not schema_exists(spare_schema)
    assert spare_count() == 0
    assert Tenant.objects.count() == tenants_before
    assert tables_in("t_pool_co") == tables_in(settings.STRATO_TEMPLATE_SCHEMA)
    assert Tenant.objects.get(pk=spare.pk).status == Tenant.Status.READY


def test_failure_after_schema_creation_leaves_no_tenant_and_no_schema():
    # A stray domain row makes the Domain insert fail after the schema was cloned.
    public = Tenant.objects.get(schema_name=get_public_schema_name())
    DomainFactory(domain="boom.localhost", tenant=public)
    tenants_before = Tenant.objects.count()

    with pytest.raises(Conflict) as caught:
        services.tenant_provision(name="Boom", slug="boom")

    assert caught.value.code == "slug_taken"
    assert Tenant.objects.count() == tenants_before
    assert not Tenant.objects.filter(slug="boom").exists()
    assert not schema_exists("t_boom")


def test_failed_claim_puts_the_spare_back():
    services.spare_pool_refill(target=1)
    spare = Tenant.objects.get(status=Tenant.Status.SPARE)
    public = Tenant.objects.get(schema_name=get_public_schema_name())
    DomainFactory(domain="boom.localhost", tenant=public)

    with pytest.raises(Conflict):
        services.tenant_provision(name="Boom", slug="boom")

    assert not schema_exists("t_boom")
    assert schema_exists(spare.schema_name)
    assert Tenant.objects.get(pk=spare.pk).status == Tenant.Status.SPARE
    assert spare_count() == 1


def test_slug_is_unique_case_insensitively(tenant):
    with pytest.raises(Conflict) as caught:
        services.tenant_provision(name="Other", slug="ACME")

    assert caught.value.code == "slug_taken"


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("tenant_template", "invalid_slug"),
        ("template", "reserved_slug"),
        ("public", "reserved_slug"),
        ("postgres", "reserved_slug"),
    ],
)
def test_internal_names_are_refused(slug, code):
    with pytest.raises(ValidationFailed) as caught:
        services.tenant_provision(name="Sneaky", slug=slug)

    assert caught.value.code == code
    assert not Tenant.objects.filter(slug=slug).exists()


def test_the_new_schema_is_isolated_from_other_tenants(tenant, other_tenant):
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE only_in_acme (id int)")

    assert "only_in_acme" in tables_in(tenant.schema_name)
    assert "only_in_acme" not in tables_in(other_tenant.schema_name)
    assert "only_in_acme" not in tables_in(settings.STRATO_TEMPLATE_SCHEMA)


def test_bootstrap_is_idempotent():
    before = set(Tenant.objects.values_list("schema_name", flat=True))

    services.tenancy_bootstrap()
    services.tenancy_bootstrap()

    assert set(Tenant.objects.values_list("schema_name", flat=True)) == before
    assert Domain.objects.filter(domain=settings.STRATO_BASE_DOMAIN).count() == 1
