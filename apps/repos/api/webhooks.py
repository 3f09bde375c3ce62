"""`POST /api/webhooks/github` on the public host: verify, store once, answer at once.

Step 1 of 3: the stored delivery is dispatched by `apps/repos/webhooks.py` and applied by
`apps/repos/services/webhooks.py`.
"""

import json

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.schema import problem_response
from apps.core.errors import AuthenticationFailed, ServiceUnavailable, ValidationFailed
from apps.core.webhooks import kept_headers, signature_matches, webhook_receive
from apps.repos.services import webhook_secrets


class WebhookAckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["pong", "accepted", "duplicate"])
    delivery = serializers.CharField()
    zen = serializers.CharField(required=False)


class GitHubWebhookView(APIView):
    """GitHub calls this; the signature is the only credential."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        tags=["webhooks"],
        operation_id="webhooks_github",
        summary="GitHub webhook receiver",
        description=(
            "Public host. `X-Hub-Signature-256` is checked in constant time on the raw body "
            "against the current secret and, during a rotation's grace period, the previous "
            "one. `ping` is answered with `pong`. Other events are stored once by "
            "`X-GitHub-Delivery` (a redelivery answers `duplicate` and changes nothing) and "
            "applied in Celery: a push to a tracked repository's default branch queues a "
            "re-analysis in every organisation tracking it; deletions, tags and other "
            "branches are ignored; `installation_repositories` links repositories to the "
            "organisation that installed the GitHub App."
        ),
        request={"application/json": {"type": "object"}},
        responses={
            200: WebhookAckSerializer,
            202: WebhookAckSerializer,
            **problem_response(
                400, "webhook_malformed", "Missing GitHub headers or a body that is not JSON."
            ),
            **problem_response(
                401,
                "webhook_signature_invalid",
                "The X-Hub-Signature-256 signature does not match.",
            ),
            **problem_response(503, "webhook_not_configured", "No GitHub webhook secret is set."),
        },
        examples=[
            OpenApiExample(
                "Accepted",
                response_only=True,
                status_codes=["202"],
                value={"status": "accepted", "delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
            ),
            OpenApiExample(
                "Ping",
                response_only=True,
                status_codes=["200"],
                value={
                    "status": "pong",
                    "delivery": "…",
                    "zen": "Anything added dilutes everything else.",
                },
            ),
        ],
    )
    def post(self, request):
        body = request.body
        secrets = webhook_secrets()
        if not secrets:
            raise ServiceUnavailable(
                "GitHub webhooks are not configured on this server.", code="webhook_not_configured"
            )
        header = request.headers.get("X-Hub-Signature-256", "")
        signature = header.removeprefix("sha256=") if header.startswith("sha256=") else ""
        if not signature or not signature_matches(
            secrets=secrets, body=body, signature_hex=signature
        ):
            raise AuthenticationFailed(
                "The X-Hub-Signature-256 signature does not match this body.",
                code="webhook_signature_invalid",
            )
        event_type = request.headers.get("X-GitHub-Event", "")
        delivery = request.headers.get("X-GitHub-Delivery", "")
        if not event_type or not delivery or len(delivery) > 255:
            raise ValidationFailed(
                "X-GitHub-Event and X-GitHub-Delivery are required.", code="webhook_malformed"
            )
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationFailed("The body is not JSON.", code="webhook_malformed") from exc
        if event_type == "ping":
            return Response({"status": "pong", "delivery": delivery, "zen": payload.get("zen", "")})
        _, created = webhook_receive(
            provider="github",
            event_id=delivery,
            body=body,
            headers=kept_headers(request.headers),
            event_type=event_type,
        )
        return Response(
            {"status": "accepted" if created else "duplicate", "delivery": delivery}, status=202
        )
