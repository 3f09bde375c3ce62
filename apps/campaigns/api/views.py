"""Tenant API for leads, lists, segments, templates, campaigns and analytics (thin views)."""

from __future__ import annotations

import csv

from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.schema import problem_response, problem_responses
from apps.core.api.views import TenantAPIView
from apps.core.errors import NotFound

from .. import imports, selectors, services
from ..models import Campaign, EmailTemplate, Lead, LeadImport, LeadList, Segment, Suppression
from . import serializers as s

CAMPAIGN_ID = "6c1f0c1e-2b1e-4f59-9d0c-0d7c1c4c9a10"
CAMPAIGN_EXAMPLE = {
    "id": CAMPAIGN_ID,
    "name": "Django 5.2 upgrade offer",
    "status": "draft",
    "status_reason": "",
    "template": "0b7c…",
    "list": "4d2e…",
    "segment": None,
    "audience_removed": "",
    "from_email": "Ada <ada@acme.example>",
    "reply_to": "",
    "send_at": None,
    "started_at": None,
    "finished_at": None,
    "recipients": 0,
    "spam_score": None,
    "spam_reasons": [],
    "deleted_at": None,
    "created_at": "2026-05-01T09:00:00Z",
    "updated_at": "2026-05-01T09:00:00Z",
}
LEAD_EXAMPLE = {
    "email": "grace@example.com",
    "first_name": "Grace",
    "last_name": "Hopper",
    "company": "Navy",
    "github_username": "grace",
    "attributes": {"plan": "pro"},
    "tags": ["python"],
}
LEAD_GITHUB_DESCRIPTION = (
    "With a `github_username` or a `github_url` (a profile or a repository), the lead's public "
    "repositories are analysed automatically after the lead is saved: a repository URL is "
    "analysed as given; for an account, its most recently pushed public repositories (forks, "
    "archived and empty ones skipped, at most `LEAD_REPOSITORIES_MAX`, 5 by default) are "
    "queued. The stack found becomes the `{{ lead.stack.* }}` template variables and the "
    "`technologies` segment filter. The response does not wait for GitHub: an unknown account, "
    "GitHub being unavailable or the plan's analysis allowance being used up never fails the "
    "request. Repositories analysed in the last `LEAD_REPOSITORIES_FRESH_DAYS` are not "
    "analysed again, and each analysis counts against the plan's monthly analyses."
)
TEMPLATE_EXAMPLE = {
    "name": "Upgrade offer",
    "subject": "Hi {{ lead.first_name|default:'there' }}",
    "html": "<p>Hello {{ lead.first_name }}, we saw {{ lead.company }} uses Django.</p>",
    "text": "",
}


def _uuid_or_404(model, public_id, label: str):
    if public_id is None:
        return None
    obj = model.objects.filter(public_id=public_id).first()
    if obj is None:
        raise NotFound(f"No {label} with id {public_id}.", code=f"{label}_not_found")
    return obj


def _campaign(campaign_id, include_deleted: bool = False) -> Campaign:
    try:
        return selectors.campaign_get(public_id=campaign_id, include_deleted=include_deleted)
    except Campaign.DoesNotExist as exc:
        raise NotFound("No campaign with this id.", code="campaign_not_found") from exc


def _user_email(request) -> str:
    return getattr(request.user, "email", "") or ""


# --- Campaigns --------------------------------------------------------------------------------


class CampaignListView(TenantAPIView):
    serializer_class = s.CampaignOutput

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_list",
        summary="List campaigns",
        parameters=[
            OpenApiParameter("status", str, description="Filter by state."),
            OpenApiParameter("deleted", bool, description="Only soft-deleted ones."),
        ],
        responses={200: s.CampaignOutput(many=True), **problem_responses(401, 403)},
        examples=[OpenApiExample("Campaigns", value=[CAMPAIGN_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        qs = Campaign.objects.select_related("template", "lead_list", "segment")
        if request.query_params.get("deleted") in ("1", "true"):
            qs = qs.filter(deleted_at__isnull=False)
        else:
            qs = qs.filter(deleted_at__isnull=True)
        if request.query_params.get("status"):
            qs = qs.filter(status=request.query_params["status"])
        return self.paginated_response(qs, s.CampaignOutput)

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_create",
        summary="Create a draft campaign",
        request=s.CampaignInput,
        responses={201: s.CampaignOutput, **problem_responses(400, 401, 403, 404)},
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
            template=_uuid_or_404(EmailTemplate, v.get("template"), "template"),
            lead_list=_uuid_or_404(LeadList, v.get("list"), "list"),
            segment=_uuid_or_404(Segment, v.get("segment"), "segment"),
            from_email=v.get("from_email", ""),
            reply_to=v.get("reply_to", ""),
            created_by=_user_email(request),
        )
        return Response(s.CampaignOutput(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailView(TenantAPIView):
    serializer_class = s.CampaignOutput

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_retrieve",
        summary="Get a campaign",
        responses={200: s.CampaignOutput, **problem_responses(401, 403, 404)},
        examples=[OpenApiExample("Campaign", value=CAMPAIGN_EXAMPLE, response_only=True)],
    )
    def get(self, request, campaign_id):
        return Response(s.CampaignOutput(_campaign(campaign_id, include_deleted=True)).data)

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_update",
        summary="Edit a campaign (draft, scheduled or paused)",
        description="Refused with 409 `campaign_not_editable` while sending or once finished.",
        request=s.CampaignUpdateInput,
        responses={200: s.CampaignOutput, **problem_responses(400, 401, 403, 404, 409)},
        examples=[OpenApiExample("Rename", request_only=True, value={"name": "Spring offer"})],
    )
    def put(self, request, campaign_id):
        campaign = _campaign(campaign_id)
        data = s.CampaignUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        fields = {k: v[k] for k in ("name", "from_email", "reply_to") if k in v}
        if "template" in v:
            fields["template"] = _uuid_or_404(EmailTemplate, v["template"], "template")
        if "list" in v:
            fields["lead_list"] = _uuid_or_404(LeadList, v["list"], "list")
        if "segment" in v:
            fields["segment"] = _uuid_or_404(Segment, v["segment"], "segment")
        campaign = services.campaign_update(campaign=campaign, **fields)
        return Response(s.CampaignOutput(campaign).data)

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_destroy",
        summary="Delete a campaign (restorable for 30 days)",
        description="Refused with 409 `campaign_sending` while it is sending.",
        responses={204: None, **problem_responses(401, 403, 404, 409)},
    )
    def delete(self, request, campaign_id):
        services.campaign_delete(campaign=_campaign(campaign_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CampaignActionView(TenantAPIView):
    """POST /api/campaigns/{id}/<action>: the state machine's transitions."""

    serializer_class = s.CampaignOutput
    action_name = ""

    def post(self, request, campaign_id):
        action = self.action_name
        campaign = _campaign(campaign_id, include_deleted=action == "restore")
        tenant = request.tenant
        if action == "schedule":
            data = s.ScheduleInput(data=request.data)
            data.is_valid(raise_exception=True)
            campaign = services.campaign_schedule(
                campaign=campaign, tenant=tenant, send_at=data.validated_data["send_at"]
            )
        elif action == "send-now":
            campaign = services.campaign_send_now(campaign=campaign, tenant=tenant)
            return Response(s.CampaignOutput(campaign).data, status=status.HTTP_202_ACCEPTED)
        elif action == "pause":
            campaign = services.campaign_pause(
                campaign=campaign, reason=f"Paused by {_user_email(request)}"
            )
        elif action == "resume":
            campaign = services.campaign_resume(campaign=campaign, tenant=tenant)
        elif action == "cancel":
            campaign = services.campaign_cancel(campaign=campaign)
        elif action == "restore":
            campaign = services.campaign_restore(campaign=campaign)
        elif action == "duplicate":
            copy = services.campaign_duplicate(campaign=campaign, created_by=_user_email(request))
            return Response(s.CampaignOutput(copy).data, status=status.HTTP_201_CREATED)
        return Response(s.CampaignOutput(campaign).data)


def _action(name: str, summary: str, description: str, *, request=None, code: int = 200):
    def post(self, request, campaign_id):
        return CampaignActionView.post(self, request, campaign_id)

    view = type(
        f"Campaign{name.title().replace('-', '')}View", (CampaignActionView,), {"action_name": name}
    )
    view.post = extend_schema(
        tags=["campaigns"],
        operation_id=f"campaigns_{name.replace('-', '_')}",
        summary=summary,
        description=description,
        request=request,
        responses={
            code: s.CampaignOutput,
            **problem_responses(400, 401, 403, 404),
            **problem_response(
                409,
                "campaign_invalid_transition",
                f"Cannot {name} a campaign that is sent.",
                title="Not allowed in the campaign's current state",
                extra={"campaign_status": "sent", "action": name},
            ),
        },
    )(post)
    return view


CampaignScheduleView = _action(
    "schedule",
    "Schedule a campaign",
    "Runs the content check (400 `campaign_spam_blocked` "
    "with reasons), needs a postal address (400 `postal_address_required`), a non-empty "
    "audience and a future time (400 `schedule_in_past`). Beat starts it at `send_at`.",
    request=s.ScheduleInput,
)
CampaignSendNowView = _action(
    "send-now",
    "Start sending now",
    "Same checks as scheduling; answers 202 while Celery workers send.",
    code=202,
)
CampaignPauseView = _action(
    "pause", "Pause a sending campaign", "Queued messages wait; nothing is dropped."
)
CampaignResumeView = _action(
    "resume",
    "Resume a paused campaign",
    "Refused while sending is paused for the organisation's bounce "
    "or complaint rate (409 `tenant_sending_paused`).",
)
CampaignCancelView = _action("cancel", "Cancel a campaign", "Queued messages are skipped.")
CampaignDuplicateView = _action("duplicate", "Duplicate a campaign as a new draft", "", code=201)
CampaignRestoreView = _action(
    "restore", "Restore a deleted campaign", "Within 30 days of deletion."
)


class CampaignTestSendView(TenantAPIView):
    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_test_send",
        summary="Send a test to at most 5 addresses",
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
        campaign = _campaign(campaign_id)
        data = s.TestSendInput(data=request.data)
        data.is_valid(raise_exception=True)
        lead = _uuid_or_404(Lead, data.validated_data.get("lead"), "lead")
        sent = services.campaign_test_send(
            campaign=campaign,
            tenant=request.tenant,
            emails=data.validated_data["emails"],
            lead=lead,
        )
        return Response({"sent": sent})


class CampaignSpamCheckView(TenantAPIView):
    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_spam_check",
        summary="Content check of the campaign's template",
        responses={200: s.SpamCheckOutput, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "Report",
                response_only=True,
                value={
                    "score": 6.5,
                    "threshold": 5.0,
                    "blocked": True,
                    "reasons": [
                        "Subject is mostly capital letters (+2)",
                        "URL shorteners: bit.ly (+3)",
                    ],
                },
            )
        ],
    )
    def get(self, request, campaign_id):
        report = services.campaign_spam_check(
            campaign=_campaign(campaign_id), tenant=request.tenant
        )
        return Response(report)


class CampaignStatsView(TenantAPIView):
    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_stats",
        summary="Campaign analytics",
        description="Counts, human vs. machine opens and clicks (machine: Apple "
        "Mail Privacy Protection, HEAD requests, scanner agents, clicks "
        "within seconds of sending), rates, per-link clicks and an "
        "hourly timeline.",
        responses={200: {"type": "object"}, **problem_responses(401, 403, 404)},
        examples=[
            OpenApiExample(
                "Stats",
                response_only=True,
                value={
                    "total": 1000,
                    "sent": 998,
                    "delivered": 990,
                    "bounced": 8,
                    "opens_unique": 420,
                    "opens_machine": 180,
                    "clicks_unique": 61,
                    "rates": {"open": 0.4242, "click": 0.0616, "bounce": 0.008},
                    "links": [
                        {
                            "url": "https://acme.example/offer",
                            "human": 70,
                            "machine": 12,
                            "unique": 61,
                        }
                    ],
                    "timeline": [{"hour": "2026-05-01T10:00:00+00:00", "opens": 210, "clicks": 30}],
                },
            )
        ],
    )
    def get(self, request, campaign_id):
        return Response(
            selectors.campaign_stats(campaign=_campaign(campaign_id, include_deleted=True))
        )


# --- Leads ------------------------------------------------------------------------------------


def _lead(lead_id) -> Lead:
    lead = Lead.objects.prefetch_related("lists").filter(public_id=lead_id).first()
    if lead is None:
        raise NotFound("No lead with this id.", code="lead_not_found")
    return lead


def _lists(ids) -> list[LeadList] | None:
    if ids is None:
        return None
    found = list(LeadList.objects.filter(public_id__in=ids))
    if len(found) != len(set(ids)):
        raise NotFound("One of the lists does not exist.", code="list_not_found")
    return found


def _lead_filters(params) -> dict:
    filters: dict = {}
    if params.get("search"):
        filters["search"] = params["search"]
    if params.get("tag"):
        filters["tags_any"] = params.getlist("tag")
    if params.get("list"):
        filters["list"] = params["list"]
    if params.get("opened_within_days", "").isdigit():
        filters["opened_within_days"] = int(params["opened_within_days"])
    return filters


LEAD_FILTER_PARAMS = [
    OpenApiParameter("search", str, description="Email, name or company contains."),
    OpenApiParameter("tag", str, many=True, description="Has any of these tags."),
    OpenApiParameter("list", str, description="Member of this list (id)."),
    OpenApiParameter("segment", str, description="Matches this saved segment (id)."),
    OpenApiParameter("opened_within_days", int, description="Opened (human) recently."),
]


def _leads_for(params):
    qs = Lead.objects.prefetch_related("lists")
    if params.get("segment"):
        segment = _uuid_or_404(Segment, params["segment"], "segment")
        qs = selectors.leads_matching(filters=segment.filters, queryset=qs)
    return selectors.leads_matching(filters=_lead_filters(params), queryset=qs).distinct()


class LeadListView(TenantAPIView):
    serializer_class = s.LeadOutput

    @extend_schema(
        tags=["leads"],
        operation_id="leads_list",
        summary="List leads",
        parameters=LEAD_FILTER_PARAMS,
        responses={200: s.LeadOutput(many=True), **problem_responses(401, 403)},
    )
    def get(self, request):
        return self.paginated_response(_leads_for(request.query_params), s.LeadOutput)

    @extend_schema(
        tags=["leads"],
        operation_id="leads_create",
        summary="Create a lead",
        description=LEAD_GITHUB_DESCRIPTION,
        request=s.LeadInput,
        responses={201: s.LeadOutput, **problem_responses(400, 401, 402, 403, 409)},
        examples=[OpenApiExample("Lead", value=LEAD_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        data = s.LeadInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        lists = _lists(v.pop("lists", None))
        lead = services.lead_create(tenant=request.tenant, lists=lists, **v)
        return Response(s.LeadOutput(lead).data, status=status.HTTP_201_CREATED)


class LeadDetailView(TenantAPIView):
    serializer_class = s.LeadOutput
    required_role = {"DELETE": "admin", "*": "member"}

    @extend_schema(
        tags=["leads"],
        operation_id="leads_retrieve",
        summary="Get a lead",
        responses={200: s.LeadOutput, **problem_responses(401, 403, 404)},
    )
    def get(self, request, lead_id):
        return Response(s.LeadOutput(_lead(lead_id)).data)

    @extend_schema(
        tags=["leads"],
        operation_id="leads_update",
        summary="Update a lead",
        description="Changing `github_username` or `github_url` analyses the lead's "
        "repositories again (saving other fields does not). " + LEAD_GITHUB_DESCRIPTION,
        request=s.LeadUpdateInput,
        responses={200: s.LeadOutput, **problem_responses(400, 401, 403, 404, 409)},
        examples=[OpenApiExample("Tags", request_only=True, value={"tags": ["python", "django"]})],
    )
    def put(self, request, lead_id):
        lead = _lead(lead_id)
        data = s.LeadUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        lists = _lists(v.pop("lists", None))
        lead = services.lead_update(lead=lead, lists=lists, **v)
        return Response(s.LeadOutput(_lead(lead.public_id)).data)

    @extend_schema(
        tags=["leads"],
        operation_id="leads_erase",
        summary="Erase a lead (GDPR)",
        description="Deletes the lead and scrubs its address from past messages; "
        "aggregate campaign counts remain. Admins only.",
        responses={204: None, **problem_responses(401, 403, 404)},
    )
    def delete(self, request, lead_id):
        services.lead_erase(lead=_lead(lead_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeadDataExportView(TenantAPIView):
    @extend_schema(
        tags=["leads"],
        operation_id="leads_data_export",
        summary="Everything held about one lead (GDPR access)",
        responses={200: {"type": "object"}, **problem_responses(401, 403, 404)},
        examples=[
            OpenApiExample(
                "Data",
                response_only=True,
                value={"lead": LEAD_EXAMPLE, "suppressed": False, "messages": []},
            )
        ],
    )
    def get(self, request, lead_id):
        return Response(services.lead_export_data(lead=_lead(lead_id)))


class LeadHistoryView(TenantAPIView):
    @extend_schema(
        tags=["leads"],
        operation_id="leads_messages",
        summary="A lead's message history",
        responses={
            200: {"type": "array", "items": {"type": "object"}},
            **problem_responses(401, 403, 404),
        },
    )
    def get(self, request, lead_id):
        return Response(selectors.lead_history(lead=_lead(lead_id)))


class _Echo:
    def write(self, value):
        return value


def csv_stream(rows, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class LeadExportView(TenantAPIView):
    @extend_schema(
        tags=["leads"],
        operation_id="leads_export",
        summary="Export leads as CSV",
        parameters=LEAD_FILTER_PARAMS,
        responses={(200, "text/csv"): {"type": "string"}, **problem_responses(401, 403)},
    )
    def get(self, request):
        return csv_stream(imports.leads_export_rows(_leads_for(request.query_params)), "leads.csv")


class LeadImportView(TenantAPIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=["leads"],
        operation_id="leads_import",
        summary="Import leads from CSV (runs in the background)",
        description="Streams the file in a Celery task: maps columns (automatic "
        "from headers, or `mapping`), dedupes, validates each row, skips "
        "suppressed addresses. Poll the returned import for progress; "
        "download per-row problems from its `errors` link. A file over the "
        "limit (`CAMPAIGN_IMPORT_MAX_BYTES`, 200 MiB by default) is 413 `import_too_large`, "
        "refused by its Content-Length before the file is stored.",
        request={"multipart/form-data": s.ImportInput},
        responses={
            202: s.ImportOutput,
            **problem_responses(400, 401, 403),
            **problem_response(
                413,
                "import_too_large",
                "The file is 250.0 MB; imports take at most 200.0 MB.",
                title="Payload too large",
            ),
        },
    )
    def post(self, request):
        # Refuse by the announced length first, before the body is parsed and spooled to disk.
        length = request.META.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            imports.import_size_check(size=int(length), allowance=imports.MULTIPART_ALLOWANCE)
        data = s.ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        lead_list = _uuid_or_404(LeadList, data.validated_data.get("list"), "list")
        job = imports.lead_import_create(
            upload=data.validated_data["file"],
            mapping=data.validated_data.get("mapping"),
            lead_list=lead_list,
        )
        return Response(
            s.ImportOutput(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/leads/imports/{job.public_id}"},
        )


def _import(import_id) -> LeadImport:
    job = LeadImport.objects.filter(public_id=import_id).first()
    if job is None:
        raise NotFound("No import with this id.", code="import_not_found")
    return job


class LeadImportDetailView(TenantAPIView):
    @extend_schema(
        tags=["leads"],
        operation_id="leads_import_status",
        summary="Import status and progress",
        responses={200: s.ImportOutput, **problem_responses(401, 403, 404)},
    )
    def get(self, request, import_id):
        return Response(s.ImportOutput(_import(import_id)).data)


class LeadImportErrorsView(TenantAPIView):
    @extend_schema(
        tags=["leads"],
        operation_id="leads_import_errors",
        summary="Per-row problems of an import, as CSV",
        responses={(200, "text/csv"): {"type": "string"}, **problem_responses(401, 403, 404)},
    )
    def get(self, request, import_id):
        job = _import(import_id)
        if not job.errors_path:
            raise NotFound("This import has not started yet.", code="import_not_started")
        return FileResponse(
            open(job.errors_path, "rb"),
            as_attachment=True,
            filename=f"import-{job.public_id}-errors.csv",
            content_type="text/csv",
        )


# --- Lists, segments, suppression -------------------------------------------------------------


LIST_ID = "4d2e8f3a-51c7-4b0e-9a57-2f1c0d9e6b11"
SEGMENT_ID = "9b0d3c5e-7a21-4f6e-8c3d-1e2f4a5b6c7d"
LIST_EXAMPLE = {
    "id": LIST_ID,
    "name": "Django shops",
    "lead_count": 128,
    "created_at": "2026-05-01T09:00:00Z",
}
SEGMENT_FILTERS_EXAMPLE = {"tags_any": ["python"], "opened_within_days": 30}
SEGMENT_EXAMPLE = {
    "id": SEGMENT_ID,
    "name": "Engaged Python",
    "filters": SEGMENT_FILTERS_EXAMPLE,
    "created_at": "2026-05-01T09:00:00Z",
}
SEGMENT_FILTERS_DOC = (
    "Filters: `tags_any`, `tags_all`, `attributes` (exact values), `company`, `email_domain`, "
    "`list`, `search`, `opened_within_days`, `clicked_within_days`, `not_opened_within_days`, "
    "`technologies` (detector slugs: leads whose GitHub username owns a repository whose latest "
    "analysis found one of them). Unknown filters and wrong types are 400 `validation_error` "
    "with an entry per filter."
)


def _in_use_409(what: str) -> dict:
    return problem_response(
        409,
        f"{what}_in_use",
        f"This {what} is the audience of campaigns that are scheduled, sending or paused: "
        "Spring offer (scheduled). Cancel them, or let them finish, before deleting it.",
        title="Used by an active campaign",
        extra={"campaigns": [{"id": CAMPAIGN_ID, "name": "Spring offer", "status": "scheduled"}]},
    )


def _name_taken_409(what: str) -> dict:
    return problem_response(
        409,
        f"{what}_exists",
        f"A {what} named 'Django shops' already exists.",
        title="Conflict",
    )


def _rename_responses(output, resource: str) -> dict:
    """PUT and PATCH of a named list or segment: what they answer."""
    return {
        200: output,
        **problem_responses(400, 401, 403, 404),
        **_name_taken_409(resource),
    }


def _list(list_id) -> LeadList:
    lead_list = selectors.lists_with_counts().filter(public_id=list_id).first()
    if lead_list is None:
        raise NotFound("No list with this id.", code="list_not_found")
    return lead_list


def _segment(segment_id) -> Segment:
    segment = Segment.objects.filter(public_id=segment_id).first()
    if segment is None:
        raise NotFound("No segment with this id.", code="segment_not_found")
    return segment


def _leads_by_ids(ids) -> list[Lead]:
    wanted = set(ids)
    found = list(Lead.objects.filter(public_id__in=wanted))
    missing = sorted(str(i) for i in wanted - {lead.public_id for lead in found})
    if missing:
        raise NotFound(
            f"{len(missing)} of the leads do not exist: {', '.join(missing[:10])}.",
            code="lead_not_found",
            extra={"missing": missing},
        )
    return found


class LeadListsView(TenantAPIView):
    serializer_class = s.ListOutput

    @extend_schema(
        tags=["leads"],
        operation_id="lists_list",
        summary="Lists",
        responses={200: s.ListOutput(many=True), **problem_responses(401, 403)},
        examples=[OpenApiExample("Lists", value=[LIST_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        return self.paginated_response(selectors.lists_with_counts(), s.ListOutput)

    @extend_schema(
        tags=["leads"],
        operation_id="lists_create",
        summary="Create a list",
        description="Names are unique, ignoring case (409 `list_exists`).",
        request=s.NameInput,
        responses={
            201: s.ListOutput,
            **problem_responses(400, 401, 403),
            **_name_taken_409("list"),
        },
        examples=[
            OpenApiExample("List", request_only=True, value={"name": "Django shops"}),
            OpenApiExample(
                "Created",
                response_only=True,
                status_codes=["201"],
                value={**LIST_EXAMPLE, "lead_count": 0},
            ),
        ],
    )
    def post(self, request):
        data = s.NameInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            s.ListOutput(services.list_create(name=data.validated_data["name"])).data,
            status=status.HTTP_201_CREATED,
        )


class LeadListDetailView(TenantAPIView):
    serializer_class = s.ListOutput
    required_role = {"DELETE": "admin", "*": "member"}

    @extend_schema(
        tags=["leads"],
        operation_id="lists_retrieve",
        summary="Get a list",
        responses={200: s.ListOutput, **problem_responses(401, 403, 404)},
        examples=[OpenApiExample("List", value=LIST_EXAMPLE, response_only=True)],
    )
    def get(self, request, list_id):
        return Response(s.ListOutput(_list(list_id)).data)

    def _rename(self, request, list_id, *, partial: bool):
        lead_list = _list(list_id)
        data = s.NameInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        if "name" in data.validated_data:
            services.list_update(lead_list=lead_list, name=data.validated_data["name"])
        return Response(s.ListOutput(_list(list_id)).data)

    @extend_schema(
        tags=["leads"],
        operation_id="lists_update",
        summary="Rename a list",
        description="Names are unique, ignoring case (409 `list_exists`).",
        request=s.NameInput,
        responses=_rename_responses(s.ListOutput, "list"),
        examples=[
            OpenApiExample("Rename", request_only=True, value={"name": "Django agencies"}),
        ],
    )
    def put(self, request, list_id):
        return self._rename(request, list_id, partial=False)

    @extend_schema(
        tags=["leads"],
        operation_id="lists_partial_update",
        summary="Rename a list (partial)",
        description="Like PUT; an empty body changes nothing.",
        request=s.NameInput,
        responses=_rename_responses(s.ListOutput, "list"),
        examples=[
            OpenApiExample("Rename", request_only=True, value={"name": "Django agencies"}),
        ],
    )
    def patch(self, request, list_id):
        return self._rename(request, list_id, partial=True)

    @extend_schema(
        tags=["leads"],
        operation_id="lists_destroy",
        summary="Delete a list (admins; its leads stay)",
        description="Refused with 409 `list_in_use` while a scheduled, sending or paused "
        "campaign sends to the list, directly or through a segment filtering on it; the "
        "answer lists those campaigns. Other campaigns that used it keep their reports: their "
        "`list` becomes null and `audience_removed` records the list's name, and such a draft "
        "must choose an audience again before it can be sent (400 `campaign_audience_deleted`).",
        responses={204: None, **problem_responses(401, 403, 404), **_in_use_409("list")},
    )
    def delete(self, request, list_id):
        services.list_delete(lead_list=_list(list_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeadListLeadsView(TenantAPIView):
    """Bulk membership: add or remove up to 1,000 leads per request."""

    @extend_schema(
        tags=["leads"],
        operation_id="lists_leads_add",
        summary="Add leads to a list",
        description="Idempotent: leads already in the list are left alone and not counted in "
        "`added`. Unknown lead ids are 404 `lead_not_found` (with `missing`) and nothing "
        "changes. Refused with 402 while the organisation holds more leads than its plan "
        "allows. To replace one lead's lists, use `PUT /api/leads/{id}` with `lists`.",
        request=s.LeadIdsInput,
        responses={
            200: s.ListLeadsAddedOutput,
            **problem_responses(400, 401, 402, 403, 404),
        },
        examples=[
            OpenApiExample(
                "Add",
                request_only=True,
                value={"leads": ["2f0e4c1a-8d3b-4e5f-a6b7-c8d9e0f1a2b3"]},
            ),
            OpenApiExample("Added", response_only=True, value={"added": 1, "lead_count": 129}),
        ],
    )
    def post(self, request, list_id):
        lead_list = _list(list_id)
        data = s.LeadIdsInput(data=request.data)
        data.is_valid(raise_exception=True)
        added = services.list_leads_add(
            lead_list=lead_list, leads=_leads_by_ids(data.validated_data["leads"])
        )
        return Response({"added": added, "lead_count": _list(list_id).lead_count})

    @extend_schema(
        tags=["leads"],
        operation_id="lists_leads_remove",
        summary="Remove leads from a list",
        description="The leads themselves stay. Give the ids as repeated `lead` query "
        'parameters, or (for more than fit in a URL) as a JSON body `{"leads": [...]}`; '
        "at most 1,000. Leads that are not members count as not `removed`; unknown ids are "
        "404 `lead_not_found` and nothing changes.",
        parameters=[OpenApiParameter("lead", OpenApiTypes.UUID, many=True, description="Lead id.")],
        responses={
            200: s.ListLeadsRemovedOutput,
            **problem_responses(400, 401, 403, 404),
        },
        examples=[
            OpenApiExample("Removed", response_only=True, value={"removed": 1, "lead_count": 128})
        ],
    )
    def delete(self, request, list_id):
        lead_list = _list(list_id)
        payload = request.data if request.data else {"leads": request.query_params.getlist("lead")}
        data = s.LeadIdsInput(data=payload)
        data.is_valid(raise_exception=True)
        removed = services.list_leads_remove(
            lead_list=lead_list, leads=_leads_by_ids(data.validated_data["leads"])
        )
        return Response({"removed": removed, "lead_count": _list(list_id).lead_count})


class SegmentsView(TenantAPIView):
    serializer_class = s.SegmentOutput

    @extend_schema(
        tags=["leads"],
        operation_id="segments_list",
        summary="Saved segments",
        responses={200: s.SegmentOutput(many=True), **problem_responses(401, 403)},
        examples=[OpenApiExample("Segments", value=[SEGMENT_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        return self.paginated_response(Segment.objects.all(), s.SegmentOutput)

    @extend_schema(
        tags=["leads"],
        operation_id="segments_create",
        summary="Save a segment",
        description=SEGMENT_FILTERS_DOC + " Names are unique, ignoring case (409 "
        "`segment_exists`).",
        request=s.SegmentInput,
        responses={
            201: s.SegmentOutput,
            **problem_responses(400, 401, 403),
            **_name_taken_409("segment"),
        },
        examples=[
            OpenApiExample(
                "Engaged Python leads",
                request_only=True,
                value={"name": "Engaged Python", "filters": SEGMENT_FILTERS_EXAMPLE},
            ),
            OpenApiExample(
                "Created", response_only=True, status_codes=["201"], value=SEGMENT_EXAMPLE
            ),
        ],
    )
    def post(self, request):
        data = s.SegmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        segment = services.segment_create(**data.validated_data)
        return Response(s.SegmentOutput(segment).data, status=status.HTTP_201_CREATED)


def _segment_detail(segment: Segment) -> dict:
    counts = selectors.audience_counts(leads=selectors.segment_leads(segment=segment))
    segment.lead_count, segment.recipient_count = counts["leads"], counts["recipients"]
    return s.SegmentDetailOutput(segment).data


SEGMENT_DETAIL_EXAMPLE = {**SEGMENT_EXAMPLE, "lead_count": 42, "recipient_count": 40}


class SegmentDetailView(TenantAPIView):
    serializer_class = s.SegmentDetailOutput
    required_role = {"DELETE": "admin", "*": "member"}

    @extend_schema(
        tags=["leads"],
        operation_id="segments_retrieve",
        summary="Get a segment, with how many leads it matches",
        description="`lead_count`: leads matching now; `recipient_count`: of those, the ones "
        "not suppressed (what a campaign to this segment would send to).",
        responses={200: s.SegmentDetailOutput, **problem_responses(401, 403, 404)},
        examples=[OpenApiExample("Segment", value=SEGMENT_DETAIL_EXAMPLE, response_only=True)],
    )
    def get(self, request, segment_id):
        return Response(_segment_detail(_segment(segment_id)))

    def _update(self, request, segment_id, *, partial: bool):
        segment = _segment(segment_id)
        data = s.SegmentInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        segment = services.segment_update(segment=segment, **data.validated_data)
        return Response(_segment_detail(segment))

    @extend_schema(
        tags=["leads"],
        operation_id="segments_update",
        summary="Replace a segment's name and filters",
        description=SEGMENT_FILTERS_DOC + " Names are unique, ignoring case (409 "
        "`segment_exists`). Changing the filters is refused with 409 `segment_in_use` while a "
        "campaign is still choosing its recipients from the segment (sending or paused before "
        "all recipients were queued); a scheduled campaign uses the new filters when it starts.",
        request=s.SegmentInput,
        responses=_rename_responses(s.SegmentDetailOutput, "segment"),
        examples=[
            OpenApiExample(
                "Replace",
                request_only=True,
                value={"name": "Engaged Python", "filters": {"tags_all": ["python", "django"]}},
            ),
            OpenApiExample("Updated", response_only=True, value=SEGMENT_DETAIL_EXAMPLE),
        ],
    )
    def put(self, request, segment_id):
        return self._update(request, segment_id, partial=False)

    @extend_schema(
        tags=["leads"],
        operation_id="segments_partial_update",
        summary="Change a segment's name or filters",
        description="Like PUT, with only the fields given. `filters` replaces the whole object.",
        request=s.SegmentInput,
        responses=_rename_responses(s.SegmentDetailOutput, "segment"),
        examples=[
            OpenApiExample("Rename", request_only=True, value={"name": "Python, engaged"}),
            OpenApiExample("Updated", response_only=True, value=SEGMENT_DETAIL_EXAMPLE),
        ],
    )
    def patch(self, request, segment_id):
        return self._update(request, segment_id, partial=True)

    @extend_schema(
        tags=["leads"],
        operation_id="segments_destroy",
        summary="Delete a segment (admins; leads stay)",
        description="Refused with 409 `segment_in_use` while a scheduled, sending or paused "
        "campaign uses it; the answer lists those campaigns. Other campaigns that used it keep "
        "their reports: their `segment` becomes null and `audience_removed` records its name, "
        "and such a draft must choose an audience again before it can be sent.",
        responses={204: None, **problem_responses(401, 403, 404), **_in_use_409("segment")},
    )
    def delete(self, request, segment_id):
        services.segment_delete(segment=_segment(segment_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentLeadsView(TenantAPIView):
    serializer_class = s.LeadOutput

    @extend_schema(
        tags=["leads"],
        operation_id="segments_leads",
        summary="Leads a segment matches now",
        description="Cursor-paginated like `GET /api/leads` (which also takes `?segment=`). "
        "Suppressed leads are included; `GET /api/segments/{id}` gives the counts.",
        responses={200: s.LeadOutput(many=True), **problem_responses(401, 403, 404)},
        examples=[
            OpenApiExample(
                "Leads",
                response_only=True,
                value={"results": [LEAD_EXAMPLE], "next": None, "previous": None},
            )
        ],
    )
    def get(self, request, segment_id):
        return self.paginated_response(
            selectors.segment_leads(
                segment=_segment(segment_id), queryset=Lead.objects.prefetch_related("lists")
            ),
            s.LeadOutput,
        )


class SuppressionsView(TenantAPIView):
    serializer_class = s.SuppressionOutput
    required_role = {"DELETE": "admin", "*": "member"}

    @extend_schema(
        tags=["leads"],
        operation_id="suppressions_list",
        summary="Suppressed addresses",
        responses={200: s.SuppressionOutput(many=True), **problem_responses(401, 403)},
    )
    def get(self, request):
        return self.paginated_response(Suppression.objects.all(), s.SuppressionOutput)

    @extend_schema(
        tags=["leads"],
        operation_id="suppressions_add",
        summary="Suppress an address (manual)",
        request=s.SuppressionInput,
        responses={201: s.SuppressionOutput, **problem_responses(400, 401, 403)},
        examples=[OpenApiExample("Suppress", request_only=True, value={"email": "no@example.com"})],
    )
    def post(self, request):
        data = s.SuppressionInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.suppression_add(
            email=data.validated_data["email"], reason="manual", note=data.validated_data["note"]
        )
        return Response(s.SuppressionOutput(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["leads"],
        operation_id="suppressions_remove",
        summary="Lift a suppression (admins)",
        parameters=[OpenApiParameter("email", str, required=True)],
        responses={204: None, **problem_responses(401, 403, 404)},
    )
    def delete(self, request):
        if not services.suppression_remove(email=request.query_params.get("email", "")):
            raise NotFound("That address is not suppressed.", code="suppression_not_found")
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Templates --------------------------------------------------------------------------------


def _template(template_id) -> EmailTemplate:
    template = EmailTemplate.objects.filter(public_id=template_id).first()
    if template is None:
        raise NotFound("No template with this id.", code="template_not_found")
    return template


TEMPLATE_INVALID = OpenApiExample(
    "Unknown variable",
    response_only=True,
    status_codes=["400"],
    value={
        "type": "https://docs.strato.dev/errors/template_invalid",
        "title": "Validation failed",
        "status": 400,
        "code": "template_invalid",
        "detail": "The template has errors.",
        "errors": {"html": ["Unknown variable: lead.frist_name. Available: …"]},
    },
)


class TemplateListView(TenantAPIView):
    serializer_class = s.TemplateOutput

    @extend_schema(
        tags=["templates"],
        operation_id="templates_list",
        summary="Templates",
        responses={200: s.TemplateOutput(many=True), **problem_responses(401, 403)},
    )
    def get(self, request):
        return self.paginated_response(EmailTemplate.objects.all(), s.TemplateOutput)

    @extend_schema(
        tags=["templates"],
        operation_id="templates_create",
        summary="Create a template",
        description="Django template syntax in a sandbox: `lead.*`, "
        "`lead.attributes.<name>`, `tenant.name`, `campaign.name`, "
        "`unsubscribe_url`; `if`/`for`/`with` and text filters only. "
        "Unknown variables and syntax errors are 400 "
        "`template_invalid`; HTML is sanitised; a missing text part is "
        "generated.",
        request=s.TemplateInput,
        responses={201: s.TemplateOutput, **problem_responses(400, 401, 403)},
        examples=[
            OpenApiExample("Template", request_only=True, value=TEMPLATE_EXAMPLE),
            TEMPLATE_INVALID,
        ],
    )
    def post(self, request):
        data = s.TemplateInput(data=request.data)
        data.is_valid(raise_exception=True)
        template = services.template_create(**data.validated_data)
        return Response(s.TemplateOutput(template).data, status=status.HTTP_201_CREATED)


class TemplateDetailView(TenantAPIView):
    serializer_class = s.TemplateOutput

    @extend_schema(
        tags=["templates"],
        operation_id="templates_retrieve",
        summary="Get a template",
        responses={200: s.TemplateOutput, **problem_responses(401, 403, 404)},
    )
    def get(self, request, template_id):
        return Response(s.TemplateOutput(_template(template_id)).data)

    @extend_schema(
        tags=["templates"],
        operation_id="templates_update",
        summary="Update a template",
        request=s.TemplateUpdateInput,
        responses={200: s.TemplateOutput, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "Subject", request_only=True, value={"subject": "Hello {{ lead.first_name }}"}
            ),
            TEMPLATE_INVALID,
        ],
    )
    def put(self, request, template_id):
        data = s.TemplateUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        template = services.template_update(template=_template(template_id), **data.validated_data)
        return Response(s.TemplateOutput(template).data)

    @extend_schema(
        tags=["templates"],
        operation_id="templates_destroy",
        summary="Delete a template",
        responses={204: None, **problem_responses(401, 403, 404, 409)},
    )
    def delete(self, request, template_id):
        services.template_delete(template=_template(template_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplatePreviewView(TenantAPIView):
    @extend_schema(
        tags=["templates"],
        operation_id="templates_preview",
        summary="Render a template (saved or unsaved) for a lead",
        description="Without `lead`, a sample lead is used. Tracking links are not "
        "inserted in previews; the footer with the postal address is.",
        request=s.PreviewInput,
        responses={200: s.PreviewOutput, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "Unsaved", request_only=True, value={**TEMPLATE_EXAMPLE, "lead": "2f0e…"}
            ),
            TEMPLATE_INVALID,
        ],
    )
    def post(self, request):
        data = s.PreviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        template = _template(v["template"]) if v.get("template") else None
        lead = _lead(v["lead"]) if v.get("lead") else None
        return Response(
            services.template_preview(
                tenant=request.tenant,
                template=template,
                subject=v.get("subject"),
                html=v.get("html"),
                text=v.get("text"),
                lead=lead,
            )
        )


# --- Public host: Resend webhook --------------------------------------------------------------


class ResendWebhookView(APIView):
    """Resend (svix) calls this; the signature is the only credential."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        tags=["webhooks"],
        operation_id="webhooks_resend",
        summary="Resend tracking webhook",
        description="Public host. The svix signature (`svix-id`, `svix-timestamp`, "
        "`svix-signature`) is verified on the raw body; the event is "
        "stored once by `svix-id` and applied by a Celery task: "
        "delivery, deferral, bounce, complaint, open, click. Hard "
        "bounces and complaints suppress the address. The tenant and the "
        "message are read from the event's `tags` (`strato_tenant`, "
        "`strato_message`), which every campaign email is sent with; "
        "events without them are stored and ignored.",
        request={"application/json": {"type": "object"}},
        responses={
            202: {
                "type": "object",
                "properties": {"status": {"type": "string", "enum": ["accepted", "duplicate"]}},
            },
            **problem_responses(400, 401),
        },
        examples=[
            OpenApiExample(
                "Accepted", response_only=True, status_codes=["202"], value={"status": "accepted"}
            )
        ],
    )
    def post(self, request):
        from ..webhooks import resend_webhook_receive

        _, created = resend_webhook_receive(body=request.body, headers=request.headers)
        return Response(
            {"status": "accepted" if created else "duplicate"}, status=status.HTTP_202_ACCEPTED
        )
