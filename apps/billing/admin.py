"""Staff admin: tenants by plan and status, monthly recurring revenue, comping a tenant."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.shortcuts import render

from . import selectors, services
from .models import BillingAccount, BillingInvoice
from .plans import PLAN_CHOICES, PLANS


class CompForm(forms.Form):
    plan = forms.ChoiceField(choices=PLAN_CHOICES)


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = (
        "tenant",
        "plan",
        "effective_plan",
        "subscription_status",
        "comped",
        "cancel_at_period_end",
        "past_due_since",
        "current_period_end",
    )
    list_filter = ("plan", "subscription_status", "comped", "cancel_at_period_end")
    search_fields = ("tenant__name", "tenant__slug", "stripe_customer_id", "stripe_subscription_id")
    readonly_fields = (
        "stripe_customer_id",
        "stripe_subscription_id",
        "stripe_subscription_item_id",
        "stripe_schedule_id",
        "subscription_status",
        "subscription_created",
        "current_period_end",
        "trial_end",
        "cancel_at_period_end",
        "pending_plan",
        "past_due_since",
        "trial_used",
        "comped",
        "created_at",
        "updated_at",
    )
    fields = ("tenant", "plan", *readonly_fields)
    actions = ["comp_onto_plan", "end_comp"]
    change_list_template = "admin/billing/billingaccount/change_list.html"

    @admin.display(description="Limits now")
    def effective_plan(self, account: BillingAccount) -> str:
        return selectors.effective_plan(account=account).name

    def has_add_permission(self, request) -> bool:
        return False  # every tenant gets its account at signup

    def save_model(self, request, obj, form, change):
        # The plan field goes through the service, so the change is announced like any other.
        if change and "plan" in form.changed_data:
            services.billing_plan_set(tenant=obj.tenant, plan_code=obj.plan)
        else:
            super().save_model(request, obj, form, change)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "mrr_usd": selectors.monthly_recurring_revenue_usd(),
            "by_plan_and_status": [
                {**row, "plan_name": PLANS[row["plan"]].name}
                for row in selectors.tenants_by_plan_and_status()
            ],
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.action(description="Comp selected tenants onto a plan (no payment)")
    def comp_onto_plan(self, request, queryset):
        form = CompForm(request.POST if "plan" in request.POST else None)
        if form.is_valid():
            for account in queryset.select_related("tenant"):
                services.billing_plan_comp(
                    tenant=account.tenant, plan_code=form.cleaned_data["plan"]
                )
            messages.success(
                request,
                f"{queryset.count()} tenant(s) comped onto "
                f"{PLANS[form.cleaned_data['plan']].name}.",
            )
            return None
        return render(
            request,
            "admin/billing/billingaccount/comp.html",
            {
                **self.admin_site.each_context(request),
                "title": "Comp onto a plan",
                "form": form,
                "accounts": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    @admin.action(description="End the comp of selected tenants")
    def end_comp(self, request, queryset):
        for account in queryset.select_related("tenant"):
            services.billing_comp_end(tenant=account.tenant)
        messages.success(request, f"Comp ended for {queryset.count()} tenant(s).")


@admin.register(BillingInvoice)
class BillingInvoiceAdmin(admin.ModelAdmin):
    list_display = (
        "stripe_invoice_id",
        "tenant",
        "number",
        "status",
        "amount_due",
        "amount_paid",
        "currency",
        "created",
    )
    list_filter = ("status",)
    search_fields = ("stripe_invoice_id", "number", "tenant__slug")
    readonly_fields = [field.name for field in BillingInvoice._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
