from django.urls import path

from . import views

public_urlpatterns = [
    path("billing/plans", views.PlanListView.as_view(), name="billing-plans"),
]

tenant_urlpatterns = [
    path("billing/plans", views.PlanListView.as_view(), name="billing-plans"),
    path("billing", views.BillingSummaryView.as_view(), name="billing-summary"),
    path("billing/checkout", views.CheckoutView.as_view(), name="billing-checkout"),
    path("billing/portal", views.PortalView.as_view(), name="billing-portal"),
    path(
        "billing/plan/preview", views.PlanChangePreviewView.as_view(), name="billing-plan-preview"
    ),
    path("billing/plan", views.PlanChangeView.as_view(), name="billing-plan-change"),
    path("billing/cancel", views.CancelView.as_view(), name="billing-cancel"),
    path("billing/resume", views.ResumeView.as_view(), name="billing-resume"),
]
