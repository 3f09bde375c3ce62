from django.urls import path

from . import views as v

tenant_urlpatterns = [
    path("campaigns", v.CampaignListView.as_view(), name="api-campaigns"),
    path(
        "campaigns/<uuid:campaign_id>", v.CampaignDetailView.as_view(), name="api-campaign-detail"
    ),
    path(
        "campaigns/<uuid:campaign_id>/schedule",
        v.CampaignScheduleView.as_view(),
        name="api-campaign-schedule",
    ),
    path(
        "campaigns/<uuid:campaign_id>/send-now",
        v.CampaignSendNowView.as_view(),
        name="api-campaign-send-now",
    ),
    path(
        "campaigns/<uuid:campaign_id>/test-send",
        v.CampaignTestSendView.as_view(),
        name="api-campaign-test-send",
    ),
    path(
        "campaigns/<uuid:campaign_id>/pause",
        v.CampaignPauseView.as_view(),
        name="api-campaign-pause",
    ),
    path(
        "campaigns/<uuid:campaign_id>/resume",
        v.CampaignResumeView.as_view(),
        name="api-campaign-resume",
    ),
    path(
        "campaigns/<uuid:campaign_id>/cancel",
        v.CampaignCancelView.as_view(),
        name="api-campaign-cancel",
    ),
    path(
        "campaigns/<uuid:campaign_id>/duplicate",
        v.CampaignDuplicateView.as_view(),
        name="api-campaign-duplicate",
    ),
    path(
        "campaigns/<uuid:campaign_id>/restore",
        v.CampaignRestoreView.as_view(),
        name="api-campaign-restore",
    ),
    path(
        "campaigns/<uuid:campaign_id>/spam-check",
        v.CampaignSpamCheckView.as_view(),
        name="api-campaign-spam-check",
    ),
    path(
        "campaigns/<uuid:campaign_id>/stats",
        v.CampaignStatsView.as_view(),
        name="api-campaign-stats",
    ),
    path("leads", v.LeadListView.as_view(), name="api-leads"),
    path("leads/export", v.LeadExportView.as_view(), name="api-leads-export"),
    path("leads/imports", v.LeadImportView.as_view(), name="api-leads-import"),
    path(
        "leads/imports/<uuid:import_id>",
        v.LeadImportDetailView.as_view(),
        name="api-leads-import-detail",
    ),
    path(
        "leads/imports/<uuid:import_id>/errors",
        v.LeadImportErrorsView.as_view(),
        name="api-leads-import-errors",
    ),
    path("leads/<uuid:lead_id>", v.LeadDetailView.as_view(), name="api-lead-detail"),
    path("leads/<uuid:lead_id>/data", v.LeadDataExportView.as_view(), name="api-lead-data"),
    path("leads/<uuid:lead_id>/messages", v.LeadHistoryView.as_view(), name="api-lead-messages"),
    path("lists", v.LeadListsView.as_view(), name="api-lists"),
    path("lists/<uuid:list_id>", v.LeadListDetailView.as_view(), name="api-list-detail"),
    path("lists/<uuid:list_id>/leads", v.LeadListLeadsView.as_view(), name="api-list-leads"),
    path("segments", v.SegmentsView.as_view(), name="api-segments"),
    path("segments/<uuid:segment_id>", v.SegmentDetailView.as_view(), name="api-segment-detail"),
    path(
        "segments/<uuid:segment_id>/leads",
        v.SegmentLeadsView.as_view(),
        name="api-segment-leads",
    ),
    path("sending-domains", v.SendingDomainListView.as_view(), name="api-sending-domains"),
    path(
        "sending-domains/<uuid:domain_id>",
        v.SendingDomainDetailView.as_view(),
        name="api-sending-domain-detail",
    ),
    path(
        "sending-domains/<uuid:domain_id>/verify",
        v.SendingDomainVerifyView.as_view(),
        name="api-sending-domain-verify",
    ),
    path("suppressions", v.SuppressionsView.as_view(), name="api-suppressions"),
    path("templates", v.TemplateListView.as_view(), name="api-templates"),
    path("templates/preview", v.TemplatePreviewView.as_view(), name="api-templates-preview"),
    path(
        "templates/<uuid:template_id>", v.TemplateDetailView.as_view(), name="api-template-detail"
    ),
]

public_urlpatterns = [
    path("webhooks/resend", v.ResendWebhookView.as_view(), name="api-webhooks-resend"),
]
