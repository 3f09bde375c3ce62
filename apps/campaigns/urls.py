"""Campaign pages: tracking and unsubscribe on the public host, dashboard on tenant hosts."""

from django.urls import path

from . import public_views, views

public_patterns = [
    path("t/o/<str:token>.gif", public_views.open_pixel, name="track-open"),
    path("t/c/<str:token>", public_views.click_redirect, name="track-click"),
    path("u/<str:token>", public_views.unsubscribe, name="unsubscribe"),
]

dashboard_patterns = [
    path("campaigns/", views.index, name="campaigns"),
    path("campaigns/new/", views.campaign_wizard, name="campaign-new"),
    path(
        "campaigns/<uuid:campaign_id>/edit/<slug:step>/",
        views.campaign_wizard,
        name="campaign-wizard",
    ),
    path("campaigns/<uuid:campaign_id>/", views.campaign_report, name="campaign-report"),
    path("campaigns/<uuid:campaign_id>/action/", views.campaign_action, name="campaign-action"),
    path("leads/", views.leads, name="leads"),
    path("leads/imports/<uuid:import_id>/", views.import_status, name="lead-import"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_edit, name="template-new"),
    path("templates/<uuid:template_id>/", views.template_edit, name="template-edit"),
    path("templates/preview/", views.template_preview, name="template-preview"),
    path("settings/sending-domains/", views.sending_domains, name="sending-domains"),
    path(
        "settings/sending-domains/<uuid:domain_id>/",
        views.sending_domain,
        name="sending-domain",
    ),
]
