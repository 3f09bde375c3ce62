"""Audiences: lists and their members, saved segments, and the suppression list."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.query import query_params
from apps.core.api.schema import problem_responses
from apps.core.api.views import TenantAPIView
from apps.core.errors import NotFound

from ... import selectors, services
from ...models import Segment
from .. import serializers as s
from ..examples import (
    LEAD_EXAMPLE,
    LIST_EXAMPLE,
    SEGMENT_DETAIL_EXAMPLE,
    SEGMENT_EXAMPLE,
    SEGMENT_FILTERS_DOC,
    SEGMENT_FILTERS_EXAMPLE,
    in_use_409,
    name_taken_409,
    rename_responses,
)
from .common import leads_or_404, list_or_404, segment_or_404


class LeadListsView(TenantAPIView):
    required_capability = {"GET": "workspace.view", "POST": "lead.manage"}
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
            **name_taken_409("list"),
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
    required_capability = {
        "GET": "workspace.view",
        "PUT": "lead.manage",
        "PATCH": "lead.manage",
        "DELETE": "lead.manage",
    }
    serializer_class = s.ListOutput

    @extend_schema(
        tags=["leads"],
        operation_id="lists_retrieve",
        summary="Get a list",
        responses={200: s.ListOutput, **problem_responses(401, 403, 404)},
        examples=[OpenApiExample("List", value=LIST_EXAMPLE, response_only=True)],
    )
    def get(self, request, list_id):
        return Response(s.ListOutput(list_or_404(list_id)).data)

    def _rename(self, request, list_id, *, partial: bool):
        lead_list = list_or_404(list_id)
        data = s.NameInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        if "name" in data.validated_data:
            services.list_update(lead_list=lead_list, name=data.validated_data["name"])
        return Response(s.ListOutput(list_or_404(list_id)).data)

    @extend_schema(
        tags=["leads"],
        operation_id="lists_update",
        summary="Rename a list",
        description="Names are unique, ignoring case (409 `list_exists`).",
        request=s.NameInput,
        responses=rename_responses(s.ListOutput, "list"),
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
        responses=rename_responses(s.ListOutput, "list"),
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
        responses={204: None, **problem_responses(401, 403, 404), **in_use_409("list")},
    )
    def delete(self, request, list_id):
        services.list_delete(lead_list=list_or_404(list_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeadListLeadsView(TenantAPIView):
    """Bulk membership: add or remove up to 1,000 leads per request."""

    required_capability = "lead.manage"

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
        lead_list = list_or_404(list_id)
        data = s.LeadIdsInput(data=request.data)
        data.is_valid(raise_exception=True)
        added = services.list_leads_add(
            lead_list=lead_list, leads=leads_or_404(data.validated_data["leads"])
        )
        return Response(
            {"added": added, "lead_count": selectors.list_lead_count(lead_list=lead_list)}
        )

    @extend_schema(
        tags=["leads"],
        operation_id="lists_leads_remove",
        summary="Remove leads from a list",
        description="The leads themselves stay. Give the ids as repeated `lead` query "
        'parameters, or (for more than fit in a URL) as a JSON body `{"leads": [...]}`; '
        "at most 1,000 (no ids in the URL removes nothing). Leads that are not members count "
        "as not `removed`; unknown ids are 404 `lead_not_found` and nothing changes.",
        parameters=[s.LeadIdsQuery],
        responses={
            200: s.ListLeadsRemovedOutput,
            **problem_responses(400, 401, 403, 404),
        },
        examples=[
            OpenApiExample("Removed", response_only=True, value={"removed": 1, "lead_count": 128})
        ],
    )
    def delete(self, request, list_id):
        lead_list = list_or_404(list_id)
        if not request.data:
            # Ids in the URL; none given removes nothing.
            ids = query_params(s.LeadIdsQuery, request).get("lead", [])
            removed = services.list_leads_remove(lead_list=lead_list, leads=leads_or_404(ids))
            count = selectors.list_lead_count(lead_list=lead_list)
            return Response({"removed": removed, "lead_count": count})
        data = s.LeadIdsInput(data=request.data)
        data.is_valid(raise_exception=True)
        removed = services.list_leads_remove(
            lead_list=lead_list, leads=leads_or_404(data.validated_data["leads"])
        )
        return Response(
            {"removed": removed, "lead_count": selectors.list_lead_count(lead_list=lead_list)}
        )


class SegmentsView(TenantAPIView):
    required_capability = {"GET": "workspace.view", "POST": "lead.manage"}
    serializer_class = s.SegmentOutput

    @extend_schema(
        tags=["leads"],
        operation_id="segments_list",
        summary="Saved segments",
        responses={200: s.SegmentOutput(many=True), **problem_responses(401, 403)},
        examples=[OpenApiExample("Segments", value=[SEGMENT_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        return self.paginated_response(selectors.segment_list(), s.SegmentOutput)

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
            **name_taken_409("segment"),
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


def _segment_detail(segment: Segment) -> dict[str, Any]:
    """`SegmentDetailOutput`: the segment with how many leads and recipients it matches now."""
    counts = selectors.audience_counts(leads=selectors.segment_leads(segment=segment))
    return {
        **s.SegmentOutput(segment).data,
        "lead_count": counts["leads"],
        "recipient_count": counts["recipients"],
    }


class SegmentDetailView(TenantAPIView):
    required_capability = {
        "GET": "workspace.view",
        "PUT": "lead.manage",
        "PATCH": "lead.manage",
        "DELETE": "lead.manage",
    }
    serializer_class = s.SegmentDetailOutput

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
        return Response(_segment_detail(segment_or_404(segment_id)))

    def _update(self, request, segment_id, *, partial: bool):
        segment = segment_or_404(segment_id)
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
        responses=rename_responses(s.SegmentDetailOutput, "segment"),
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
        responses=rename_responses(s.SegmentDetailOutput, "segment"),
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
        responses={204: None, **problem_responses(401, 403, 404), **in_use_409("segment")},
    )
    def delete(self, request, segment_id):
        services.segment_delete(segment=segment_or_404(segment_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentLeadsView(TenantAPIView):
    required_capability = "workspace.view"
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
                segment=segment_or_404(segment_id), queryset=selectors.leads_with_lists()
            ),
            s.LeadOutput,
        )


class SuppressionsView(TenantAPIView):
    required_capability = {
        "GET": "workspace.view",
        "POST": "suppression.add",
        "DELETE": "suppression.remove",
    }
    serializer_class = s.SuppressionOutput

    @extend_schema(
        tags=["leads"],
        operation_id="suppressions_list",
        summary="Suppressed addresses",
        responses={200: s.SuppressionOutput(many=True), **problem_responses(401, 403)},
    )
    def get(self, request):
        return self.paginated_response(selectors.suppression_list(), s.SuppressionOutput)

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
        parameters=[s.SuppressionQuery],
        responses={204: None, **problem_responses(400, 401, 403, 404)},
    )
    def delete(self, request):
        email = query_params(s.SuppressionQuery, request)["email"]
        if not services.suppression_remove(email=email):
            raise NotFound("That address is not suppressed.", code="suppression_not_found")
        return Response(status=status.HTTP_204_NO_CONTENT)
