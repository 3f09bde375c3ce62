import uuid

from django.db import models
from django.db.models.functions import Lower
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_public_schema_name


class Tenant(TenantMixin):
    """A customer organisation; its data lives in the PostgreSQL schema `schema_name`."""

    class Status(models.TextChoices):
        SPARE = "spare", "Spare (pre-migrated, unclaimed)"
        TEMPLATE = "template", "Template schema"
        READY = "ready", "Ready"
        SUSPENDED = "suspended", "Suspended"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, blank=True)
    slug = models.SlugField(max_length=40, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.READY, db_index=True
    )
    billing_email = models.EmailField(blank=True)
    postal_address = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    # Schemas are created by `apps.tenants.services`, never as a side effect of save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("slug"), name="tenant_slug_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name or self.schema_name

    @property
    def is_public(self) -> bool:
        return self.schema_name == get_public_schema_name()

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def email(self) -> str:
        """Where Stripe sends receipts: the tenant is dj-stripe's subscriber model."""
        return self.billing_email


class Domain(DomainMixin):
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.domain
