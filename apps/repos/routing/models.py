from django.db import models
from django.db.models.functions import Lower


class RepositoryRoute(models.Model):
    """One tenant tracks one GitHub repository (several tenants may track the same one)."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="repository_routes"
    )
    repository_public_id = models.UUIDField()
    github_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    full_name = models.CharField(max_length=201, help_text="owner/name as GitHub spells it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "repository_public_id"], name="repository_route_once_per_tenant"
            ),
        ]
        indexes = [models.Index(Lower("full_name"), name="repository_route_full_name")]

    def __str__(self) -> str:
        return f"{self.full_name} → {self.tenant_id}"


class InstallationRoute(models.Model):
    """A GitHub App installation belongs to exactly one tenant."""

    installation_id = models.BigIntegerField(unique=True)
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="github_installations"
    )
    account_login = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"installation {self.installation_id} → {self.tenant_id}"
