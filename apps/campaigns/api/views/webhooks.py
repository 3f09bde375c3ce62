"""Public host: the Resend webhook."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.schema import problem_responses

from ...webhooks import resend_webhook_receive


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
        _, created = resend_webhook_receive(body=request.body, headers=request.headers)
        return Response(
            {"status": "accepted" if created else "duplicate"}, status=status.HTTP_202_ACCEPTED
        )
