from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .checks import run_checks


@never_cache
def liveness(request):
    """Served by `HealthCheckMiddleware` before tenant routing: no database, no cache."""
    return JsonResponse({"status": "ok"})


class ReadinessView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        tags=["operations"],
        operation_id="health",
        summary="Readiness of every dependency",
        description="Database, Redis, Celery worker heartbeat, disk and memory, each timed. "
        "503 when a critical check (database, Redis) fails.",
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
        critical_failed = any(not r.ok and r.critical for r in results)
        status = (
            "fail" if critical_failed else ("degraded" if any(not r.ok for r in results) else "ok")
        )
        response = Response(
            {"status": status, "checks": [r.as_dict() for r in results]},
            status=503 if critical_failed else 200,
        )
        response["Cache-Control"] = "no-store"
        return response
