"""Email templates: list, create, read, update, delete, and previews."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.schema import problem_responses
from apps.core.api.views import TenantAPIView

from ... import selectors, services
from .. import serializers as s
from ..examples import TEMPLATE_EXAMPLE, TEMPLATE_INVALID
from .common import lead_or_404, template_or_404


class TemplateListView(TenantAPIView):
    required_capability = {"GET": "workspace.view", "POST": "template.manage"}
    serializer_class = s.TemplateOutput

    @extend_schema(
        tags=["templates"],
        operation_id="templates_list",
        summary="Templates",
        responses={200: s.TemplateOutput(many=True), **problem_responses(401, 403)},
    )
    def get(self, request):
        return self.paginated_response(selectors.template_list(), s.TemplateOutput)

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
    required_capability = {
        "GET": "workspace.view",
        "PUT": "template.manage",
        "DELETE": "template.manage",
    }
    serializer_class = s.TemplateOutput

    @extend_schema(
        tags=["templates"],
        operation_id="templates_retrieve",
        summary="Get a template",
        responses={200: s.TemplateOutput, **problem_responses(401, 403, 404)},
    )
    def get(self, request, template_id):
        return Response(s.TemplateOutput(template_or_404(template_id)).data)

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
        template = services.template_update(
            template=template_or_404(template_id), **data.validated_data
        )
        return Response(s.TemplateOutput(template).data)

    @extend_schema(
        tags=["templates"],
        operation_id="templates_destroy",
        summary="Delete a template",
        responses={204: None, **problem_responses(401, 403, 404, 409)},
    )
    def delete(self, request, template_id):
        services.template_delete(template=template_or_404(template_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplatePreviewView(TenantAPIView):
    required_capability = "template.manage"

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
        template = template_or_404(v["template"]) if v.get("template") else None
        lead = lead_or_404(v["lead"]) if v.get("lead") else None
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
