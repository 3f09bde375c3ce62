"""OpenAPI examples and shared descriptions of the campaigns API, kept apart from the views."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample
from rest_framework.serializers import Serializer

from apps.core.api.schema import problem_response, problem_responses

CAMPAIGN_ID = "6c1f0c1e-2b1e-4f59-9d0c-0d7c1c4c9a10"


CAMPAIGN_EXAMPLE: dict[str, Any] = {
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


SEGMENT_DETAIL_EXAMPLE = {**SEGMENT_EXAMPLE, "lead_count": 42, "recipient_count": 40}


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


def in_use_409(what: str) -> dict[Any, Any]:
    return problem_response(
        409,
        f"{what}_in_use",
        f"This {what} is the audience of campaigns that are scheduled, sending or paused: "
        "Spring offer (scheduled). Cancel them, or let them finish, before deleting it.",
        title="Used by an active campaign",
        extra={"campaigns": [{"id": CAMPAIGN_ID, "name": "Spring offer", "status": "scheduled"}]},
    )


def name_taken_409(what: str) -> dict[Any, Any]:
    return problem_response(
        409,
        f"{what}_exists",
        f"A {what} named 'Django shops' already exists.",
        title="Conflict",
    )


def rename_responses(output: type[Serializer], resource: str) -> dict[Any, Any]:
    """PUT and PATCH of a named list or segment: what they answer."""
    return {
        200: output,
        **problem_responses(400, 401, 403, 404),
        **name_taken_409(resource),
    }


SPAM_REPORT_EXAMPLE = {
    "score": 6.5,
    "threshold": 5.0,
    "blocked": True,
    "reasons": [
        "Subject is mostly capital letters (+2)",
        "URL shorteners: bit.ly (+3)",
    ],
}
STATS_EXAMPLE = {
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
}


def campaign_action_responses(
    action: str, output: type[Serializer], *, code: int = 200
) -> dict[Any, Any]:
    """What a campaign action answers, with the 409 of a transition its state forbids."""
    return {
        code: output,
        **problem_responses(400, 401, 403, 404),
        **problem_response(
            409,
            "campaign_invalid_transition",
            f"Cannot {action} a campaign that is sent.",
            title="Not allowed in the campaign's current state",
            extra={"campaign_status": "sent", "action": action},
        ),
    }


SENDING_DOMAIN_ID = "2f7a3c1d-8e4b-4c55-9a61-0b3e5d7f9c21"

# The records Resend asks for (`POST /domains`): return path (MX + SPF on `send`), DKIM.
SENDING_DOMAIN_EXAMPLE: dict[str, Any] = {
    "id": SENDING_DOMAIN_ID,
    "name": "mail.acme.example",
    "status": "not_started",
    "region": "us-east-1",
    "records": [
        {
            "record": "SPF",
            "name": "send.mail",
            "type": "MX",
            "ttl": "Auto",
            "status": "not_started",
            "value": "feedback-smtp.us-east-1.amazonses.com",
            "priority": 10,
        },
        {
            "record": "SPF",
            "name": "send.mail",
            "type": "TXT",
            "ttl": "Auto",
            "status": "not_started",
            "value": '"v=spf1 include:amazonses.com ~all"',
        },
        {
            "record": "DKIM",
            "name": "resend._domainkey.mail",
            "type": "TXT",
            "ttl": "Auto",
            "status": "not_started",
            "value": "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDsc4Lh8xilsngyKEgN2S84+21gn+x6SEX…",
        },
    ],
    "last_checked_at": "2026-05-01T09:00:00Z",
    "verified_at": None,
    "created_at": "2026-05-01T09:00:00Z",
}

SENDING_DOMAIN_UNVERIFIED_400 = problem_response(
    400,
    "sending_domain_unverified",
    "acme.example is not a verified sending domain of this organisation. Add it under "
    "Settings → Sending domains and verify it, or leave the sender empty to send from "
    "Strato's address with your organisation's name.",
    title="Validation failed",
    errors={"from_email": ["acme.example is not a verified sending domain of this organisation."]},
)

RESEND_ERRORS = {
    **problem_response(
        502,
        "resend_error",
        "Resend refused the request (403): The API key is not allowed to manage domains.",
        title="The email provider refused the request",
    ),
    **problem_response(
        503,
        "resend_unavailable",
        "We could not reach our email provider. Nothing changed: please try again shortly.",
        title="Email provider unavailable",
    ),
}
