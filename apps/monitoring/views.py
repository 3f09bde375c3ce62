from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .checks import run_checks


@never_cache
def liveness(request):
    """Served by `HealthCheckMiddleware` before tenant routing: no database, no cache."""
    return JsonResponse({"status": "ok"})


class ReadinessView(APIView):
    # Monitors call it bare; a staff member's admin session unlocks the checks' details.
    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        tags=["operations"],
        operation_id="health",
        summary="Readiness of every dependency",
        description="Database, Redis, Celery worker heartbeat, disk and memory, each timed. "
        "503 when a critical check (database, Redis) fails. Each check's `detail` (which may "
        "carry an exception's text) is shown only to platform staff signed in to the admin.",
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(choices=["ok", "degraded", "fail"]),
                    "checks": serializers.ListField(child=serializers.DictField()),
                },
            ),
            503: OpenApiResponse(description="A critical check failed"),
        },
    )
    def get(self, request):
        results = run_checks()
        show_details = bool(request.user and request.user.is_staff)
        checks = [r.as_dict() for r in results]
        if not show_details:
            for check in checks:
                del check["detail"]
        critical_failed = any(not r.ok and r.critical for r in results)
        status = (
            "fail" if critical_failed else ("degraded" if any(not r.ok for r in results) else "ok")
        )
        response = Response(
            {"status": status, "checks": checks},
            status=503 if critical_failed else 200,
        )
        response["Cache-Control"] = "no-store"
        return response
