"""Tenant API for campaigns, one module per resource; `api/urls.py` routes to these classes."""

from .audience import (
    LeadListDetailView,
    LeadListLeadsView,
    LeadListsView,
    SegmentDetailView,
    SegmentLeadsView,
    SegmentsView,
    SuppressionsView,
)
from .campaigns import (
    CampaignActionView,
    CampaignCancelView,
    CampaignDetailView,
    CampaignDuplicateView,
    CampaignListView,
    CampaignPauseView,
    CampaignRestoreView,
    CampaignResumeView,
    CampaignScheduleView,
    CampaignSendNowView,
    CampaignSpamCheckView,
    CampaignStatsView,
    CampaignTestSendView,
)
from .domains import SendingDomainDetailView, SendingDomainListView, SendingDomainVerifyView
from .imports import LeadImportDetailView, LeadImportErrorsView, LeadImportView
from .leads import (
    LeadDataExportView,
    LeadDetailView,
    LeadExportView,
    LeadHistoryView,
    LeadListView,
)
from .templates import TemplateDetailView, TemplateListView, TemplatePreviewView
from .webhooks import ResendWebhookView

__all__ = [
    "CampaignActionView",
    "CampaignCancelView",
    "CampaignDetailView",
    "CampaignDuplicateView",
    "CampaignListView",
    "CampaignPauseView",
    "CampaignRestoreView",
    "CampaignResumeView",
    "CampaignScheduleView",
    "CampaignSendNowView",
    "CampaignSpamCheckView",
    "CampaignStatsView",
    "CampaignTestSendView",
    "LeadDataExportView",
    "LeadDetailView",
    "LeadExportView",
    "LeadHistoryView",
    "LeadImportDetailView",
    "LeadImportErrorsView",
    "LeadImportView",
    "LeadListDetailView",
    "LeadListLeadsView",
    "LeadListView",
    "LeadListsView",
    "ResendWebhookView",
    "SegmentDetailView",
    "SegmentLeadsView",
    "SegmentsView",
    "SendingDomainDetailView",
    "SendingDomainListView",
    "SendingDomainVerifyView",
    "SuppressionsView",
    "TemplateDetailView",
    "TemplateListView",
    "TemplatePreviewView",
]
