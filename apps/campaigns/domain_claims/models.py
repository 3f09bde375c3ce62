"""Which tenant owns a sending domain: the public-schema table that keeps a domain to one tenant.

Each tenant's `SendingDomain` rows live in its own schema, where a unique constraint cannot see
the other tenants; this table can. `campaigns.services.sending_domain_create` takes the claim in
the same transaction as it registers the domain, and `sending_domain_delete` releases it.
"""

from django.db import models


class SendingDomainClaim(models.Model):
    name = models.CharField(max_length=253, unique=True, help_text="IDNA-normalised, lowercase.")
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="sending_domain_claims"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} → {self.tenant_id}"
