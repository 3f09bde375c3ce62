from django.db import models

from .plans import PLAN_CHOICES


class SubscriptionStatus(models.TextChoices):
    """Stripe's subscription statuses; blank means the tenant never subscribed."""

    NONE = "", "No subscription"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Canceled"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
    PAUSED = "paused", "Paused"


class BillingAccount(models.Model):
    """A tenant's plan and the Stripe subscription that pays for it.

    `plan` is the plan the tenant subscribes to (or was comped onto by staff); what it may use
    right now also depends on the subscription status and the dunning grace period, see
    `selectors.plan_for_tenant`.
    """

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="billing_account"
    )
    plan = models.CharField(max_length=32, choices=PLAN_CHOICES, default="free")
    comped = models.BooleanField(
        default=False,
        help_text="Staff granted this plan without payment; Stripe does not change it.",
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_item_id = models.CharField(max_length=255, blank=True)
    stripe_schedule_id = models.CharField(max_length=255, blank=True)
    subscription_status = models.CharField(
        max_length=32,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.NONE,
        blank=True,
        db_index=True,
    )
    subscription_created = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    pending_plan = models.CharField(
        max_length=32,
        choices=PLAN_CHOICES,
        blank=True,
        help_text="Plan that starts at the period end (downgrade).",
    )
    past_due_since = models.DateTimeField(null=True, blank=True)
    trial_used = models.BooleanField(
        default=False, help_text="The one free trial has been granted."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.tenant} on {self.plan}"


class BillingInvoice(models.Model):
    """What the billing page lists: a copy of each Stripe invoice the webhooks told us about."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="billing_invoices"
    )
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=32)
    currency = models.CharField(max_length=3, default="usd")
    amount_due = models.BigIntegerField(default=0, help_text="In the currency's minor unit.")
    amount_paid = models.BigIntegerField(default=0)
    hosted_invoice_url = models.URLField(max_length=2048, blank=True)
    invoice_pdf = models.URLField(max_length=2048, blank=True)
    created = models.DateTimeField(help_text="When Stripe created the invoice.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.number or self.stripe_invoice_id} ({self.status})"

    @property
    def amount_display(self) -> str:
        return f"{self.amount_due / 100:.2f}"


class UsageCounter(models.Model):
    """Metered use of a monthly resource (emails, analyses) in one billing period."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="usage_counters"
    )
    resource = models.CharField(max_length=32)
    period_start = models.DateField()
    used = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "resource", "period_start"], name="usage_counter_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.resource} {self.period_start}: {self.used}"
