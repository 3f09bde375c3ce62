"""Leads: list (filtered), create, read, update, erase; GDPR export, history and CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.query import query_params
from apps.core.api.schema import problem_responses
from apps.core.api.views import TenantAPIView

from ... import selectors, services
from ...csv_cells import safe_row
from .. import serializers as s
from ..examples import LEAD_EXAMPLE, LEAD_GITHUB_DESCRIPTION
from .common import lead_or_404, lists_or_404, segment_referenced


def _leads_for(request):
    params = query_params(s.LeadFilterQuery, request)
    filters: dict[str, Any] = {}
    if params.get("search"):
        filters["search"] = params["search"]
    if params.get("tag"):
        filters["tags_any"] = params["tag"]
    if params.get("list"):
        filters["list"] = str(params["list"])
    if params.get("opened_within_days"):
        filters["opened_within_days"] = params["opened_within_days"]
    segment = segment_referenced(params["segment"]) if params.get("segment") else None
    return selectors.leads_filtered(filters=filters, segment=segment)


class LeadListView(TenantAPIView):
    required_capability = {"GET": "workspace.view", "POST": "lead.manage"}
    serializer_class = s.LeadOutput

    @extend_schema(
        tags=["leads"],
        operation_id="leads_list",
        summary="List leads",
        parameters=[s.LeadFilterQuery],
        responses={200: s.LeadOutput(many=True), **problem_responses(400, 401, 403, 404)},
    )
    def get(self, request):
        return self.paginated_response(_leads_for(request), s.LeadOutput)

    @extend_schema(
        tags=["leads"],
        operation_id="leads_create",
        summary="Create a lead",
        description=LEAD_GITHUB_DESCRIPTION,
        request=s.LeadInput,
        responses={201: s.LeadOutput, **problem_responses(400, 401, 402, 403, 404, 409)},
        examples=[OpenApiExample("Lead", value=LEAD_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        data = s.LeadInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        lists = lists_or_404(v.pop("lists", None))
        lead = services.lead_create(tenant=request.tenant, lists=lists, **v)
        return Response(s.LeadOutput(lead).data, status=status.HTTP_201_CREATED)


class LeadDetailView(TenantAPIView):
    required_capability = {"GET": "workspace.view", "PUT": "lead.manage", "DELETE": "lead.manage"}
    serializer_class = s.LeadOutput

    @extend_schema(
        tags=["leads"],
        operation_id="leads_retrieve",
        summary="Get a lead",
        responses={200: s.LeadOutput, **problem_responses(401, 403, 404)},
    )
    def get(self, request, lead_id):
        return Response(s.LeadOutput(lead_or_404(lead_id)).data)

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
        lead = lead_or_404(lead_id)
        data = s.LeadUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        lists = lists_or_404(v.pop("lists", None))
        lead = services.lead_update(lead=lead, lists=lists, **v)
        return Response(s.LeadOutput(lead_or_404(lead.public_id)).data)

    @extend_schema(
        tags=["leads"],
        operation_id="leads_erase",
        summary="Erase a lead (GDPR)",
        description="Deletes the lead and scrubs its address from past messages; "
        "aggregate campaign counts remain. Admins only.",
        responses={204: None, **problem_responses(401, 403, 404)},
    )
    def delete(self, request, lead_id):
        services.lead_erase(lead=lead_or_404(lead_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeadDataExportView(TenantAPIView):
    required_capability = "lead.export"

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
        return Response(selectors.lead_export_data(lead=lead_or_404(lead_id)))


class LeadHistoryView(TenantAPIView):
    required_capability = "workspace.view"

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
        return Response(selectors.lead_history(lead=lead_or_404(lead_id)))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(safe_row(row)) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class LeadExportView(TenantAPIView):
    required_capability = "lead.export"

    @extend_schema(
        tags=["leads"],
        operation_id="leads_export",
        summary="Export leads as CSV",
        parameters=[s.LeadFilterQuery],
        responses={
            (200, "text/csv"): {"type": "string"},
            **problem_responses(400, 401, 403, 404),
        },
    )
    def get(self, request):
        rows = selectors.leads_export_rows(_leads_for(request))
        return csv_stream(rows, "leads.csv")
