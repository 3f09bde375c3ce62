"""Billing pages: the tenant's billing page and its actions (owners and admins only), and the
public landing and pricing pages. Rules live in `services`; Stripe failures become messages that
say what to do.

The landing page lives here rather than in accounts (which owns signup and only links to it):
what it shows is the plan catalogue, exactly like the pricing page, so both public pages that
present the plans sit next to the catalogue and no other app needs to import it.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.permissions import capability_required
from apps.tenants.selectors import tenant_url

from . import selectors, services
from .plans import PLANS
from .stripe_client import stripe_configured


def landing(request):
    return render(request, "billing/landing.html", {"plans": PLANS.values()})


def pricing(request):
    return render(request, "billing/pricing.html", {"plans": PLANS.values()})


@capability_required("billing.view")
def index(request):
    tenant = request.tenant
    standing = selectors.billing_status(tenant=tenant)
    account = selectors.billing_account_get(tenant=tenant)
    outcome = request.GET.get("checkout")
    if outcome == "success":
        messages.success(
            request,
            "Thank you! Your subscription starts as soon as Stripe "
            "confirms the payment (usually a few seconds).",
        )
    elif outcome == "cancelled":
        messages.info(request, "Checkout cancelled: nothing was charged.")
    return render(
        request,
        "billing/index.html",
        {
            "standing": standing,
            "plan": standing.plan,
            "usage": selectors.usage_summary(tenant=tenant),
            "invoices": selectors.invoices_of(tenant=tenant),
            "plans": PLANS.values(),
            "has_subscription": selectors.has_paid_subscription(account=account),
            "trial_available": account is None or not account.trial_used,
            "stripe_configured": stripe_configured(),
        },
    )


def _back(request, error: DomainError | None = None):
    if error is not None:
        messages.error(request, error.detail)
    return redirect("dashboard:billing")


@require_POST
@capability_required("billing.manage")
def checkout(request):
    tenant = request.tenant
    try:
        url = services.billing_checkout_start(
            tenant=tenant,
            plan_code=request.POST.get("plan", ""),
            success_url=tenant_url(tenant=tenant, path="/billing/?checkout=success"),
            cancel_url=tenant_url(tenant=tenant, path="/billing/?checkout=cancelled"),
        )
    except DomainError as error:
        return _back(request, error)
    return redirect(url)


@require_POST
@capability_required("billing.manage")
def portal(request):
    try:
        url = services.billing_portal_open(
            tenant=request.tenant, return_url=tenant_url(tenant=request.tenant, path="/billing/")
        )
    except DomainError as error:
        return _back(request, error)
    return redirect(url)


@capability_required("billing.view", post="billing.manage")
def change(request):
    """GET: what the change costs (Stripe's invoice preview); POST: do it."""
    plan_code = request.POST.get("plan") or request.GET.get("plan", "")
    try:
        if request.method == "POST":
            proration_date = request.POST.get("proration_date") or None
            account = services.billing_plan_change(
                tenant=request.tenant,
                plan_code=plan_code,
                proration_date=int(proration_date) if proration_date else None,
            )
            if account.pending_plan:
                messages.success(
                    request,
                    f"You move to the {PLANS[account.pending_plan].name} "
                    "plan at the end of this billing period.",
                )
            elif account.cancel_at_period_end:
                messages.success(request, "Your subscription ends at the end of this period.")
            else:
                messages.success(request, f"You are now on the {PLANS[account.plan].name} plan.")
            return redirect("dashboard:billing")
        preview = services.billing_plan_change_preview(tenant=request.tenant, plan_code=plan_code)
    except (DomainError, ValueError) as error:
        if isinstance(error, ValueError):
            error = DomainError("Choose a plan from the list.")
        return _back(request, error)
    return render(
        request,
        "billing/change_confirm.html",
        {
            "preview": preview,
            "target": PLANS[preview["plan"]],
            "amount": f"{preview['amount_due'] / 100:.2f}",
            "current": selectors.plan_for_tenant(tenant=request.tenant),
        },
    )


@require_POST
@capability_required("billing.manage")
def cancel(request):
    try:
        services.billing_subscription_cancel(tenant=request.tenant)
    except DomainError as error:
        return _back(request, error)
    messages.success(
        request, "Your subscription ends at the end of this period. You can resume it until then."
    )
    return _back(request)


@require_POST
@capability_required("billing.manage")
def resume(request):
    try:
        services.billing_subscription_resume(tenant=request.tenant)
    except DomainError as error:
        return _back(request, error)
    messages.success(request, "Your subscription continues.")
    return _back(request)
