"""Tenant provisioning.

Running every tenant migration on signup takes seconds, so new tenants never migrate:
- a *template* schema (`STRATO_TEMPLATE_SCHEMA`) is kept fully migrated by `migrate_schemas`
  like any tenant;
- a small pool of *spare* schemas, cloned from the template in the background, waits to be
  claimed: signup renames one (`ALTER SCHEMA … RENAME`, constant time);
- when the pool is empty, signup copies the template inline (`cloning.schema_clone`).

Everything a signup does runs in one transaction, DDL included, so a failure leaves no half
tenant: the schema, tenant row, domain and membership appear together or not at all.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import cast
from zoneinfo import available_timezones

from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django_tenants.utils import get_public_schema_name, schema_exists, schema_rename

from apps.core.errors import Conflict, ValidationFailed

# A module reference: tasks imports this module too (the cycle resolves lazily).
from . import tasks
from .cloning import schema_clone
from .models import Domain, Tenant

logger = logging.getLogger(__name__)

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


def tenant_slug_from_name(*, name: str) -> str:
    slug = slugify(name)[:40].strip("-")
    return slug if len(slug) >= 3 else f"{slug or 'org'}-{uuid.uuid4().hex[:6]}"


def tenant_slug_validate(*, slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        raise ValidationFailed.for_field(
            "slug",
            "Use 3 to 40 lowercase letters, digits and single hyphens, starting and ending with a "
            "letter or digit.",
            code="invalid_slug",
        )
    if slug in settings.RESERVED_TENANT_SLUGS:
        raise ValidationFailed.for_field("slug", f"“{slug}” is reserved.", code="reserved_slug")
    if Tenant.objects.filter(slug__iexact=slug).exists():
        raise Conflict(
            "This organisation address is already taken.",
            code="slug_taken",
            errors={"slug": ["This organisation address is already taken."]},
        )
    return slug


def _schema_name_for_slug(slug: str) -> str:
    return "t_" + slug.replace("-", "_")


def _clone_template(schema_name: str) -> None:
    schema_clone(template=settings.STRATO_TEMPLATE_SCHEMA, schema_name=schema_name)


def public_tenant_ensure() -> Tenant:
    """The public schema's tenant row and the base domain that routes to it."""
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"name": "Strato", "status": Tenant.Status.READY, "ready_at": timezone.now()},
    )
    Domain.objects.get_or_create(
        domain=settings.STRATO_BASE_DOMAIN, defaults={"tenant": tenant, "is_primary": True}
    )
    return cast(Tenant, tenant)


def template_schema_ensure(*, verbosity: int = 0) -> Tenant:
    """Create and migrate the template schema once; `migrate_schemas` keeps it current."""
    schema_name = settings.STRATO_TEMPLATE_SCHEMA
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=schema_name, defaults={"name": "Template", "status": Tenant.Status.TEMPLATE}
    )
    if not schema_exists(schema_name):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema_name}"')
        call_command(
            "migrate_schemas",
            tenant=True,
            schema_name=schema_name,
            interactive=False,
            verbosity=verbosity,
        )
    return cast(Tenant, tenant)


def tenancy_bootstrap(*, verbosity: int = 0) -> None:
    """Idempotent: what must exist before the first signup."""
    public_tenant_ensure()
    template_schema_ensure(verbosity=verbosity)


@transaction.atomic
def spare_schema_create() -> Tenant:
    schema_name = f"spare_{uuid.uuid4().hex[:16]}"
    _clone_template(schema_name)
    return cast(Tenant, Tenant.objects.create(schema_name=schema_name, status=Tenant.Status.SPARE))


def spare_pool_refill(*, target: int | None = None) -> int:
    """Top the pool of spare schemas up to `target`; returns how many were created."""
    target = settings.TENANT_SPARE_POOL_SIZE if target is None else target
    created = 0
    while Tenant.objects.filter(status=Tenant.Status.SPARE).count() < target:
        spare_schema_create()
        created += 1
    return created


def _claim_spare(schema_name: str) -> Tenant | None:
    spare = (
        Tenant.objects.select_for_update(skip_locked=True)
        .filter(status=Tenant.Status.SPARE)
        .order_by("id")
        .first()
    )
    if spare is not None:
        schema_rename(spare, schema_name, save=False)
        spare.schema_name = schema_name
    return cast("Tenant | None", spare)


@transaction.atomic
def tenant_provision(*, name: str, slug: str | None = None, billing_email: str = "") -> Tenant:
    """Create a ready tenant with its schema and primary domain, in one transaction."""
    name = name.strip()
    if not name:
        raise ValidationFailed.for_field("organisation_name", "This field may not be blank.")
    slug = tenant_slug_validate(slug=slug or tenant_slug_from_name(name=name))
    schema_name = _schema_name_for_slug(slug)

    tenant = _claim_spare(schema_name)
    if tenant is None:
        _clone_template(schema_name)
        tenant = Tenant(schema_name=schema_name)
    tenant.name = name
    tenant.slug = slug
    tenant.billing_email = billing_email
    tenant.status = Tenant.Status.READY
    tenant.ready_at = timezone.now()
    try:
        with transaction.atomic():
            tenant.save()
            Domain.objects.create(
                domain=f"{slug}.{settings.STRATO_BASE_DOMAIN}", tenant=tenant, is_primary=True
            )
    except IntegrityError as exc:
        raise Conflict(
            "This organisation address is already taken.",
            code="slug_taken",
            errors={"slug": ["This organisation address is already taken."]},
        ) from exc

    if settings.TENANT_SPARE_POOL_SIZE:
        transaction.on_commit(tasks.refill_spare_schemas.delay)
    logger.info("tenant provisioned", extra={"slug": slug})
    return tenant


@transaction.atomic
def tenant_update(
    *,
    tenant: Tenant,
    name: str | None = None,
    billing_email: str | None = None,
    postal_address: str | None = None,
    timezone_name: str | None = None,
) -> Tenant:
    if name is not None:
        if not name.strip():
            raise ValidationFailed.for_field("name", "This field may not be blank.")
        tenant.name = name.strip()
    if billing_email is not None:
        tenant.billing_email = billing_email
    if postal_address is not None:
        tenant.postal_address = postal_address.strip()
    if timezone_name is not None:
        if timezone_name not in available_timezones():
            raise ValidationFailed.for_field("timezone", "Unknown time zone.")
        tenant.timezone = timezone_name
    tenant.save()
    return tenant
