"""Billing actions on tenant hosts, in the `dashboard` namespace next to the page itself."""

from django.urls import path

from . import views

urlpatterns = [
    path("checkout/", views.checkout, name="billing-checkout"),
    path("portal/", views.portal, name="billing-portal"),
    path("change/", views.change, name="billing-change"),
    path("cancel/", views.cancel, name="billing-cancel"),
    path("resume/", views.resume, name="billing-resume"),
]
