"""CSV imports of leads: upload (processed in the background), progress and per-row errors."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.parsers import StrictFormParser, StrictJSONParser, StrictMultiPartParser
from apps.core.api.schema import problem_response, problem_responses
from apps.core.api.views import TenantAPIView
from apps.core.errors import NotFound

from ... import services
from .. import serializers as s
from .common import import_or_404, list_referenced


class LeadImportView(TenantAPIView):
    required_capability = "lead.manage"
    parser_classes = [StrictMultiPartParser, StrictFormParser, StrictJSONParser]

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
            **problem_response(404, "list_not_found", "No list with this id."),
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
            services.import_size_check(size=int(length), allowance=services.MULTIPART_ALLOWANCE)
        data = s.ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        lead_list = list_referenced(data.validated_data.get("list"))
        job = services.lead_import_create(
            upload=data.validated_data["file"],
            mapping=data.validated_data.get("mapping"),
            lead_list=lead_list,
        )
        return Response(
            s.ImportOutput(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/leads/imports/{job.public_id}"},
        )


class LeadImportDetailView(TenantAPIView):
    required_capability = "workspace.view"

    @extend_schema(
        tags=["leads"],
        operation_id="leads_import_status",
        summary="Import status and progress",
        responses={200: s.ImportOutput, **problem_responses(401, 403, 404)},
    )
    def get(self, request, import_id):
        return Response(s.ImportOutput(import_or_404(import_id)).data)


class LeadImportErrorsView(TenantAPIView):
    required_capability = "workspace.view"

    @extend_schema(
        tags=["leads"],
        operation_id="leads_import_errors",
        summary="Per-row problems of an import, as CSV",
        responses={(200, "text/csv"): {"type": "string"}, **problem_responses(401, 403, 404)},
    )
    def get(self, request, import_id):
        job = import_or_404(import_id)
        if not job.errors_path:
            if job.finished_at is not None:
                raise NotFound(
                    "The per-row report was deleted after the retention period.",
                    code="import_report_deleted",
                )
            raise NotFound("This import has not started yet.", code="import_not_started")
        try:
            report = open(job.errors_path, "rb")  # noqa: SIM115  # FileResponse closes it
        except FileNotFoundError as exc:
            raise NotFound(
                "The per-row report was deleted after the retention period.",
                code="import_report_deleted",
            ) from exc
        return FileResponse(
            report,
            as_attachment=True,
            filename=f"import-{job.public_id}-errors.csv",
            content_type="text/csv",
        )
