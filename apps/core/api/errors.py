"""application/problem+json (RFC 9457) for every API error, with a stable `code`."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.core.errors import DomainError
from apps.core.transient import RETRY_AFTER_SECONDS, is_transient

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://docs.strato.dev/errors/"

# DRF's own error codes mapped to ours, so clients see one vocabulary.
DRF_CODES = {
    exceptions.ParseError: ("malformed_request", "Malformed request body"),
    exceptions.AuthenticationFailed: ("authentication_failed", "Authentication failed"),
    exceptions.NotAuthenticated: ("not_authenticated", "Authentication required"),
    exceptions.PermissionDenied: ("permission_denied", "Permission denied"),
    exceptions.NotFound: ("not_found", "Not found"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Method not allowed"),
    exceptions.NotAcceptable: ("not_acceptable", "Not acceptable"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Unsupported media type"),
    exceptions.Throttled: ("rate_limited", "Too many requests"),
    exceptions.ValidationError: ("validation_error", "Validation failed"),
}


def problem(
    *,
    status_code: int,
    code: str,
    title: str,
    detail: str,
    errors: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_json_response(**kwargs: Any) -> JsonResponse:
    """For plain Django views and middleware (outside DRF)."""
    body = problem(**kwargs)
    return JsonResponse(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)


def _flatten_field_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(data, dict):
        flat: dict[str, list[str]] = {}
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten_field_errors(value, name))
        return flat
    if isinstance(data, list) and data and all(isinstance(item, (dict, list)) for item in data):
        flat = {}
        for index, item in enumerate(data):
            flat.update(_flatten_field_errors(item, f"{prefix}[{index}]"))
        return flat
    messages = data if isinstance(data, list) else [data]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def _validation_detail(errors: dict[str, list[str]]) -> str:
    field, messages = next(iter(errors.items()))
    if field == "non_field_errors":
        return messages[0]
    return f"{field}: {messages[0]}"


def _detail_and_code(detail: Any) -> tuple[str, str | None]:
    """Message and code of a non-validation DRF error detail.

    simplejwt raises `InvalidToken` with a dict detail (`detail`, `code`, `messages`); the most
    specific message is the first of `messages` ("Token is expired").
    """
    if isinstance(detail, dict):
        messages = detail.get("messages") or []
        specific = next((m.get("message") for m in messages if isinstance(m, dict)), None)
        code = detail.get("code") or getattr(detail.get("detail"), "code", None)
        return str(specific or detail.get("detail", "")), str(code) if code else None
    return str(detail), getattr(detail, "code", None)


def service_unavailable_body() -> dict[str, Any]:
    return problem(
        status_code=503,
        code="service_unavailable",
        title="Service unavailable",
        detail="A service this request needs is unreachable for a moment. Try again shortly.",
    )


# Django's refusals while reading a request, most specific first (all are SuspiciousOperation).
REQUEST_READING_ERRORS: tuple[
    tuple[type[Exception] | tuple[type[Exception], ...], int, str, str, str], ...
] = (
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE, raised when DRF first reads it.
    (
        RequestDataTooBig,
        413,
        "payload_too_large",
        "Payload too large",
        "The request body is larger than this server accepts.",
    ),
    # More query or form parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) allows.
    (
        (TooManyFieldsSent, TooManyFilesSent),
        400,
        "too_many_fields",
        "Too many parameters",
        "The request has more parameters or files than this server accepts.",
    ),
    (
        SuspiciousOperation,
        400,
        "malformed_request",
        "Malformed request",
        "The request could not be read.",
    ),
)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    if is_transient(exc):
        # The database or Redis is unreachable: the request may succeed later, so not a 500.
        logger.warning("API request failed on an unavailable service: %s", type(exc).__name__)
        return Response(
            service_unavailable_body(),
            status=503,
            content_type=PROBLEM_CONTENT_TYPE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DomainError):
        body = problem(
            status_code=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            **exc.extra,
        )
        return Response(
            body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE, headers=exc.headers
        )
    for error_class, status_code, code, title, detail in REQUEST_READING_ERRORS:
        if isinstance(exc, error_class):
            body = problem(status_code=status_code, code=code, title=title, detail=detail)
            return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        body = problem(
            status_code=500,
            code="server_error",
            title="Server error",
            detail="An unexpected error occurred. It has been logged.",
        )
        return Response(body, status=500, content_type=PROBLEM_CONTENT_TYPE)

    klass, (code, title) = next(
        ((klass, value) for klass, value in DRF_CODES.items() if isinstance(exc, klass)),
        (None, ("error", "Error")),
    )
    errors = None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten_field_errors(exc.detail)
        detail = _validation_detail(errors)
    else:
        detail, specific_code = _detail_and_code(getattr(exc, "detail", str(exc)))
        # A code given where the error was raised (`token_wrong_tenant`, simplejwt's
        # `token_not_valid`) says more than the generic one of its class.
        if specific_code and specific_code != getattr(klass, "default_code", None):
            code = specific_code
    extra = {}
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        extra["retry_after"] = int(wait)
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        response.status_code = status.HTTP_401_UNAUTHORIZED
    response.data = problem(
        status_code=response.status_code,
        code=code,
        title=title,
        detail=detail,
        errors=errors,
        **extra,
    )
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
