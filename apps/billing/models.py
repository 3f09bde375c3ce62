from django.db import models

from .plans import PLAN_CHOICES


class BillingAccount(models.Model):
    """A tenant's plan. Stripe state is added by the billing capability."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE,
                                  related_name="billing_account")
    plan = models.CharField(max_length=32, choices=PLAN_CHOICES, default="free")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.tenant} on {self.plan}"


class UsageCounter(models.Model):
    """Metered use of a monthly resource (emails, analyses) in one billing period."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE,
                               related_name="usage_counters")
    resource = models.CharField(max_length=32)
    period_start = models.DateField()
    used = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "resource", "period_start"],
                                    name="usage_counter_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.resource} {self.period_start}: {self.used}"
