import re
import uuid

import sentry_sdk
from django.http import HttpRequest, HttpResponse

from .api.errors import problem_json_response
from .context import request_id_var, tenant_var, user_var

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

_HTML_ERRORS = {
    400: ("bad_request", "Bad request"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Payload too large"),
    500: ("server_error", "Server error"),
}


class ApiProblemMiddleware:
    """Outermost: errors produced outside DRF (unknown host, unknown URL, crash) under /api/
    still reach API clients as problem+json instead of an HTML page. API answers carry
    credentials-dependent data, so nothing under /api/ is cached unless a view says so."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_api = request.path.startswith("/api/")
        if is_api and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        if (
            is_api
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/")
        ):
            code, title = _HTML_ERRORS.get(response.status_code, ("error", "Error"))
            detail = {
                404: f"No API resource at {request.path} on this host.",
            }.get(response.status_code, title)
            converted = problem_json_response(
                status_code=response.status_code, code=code, title=title, detail=detail
            )
            if REQUEST_ID_HEADER in response:
                converted[REQUEST_ID_HEADER] = response[REQUEST_ID_HEADER]
            return converted
        return response


class RequestIdMiddleware:
    """Accepts a sane incoming X-Request-ID or makes one, and returns it on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # read by views, logs
        tokens = [request_id_var.set(request_id), tenant_var.set("-"), user_var.set("-")]
        try:
            response = self.get_response(request)
        finally:
            for var, token in zip((request_id_var, tenant_var, user_var), tokens, strict=True):
                var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class ObservabilityContextMiddleware:
    """Tags logs and Sentry events with the tenant and user once both are known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        tenant_var.set(tenant.schema_name if tenant else "-")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_var.set(str(user.public_id))
        _tag_sentry(request)
        return self.get_response(request)


def _tag_sentry(request: HttpRequest) -> None:
    scope = sentry_sdk.get_isolation_scope()
    scope.set_tag("request_id", request.request_id)  # type: ignore[attr-defined]
    scope.set_tag("tenant", tenant_var.get())
    if user_var.get() != "-":
        scope.set_user({"id": user_var.get()})
