from rest_framework import serializers

from apps.billing.plans import PLANS
from apps.core.api.serializers import StrictSerializer


class PlanSerializer(StrictSerializer):
    code = serializers.CharField()
    name = serializers.CharField()
    monthly_price_usd = serializers.IntegerField()
    seats = serializers.IntegerField(allow_null=True, help_text="null means unlimited")
    repositories = serializers.IntegerField(allow_null=True)
    analyses_per_month = serializers.IntegerField(allow_null=True)
    leads = serializers.IntegerField(allow_null=True)
    emails_per_month = serializers.IntegerField(allow_null=True)
    api_requests_per_minute = serializers.IntegerField()


class UsageLineSerializer(StrictSerializer):
    resource = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # API field named like Field.label
    used = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True)
    monthly = serializers.BooleanField()
    percent = serializers.IntegerField()


class InvoiceSerializer(StrictSerializer):
    id = serializers.CharField(source="stripe_invoice_id")
    number = serializers.CharField()
    status = serializers.CharField()
    currency = serializers.CharField()
    amount_due = serializers.IntegerField()
    amount_paid = serializers.IntegerField()
    hosted_invoice_url = serializers.CharField()
    created = serializers.DateTimeField()


class BillingSummarySerializer(StrictSerializer):
    state = serializers.ChoiceField(
        choices=["free", "comped", "trialing", "active", "grace", "lapsed", "canceling"]
    )
    plan = PlanSerializer(help_text="The plan whose limits apply now.")
    subscribed_plan = PlanSerializer()
    pending_plan = PlanSerializer(allow_null=True, help_text="Starts at the period end.")
    trial_end = serializers.DateTimeField(allow_null=True)
    grace_ends_at = serializers.DateTimeField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)
    usage = UsageLineSerializer(many=True)
    invoices = InvoiceSerializer(many=True)
    stripe_configured = serializers.BooleanField()


class PlanChoiceSerializer(StrictSerializer):
    plan = serializers.ChoiceField(choices=list(PLANS))


class PlanChangeSerializer(PlanChoiceSerializer):
    proration_date = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The `proration_date` of the preview the person saw, so the charge matches.",
    )


class RedirectSerializer(StrictSerializer):
    url = serializers.URLField()


class PlanChangePreviewSerializer(StrictSerializer):
    plan = serializers.CharField()
    direction = serializers.ChoiceField(choices=["upgrade", "downgrade"])
    effective = serializers.ChoiceField(choices=["now", "period_end"])
    amount_due = serializers.IntegerField(help_text="Charged now, in cents.")
    currency = serializers.CharField()
    proration_date = serializers.IntegerField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)
