"""Campaigns: list, create, edit and delete; the state machine's actions; test sends, content
check and analytics."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.query import query_params
from apps.core.api.schema import problem_responses
from apps.core.api.views import TenantAPIView
from apps.core.roles import capability_for_test_send, ensure_capability, request_role

from ... import selectors, services
from .. import serializers as s
from ..examples import (
    CAMPAIGN_EXAMPLE,
    SENDING_DOMAIN_UNVERIFIED_400,
    SPAM_REPORT_EXAMPLE,
    STATS_EXAMPLE,
    campaign_action_responses,
)
from .common import (
    campaign_or_404,
    lead_referenced,
    list_referenced,
    segment_referenced,
    template_referenced,
)


class CampaignListView(TenantAPIView):
    required_capability = {"GET": "workspace.view", "POST": "campaign.draft"}
    serializer_class = s.CampaignOutput

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_list",
        summary="List campaigns",
        parameters=[s.CampaignListQuery],
        responses={200: s.CampaignOutput(many=True), **problem_responses(400, 401, 403)},
        examples=[OpenApiExample("Campaigns", value=[CAMPAIGN_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        params = query_params(s.CampaignListQuery, request)
        campaigns = selectors.campaign_list(
            status=params.get("status", ""), deleted=params["deleted"]
        )
        return self.paginated_response(campaigns, s.CampaignOutput)

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_create",
        summary="Create a draft campaign",
        description="`from_email` must be on one of the organisation's verified sending "
        "domains (400 `sending_domain_unverified`), or empty for the platform's address.",
        request=s.CampaignInput,
        responses={
            201: s.CampaignOutput,
            **problem_responses(400, 401, 403, 404),
            **SENDING_DOMAIN_UNVERIFIED_400,
        },
        examples=[
            OpenApiExample(
                "Create",
                request_only=True,
                value={"name": "Django 5.2 upgrade offer", "template": "0b7c…", "list": "4d2e…"},
            ),
            OpenApiExample(
                "Created", response_only=True, status_codes=["201"], value=CAMPAIGN_EXAMPLE
            ),
        ],
    )
    def post(self, request):
        data = s.CampaignInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        campaign = services.campaign_create(
            name=v["name"],
            template=template_referenced(v.get("template")),
            lead_list=list_referenced(v.get("list")),
            segment=segment_referenced(v.get("segment")),
            from_email=v.get("from_email", ""),
            reply_to=v.get("reply_to", ""),
            created_by=getattr(request.user, "email", "") or "",
        )
        return Response(s.CampaignOutput(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailView(TenantAPIView):
    required_capability = {
        "GET": "workspace.view",
        "PUT": "campaign.draft",
        "DELETE": "campaign.draft",
    }
    serializer_class = s.CampaignOutput

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_retrieve",
        summary="Get a campaign",
        responses={200: s.CampaignOutput, **problem_responses(401, 403, 404)},
        examples=[OpenApiExample("Campaign", value=CAMPAIGN_EXAMPLE, response_only=True)],
    )
    def get(self, request, campaign_id):
        return Response(s.CampaignOutput(campaign_or_404(campaign_id, include_deleted=True)).data)

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_update",
        summary="Edit a campaign (draft, scheduled or paused)",
        description="Refused with 409 `campaign_not_editable` while sending or once finished. "
        "A new `from_email` must be on one of the organisation's verified sending domains "
        "(400 `sending_domain_unverified`), or empty for the platform's address.",
        request=s.CampaignUpdateInput,
        responses={
            200: s.CampaignOutput,
            **problem_responses(400, 401, 403, 404, 409),
            **SENDING_DOMAIN_UNVERIFIED_400,
        },
        examples=[OpenApiExample("Rename", request_only=True, value={"name": "Spring offer"})],
    )
    def put(self, request, campaign_id):
        campaign = campaign_or_404(campaign_id)
        data = s.CampaignUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        unchanged = services.UNCHANGED
        campaign = services.campaign_update(
            campaign=campaign,
            name=v.get("name", unchanged),
            template=template_referenced(v["template"]) if "template" in v else unchanged,
            lead_list=list_referenced(v["list"]) if "list" in v else unchanged,
            segment=segment_referenced(v["segment"]) if "segment" in v else unchanged,
            from_email=v.get("from_email", unchanged),
            reply_to=v.get("reply_to", unchanged),
        )
        return Response(s.CampaignOutput(campaign).data)

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_destroy",
        summary="Delete a campaign (restorable for 30 days)",
        description="Refused with 409 `campaign_sending` while it is sending.",
        responses={204: None, **problem_responses(401, 403, 404, 409)},
    )
    def delete(self, request, campaign_id):
        services.campaign_delete(campaign=campaign_or_404(campaign_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CampaignActionView(TenantAPIView):
    """POST /api/campaigns/{id}/<action>: the state machine's transitions."""

    serializer_class = s.CampaignOutput
    action_name = ""
    success_status: int = status.HTTP_200_OK

    def post(self, request, campaign_id):
        action = self.action_name
        campaign = campaign_or_404(campaign_id, include_deleted=action == "restore")
        send_at = None
        if action == "schedule":
            data = s.ScheduleInput(data=request.data)
            data.is_valid(raise_exception=True)
            send_at = data.validated_data["send_at"]
        campaign = services.campaign_action_apply(
            campaign=campaign,
            action=action,
            tenant=request.tenant,
            user=request.user,
            send_at=send_at,
        )
        return Response(s.CampaignOutput(campaign).data, status=self.success_status)


class CampaignScheduleView(CampaignActionView):
    required_capability = "campaign.send"
    action_name = "schedule"

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_schedule",
        summary="Schedule a campaign",
        description="Runs the content check (400 `campaign_spam_blocked` "
        "with reasons), needs a postal address (400 `postal_address_required`), a non-empty "
        "audience and a future time (400 `schedule_in_past`). Beat starts it at `send_at`.",
        request=s.ScheduleInput,
        responses=campaign_action_responses("schedule", s.CampaignOutput),
    )
    def post(self, request, campaign_id):
        return super().post(request, campaign_id)


class CampaignSendNowView(CampaignActionView):
    required_capability = "campaign.send"
    action_name = "send-now"
    success_status = status.HTTP_202_ACCEPTED

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_send_now",
        summary="Start sending now",
        description="Same checks as scheduling; answers 202 while Celery workers send.",
        request=None,
        responses=campaign_action_responses("send-now", s.CampaignOutput, code=202),
    )
    def post(self, request, campaign_id):
        return super().post(request, campaign_id)


class CampaignPauseView(CampaignActionView):
    required_capability = "campaign.pause"
    action_name = "pause"

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_pause",
        summary="Pause a sending campaign",
        description="Queued messages wait; nothing is dropped.",
        request=None,
        responses=campaign_action_responses("pause", s.CampaignOutput),
    )
    def post(self, request, campaign_id):
        return super().post(request, campaign_id)


class CampaignResumeView(CampaignActionView):
    required_capability = "campaign.send"
    action_name = "resume"

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_resume",
        summary="Resume a paused campaign",
        description="Refused while sending is paused for the organisation's bounce "
        "or complaint rate (409 `tenant_sending_paused`).",
        request=None,
        responses=campaign_action_responses("resume", s.CampaignOutput),
    )
    def post(self, request, campaign_id):
        return super().post(request, campaign_id)


class CampaignCancelView(CampaignActionView):
    required_capability = "campaign.send"
    action_name = "cancel"

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_cancel",
        summary="Cancel a campaign",
        description="Queued messages are skipped.",
        request=None,
        responses=campaign_action_responses("cancel", s.CampaignOutput),
    )
    def post(self, request, campaign_id):
        return super().post(request, campaign_id)


class CampaignDuplicateView(CampaignActionView):
    required_capability = "campaign.draft"
    action_name = "duplicate"
    success_status = status.HTTP_201_CREATED

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_duplicate",
        summary="Duplicate a campaign as a new draft",
        description="",
        request=None,
        responses=campaign_action_responses("duplicate", s.CampaignOutput, code=201),
    )
    def post(self, request, campaign_id):
        return super().post(request, campaign_id)


class CampaignRestoreView(CampaignActionView):
    required_capability = "campaign.draft"
    action_name = "restore"

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_restore",
        summary="Restore a deleted campaign",
        description="Within 30 days of deletion.",
        request=None,
        responses=campaign_action_responses("restore", s.CampaignOutput),
    )
    def post(self, request, campaign_id):
        return super().post(request, campaign_id)


class CampaignTestSendView(TenantAPIView):
    required_capability = "campaign.test_send"

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_test_send",
        summary="Send a test to at most 5 addresses",
        description="A member may only send a test to their own address; other addresses need "
        "the admin role (403 `permission_denied`, capability `campaign.test_send_any`).",
        request=s.TestSendInput,
        responses={
            200: {"type": "object", "properties": {"sent": {"type": "integer"}}},
            **problem_responses(400, 401, 402, 403, 404),
        },
        examples=[
            OpenApiExample("Test", request_only=True, value={"emails": ["me@acme.example"]}),
            OpenApiExample("Sent", response_only=True, value={"sent": 1}),
        ],
    )
    def post(self, request, campaign_id):
        campaign = campaign_or_404(campaign_id)
        data = s.TestSendInput(data=request.data)
        data.is_valid(raise_exception=True)
        ensure_capability(
            role=request_role(request),
            name=capability_for_test_send(
                own_email=request.user.email, emails=data.validated_data["emails"]
            ),
        )
        lead = lead_referenced(data.validated_data.get("lead"))
        sent = services.campaign_test_send(
            campaign=campaign,
            tenant=request.tenant,
            emails=data.validated_data["emails"],
            lead=lead,
        )
        return Response({"sent": sent})


class CampaignSpamCheckView(TenantAPIView):
    required_capability = "workspace.view"

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_spam_check",
        summary="Content check of the campaign's template",
        responses={200: s.SpamCheckOutput, **problem_responses(400, 401, 403, 404)},
        examples=[OpenApiExample("Report", response_only=True, value=SPAM_REPORT_EXAMPLE)],
    )
    def get(self, request, campaign_id):
        report = services.campaign_spam_check(
            campaign=campaign_or_404(campaign_id), tenant=request.tenant
        )
        return Response(report)


class CampaignStatsView(TenantAPIView):
    required_capability = "workspace.view"

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_stats",
        summary="Campaign analytics",
        description="Counts, human vs. machine opens and clicks (machine: Apple "
        "Mail Privacy Protection, HEAD requests, scanner agents, clicks "
        "within seconds of sending), rates, per-link clicks and an "
        "hourly timeline.",
        responses={200: {"type": "object"}, **problem_responses(401, 403, 404)},
        examples=[OpenApiExample("Stats", response_only=True, value=STATS_EXAMPLE)],
    )
    def get(self, request, campaign_id):
        return Response(
            selectors.campaign_stats(campaign=campaign_or_404(campaign_id, include_deleted=True))
        )
