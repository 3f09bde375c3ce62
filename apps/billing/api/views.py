"""Billing API: the plan catalogue (public), and for owners and admins the billing summary,
checkout, portal and plan changes. Members get 403 on all of it."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import selectors, services
from apps.billing.plans import PLANS
from apps.billing.stripe_client import stripe_configured
from apps.core.api.schema import problem_responses
from apps.core.api.views import TenantAPIView
from apps.tenants.selectors import tenant_url

from . import serializers as s

PLAN_EXAMPLE = {
    "code": "starter",
    "name": "Starter",
    "monthly_price_usd": 29,
    "seats": 3,
    "repositories": 25,
    "analyses_per_month": 500,
    "leads": 10000,
    "emails_per_month": 10000,
    "api_requests_per_minute": 300,
}
FREE_EXAMPLE = {
    "code": "free",
    "name": "Free",
    "monthly_price_usd": 0,
    "seats": 1,
    "repositories": 3,
    "analyses_per_month": 20,
    "leads": 1000,
    "emails_per_month": 500,
    "api_requests_per_minute": 60,
}
SUMMARY_EXAMPLE = {
    "state": "trialing",
    "plan": PLAN_EXAMPLE,
    "subscribed_plan": PLAN_EXAMPLE,
    "pending_plan": None,
    "trial_end": "2026-12-11T09:00:00Z",
    "grace_ends_at": None,
    "period_end": "2026-12-11T09:00:00Z",
    "usage": [
        {
            "resource": "seats",
            "label": "Seats",
            "used": 2,
            "limit": 3,
            "monthly": False,
            "percent": 67,
        }
    ],
    "invoices": [
        {
            "id": "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
            "number": "7FE1103-0001",
            "status": "paid",
            "currency": "usd",
            "amount_due": 2900,
            "amount_paid": 2900,
            "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_1",
            "created": "2026-11-27T09:00:00Z",
        }
    ],
    "stripe_configured": True,
}


def billing_summary(tenant) -> dict:
    standing = selectors.billing_status(tenant=tenant)
    return {
        **asdict(standing),
        "plan": standing.plan,
        "subscribed_plan": standing.subscribed_plan,
        "pending_plan": standing.pending_plan,
        "usage": selectors.usage_summary(tenant=tenant),
        "invoices": selectors.invoices_of(tenant=tenant),
        "stripe_configured": stripe_configured(),
    }


class PlanListView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["billing"],
        operation_id="billing_plans",
        summary="The plan catalogue",
        description="Every plan with its monthly price and limits (`null` = unlimited). "
        "Served on the public host and on every organisation's host.",
        responses={200: s.PlanSerializer(many=True)},
        examples=[OpenApiExample("Plans", response_only=True, value=[FREE_EXAMPLE, PLAN_EXAMPLE])],
    )
    def get(self, request):
        return Response(s.PlanSerializer(list(PLANS.values()), many=True).data)


class BillingAdminView(TenantAPIView):
    """Billing endpoints; each names its capability (seeing vs. changing the plan)."""


class BillingSummaryView(BillingAdminView):
    required_capability = "billing.view"

    @extend_schema(
        tags=["billing"],
        operation_id="billing_summary",
        summary="Plan, status and usage",
        description="The plan whose limits apply now (after trial, grace period and dunning), "
        "usage against each limit, and recent invoices. Owners and admins only.",
        responses={200: s.BillingSummarySerializer, **problem_responses(401, 403)},
        examples=[OpenApiExample("Trialing", response_only=True, value=SUMMARY_EXAMPLE)],
    )
    def get(self, request):
        return Response(s.BillingSummarySerializer(billing_summary(self.tenant)).data)


class CheckoutView(BillingAdminView):
    required_capability = "billing.manage"

    @extend_schema(
        tags=["billing"],
        operation_id="billing_checkout",
        summary="Start a Stripe Checkout",
        description="Opens a Checkout Session in subscription mode for a paid plan (the first "
        "paid plan has a 14-day trial). Send the person to `url`. A tenant that "
        "already has a subscription changes plan instead (409). A Stripe outage is a "
        "503 `stripe_unavailable`: nothing was charged, try again.",
        request=s.PlanChoiceSerializer,
        responses={201: s.RedirectSerializer, **problem_responses(400, 401, 403, 409, 502, 503)},
        examples=[
            OpenApiExample("Starter", request_only=True, value={"plan": "starter"}),
            OpenApiExample(
                "Checkout",
                response_only=True,
                status_codes=["201"],
                value={"url": "https://checkout.stripe.com/c/pay/cs_test_a1YS1URlnyQCN5fUUduORoQ7"},
            ),
        ],
    )
    def post(self, request):
        data = s.PlanChoiceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        url = services.billing_checkout_start(
            tenant=self.tenant,
            plan_code=data.validated_data["plan"],
            success_url=tenant_url(tenant=self.tenant, path="/billing/?checkout=success"),
            cancel_url=tenant_url(tenant=self.tenant, path="/billing/?checkout=cancelled"),
        )
        return Response({"url": url}, status=status.HTTP_201_CREATED)


class PortalView(BillingAdminView):
    required_capability = "billing.manage"

    @extend_schema(
        tags=["billing"],
        operation_id="billing_portal",
        summary="Open the Customer Portal",
        description="A Stripe Customer Portal session for payment methods, invoices and "
        "cancellation.",
        request=None,
        responses={201: s.RedirectSerializer, **problem_responses(401, 403, 409, 502, 503)},
        examples=[
            OpenApiExample(
                "Portal",
                response_only=True,
                status_codes=["201"],
                value={"url": "https://billing.stripe.com/p/session/test_YWNjdF8x"},
            )
        ],
    )
    def post(self, request):
        url = services.billing_portal_open(
            tenant=self.tenant, return_url=tenant_url(tenant=self.tenant, path="/billing/")
        )
        return Response({"url": url}, status=status.HTTP_201_CREATED)


class PlanChangePreviewView(BillingAdminView):
    required_capability = "billing.view"

    @extend_schema(
        tags=["billing"],
        operation_id="billing_plan_preview",
        summary="Preview a plan change",
        description="An upgrade applies at once and the prorated amount is invoiced now: this "
        "returns that amount from Stripe's invoice preview, with the "
        "`proration_date` to confirm with. A downgrade starts at the period end.",
        request=s.PlanChoiceSerializer,
        responses={
            200: s.PlanChangePreviewSerializer,
            **problem_responses(400, 401, 403, 409, 502, 503),
        },
        examples=[
            OpenApiExample("To Pro", request_only=True, value={"plan": "pro"}),
            OpenApiExample(
                "Upgrade",
                response_only=True,
                value={
                    "plan": "pro",
                    "direction": "upgrade",
                    "effective": "now",
                    "amount_due": 4667,
                    "currency": "usd",
                    "proration_date": 1764230400,
                    "period_end": "2026-12-11T09:00:00Z",
                },
            ),
        ],
    )
    def post(self, request):
        data = s.PlanChoiceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preview = services.billing_plan_change_preview(
            tenant=self.tenant, plan_code=data.validated_data["plan"]
        )
        return Response(s.PlanChangePreviewSerializer(preview).data)


class PlanChangeView(BillingAdminView):
    required_capability = "billing.manage"

    @extend_schema(
        tags=["billing"],
        operation_id="billing_plan_change",
        summary="Change plan",
        description="Upgrade now with proration invoiced immediately, or downgrade at the "
        "period end (choosing `free` cancels at the period end).",
        request=s.PlanChangeSerializer,
        responses={
            200: s.BillingSummarySerializer,
            **problem_responses(400, 401, 403, 409, 502, 503),
        },
        examples=[
            OpenApiExample(
                "To Pro", request_only=True, value={"plan": "pro", "proration_date": 1764230400}
            )
        ],
    )
    def post(self, request):
        data = s.PlanChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.billing_plan_change(
            tenant=self.tenant,
            plan_code=data.validated_data["plan"],
            proration_date=data.validated_data.get("proration_date"),
        )
        return Response(s.BillingSummarySerializer(billing_summary(self.tenant)).data)


class CancelView(BillingAdminView):
    required_capability = "billing.manage"

    @extend_schema(
        tags=["billing"],
        operation_id="billing_cancel",
        summary="Cancel at the period end",
        description="The plan stays until the end of the paid period; resume before then.",
        request=None,
        responses={200: s.BillingSummarySerializer, **problem_responses(401, 403, 409, 502, 503)},
        examples=[
            OpenApiExample(
                "Canceling", response_only=True, value={**SUMMARY_EXAMPLE, "state": "canceling"}
            )
        ],
    )
    def post(self, request):
        services.billing_subscription_cancel(tenant=self.tenant)
        return Response(s.BillingSummarySerializer(billing_summary(self.tenant)).data)


class ResumeView(BillingAdminView):
    required_capability = "billing.manage"

    @extend_schema(
        tags=["billing"],
        operation_id="billing_resume",
        summary="Resume a cancelling plan",
        request=None,
        responses={200: s.BillingSummarySerializer, **problem_responses(401, 403, 409, 502, 503)},
        examples=[
            OpenApiExample(
                "Active", response_only=True, value={**SUMMARY_EXAMPLE, "state": "active"}
            )
        ],
    )
    def post(self, request):
        services.billing_subscription_resume(tenant=self.tenant)
        return Response(s.BillingSummarySerializer(billing_summary(self.tenant)).data)
