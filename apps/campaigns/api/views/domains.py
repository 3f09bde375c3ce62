"""Sending domains: the domains an organisation sends campaigns from, verified through Resend."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.schema import problem_response, problem_responses
from apps.core.api.views import TenantAPIView

from ... import selectors, services
from .. import serializers as s
from ..examples import RESEND_ERRORS, SENDING_DOMAIN_EXAMPLE
from .common import sending_domain_or_404

RECORDS_NOTE = (
    "`records` are the DNS records to publish at the domain's DNS provider, as Resend asks for "
    "them: the return path (an `MX` and an SPF `TXT` record on `send.<domain>`) and DKIM (a "
    "`TXT` record on `resend._domainkey.<domain>`). `name` is relative to the domain; copy "
    "`value` exactly. `status` follows Resend: `not_started` → `pending` (checking) → "
    "`verified`, or `failed` / `temporary_failure`."
)

CREATE_ERRORS = {
    **problem_response(
        400,
        "sending_domain_reserved",
        "gmail.com is a public mailbox provider; add a domain your organisation controls.",
        title="Validation failed",
        errors={
            "name": [
                "gmail.com is a public mailbox provider; add a domain your organisation controls."
            ]
        },
    ),
    **problem_response(
        409,
        "sending_domain_taken",
        "mail.acme.example is used by another organisation.",
        title="This domain belongs to another organisation",
    ),
}


class SendingDomainListView(TenantAPIView):
    serializer_class = s.SendingDomainOutput
    required_capability = "sending_domain.manage"

    @extend_schema(
        tags=["sending domains"],
        operation_id="sending_domains_list",
        summary="List sending domains",
        description=RECORDS_NOTE,
        responses={200: s.SendingDomainOutput(many=True), **problem_responses(401, 403)},
        examples=[
            OpenApiExample("Domains", value=[SENDING_DOMAIN_EXAMPLE], response_only=True),
        ],
    )
    def get(self, request):
        return self.paginated_response(selectors.sending_domain_list(), s.SendingDomainOutput)

    @extend_schema(
        tags=["sending domains"],
        operation_id="sending_domains_create",
        summary="Add a sending domain",
        description=f"Registers the domain with Resend and answers the DNS records "
        "to publish; then call `verify`. Campaign senders may use an address on the domain "
        "once its `status` is `verified`. A domain belongs to one organisation only (409 "
        "`sending_domain_taken`, or `sending_domain_exists` when it is already yours). The "
        "platform's own domains (its mail domain and the base domain of organisation hosts), "
        "their subdomains and public mailbox providers such as gmail.com "
        "are refused (400 `sending_domain_reserved`); a malformed name is 400 "
        "`sending_domain_invalid`, one Resend refuses 400 `sending_domain_rejected`. "
        f"{RECORDS_NOTE}",
        request=s.SendingDomainInput,
        responses={
            201: s.SendingDomainOutput,
            **problem_responses(401, 403),
            **CREATE_ERRORS,
            **RESEND_ERRORS,
        },
        examples=[
            OpenApiExample("Add", request_only=True, value={"name": "mail.acme.example"}),
            OpenApiExample(
                "Added", response_only=True, status_codes=["201"], value=SENDING_DOMAIN_EXAMPLE
            ),
        ],
    )
    def post(self, request):
        data = s.SendingDomainInput(data=request.data)
        data.is_valid(raise_exception=True)
        domain = services.sending_domain_create(
            name=data.validated_data["name"], tenant=self.tenant
        )
        return Response(s.SendingDomainOutput(domain).data, status=status.HTTP_201_CREATED)


class SendingDomainDetailView(TenantAPIView):
    serializer_class = s.SendingDomainOutput
    required_capability = "sending_domain.manage"

    @extend_schema(
        tags=["sending domains"],
        operation_id="sending_domains_retrieve",
        summary="Get a sending domain",
        description=f"Answers what Strato last heard from Resend (see "
        f"`last_checked_at`); `verify` asks Resend again. {RECORDS_NOTE}",
        responses={200: s.SendingDomainOutput, **problem_responses(401, 403, 404)},
        examples=[OpenApiExample("Domain", value=SENDING_DOMAIN_EXAMPLE, response_only=True)],
    )
    def get(self, request, domain_id):
        return Response(s.SendingDomainOutput(sending_domain_or_404(domain_id)).data)

    @extend_schema(
        tags=["sending domains"],
        operation_id="sending_domains_destroy",
        summary="Remove a sending domain",
        description="Removes it from Resend and frees the name for other "
        "organisations. Campaigns whose sender is on it are not changed, but go out from the "
        "platform's address (`<organisation> via Strato`, Reply-To their sender) from then on.",
        responses={204: None, **problem_responses(401, 403, 404), **RESEND_ERRORS},
    )
    def delete(self, request, domain_id):
        services.sending_domain_delete(domain=sending_domain_or_404(domain_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SendingDomainVerifyView(TenantAPIView):
    serializer_class = s.SendingDomainOutput
    required_capability = "sending_domain.manage"

    @extend_schema(
        tags=["sending domains"],
        operation_id="sending_domains_verify",
        summary="Check a sending domain's DNS records now",
        description="Asks Resend to check the DNS records, then answers the "
        "domain as Resend reports it. Resend checks asynchronously: the status is usually "
        "`pending` at first and settles within minutes (Strato also follows it every ten "
        "minutes). Send no body.",
        request=None,
        responses={200: s.SendingDomainOutput, **problem_responses(401, 403, 404), **RESEND_ERRORS},
        examples=[
            OpenApiExample(
                "Checking",
                response_only=True,
                value={**SENDING_DOMAIN_EXAMPLE, "status": "pending"},
            )
        ],
    )
    def post(self, request, domain_id):
        domain = services.sending_domain_verify(domain=sending_domain_or_404(domain_id))
        return Response(s.SendingDomainOutput(domain).data)
