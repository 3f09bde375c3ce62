"""OpenAPI helpers: every endpoint documents its problem+json error responses."""

import copy

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from apps.core.permissions import guarded_by_tenant_membership, required_capability_for
from apps.core.roles import capability, denial_message


class ProblemSerializer(serializers.Serializer):
    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    errors = serializers.DictField(  # type: ignore[assignment]  # problem+json member
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field, for validation errors.",
    )
    capability = serializers.CharField(
        required=False, help_text="For `permission_denied`: the capability the action needs."
    )
    required_role = serializers.CharField(
        required=False, help_text="For `permission_denied`: the least role holding it."
    )


_DESCRIPTIONS = {
    400: ("Invalid input", "validation_error", "email: Enter a valid email address."),
    401: (
        "Not authenticated, or credentials for another organisation",
        "not_authenticated",
        "Authentication credentials were not provided.",
    ),
    402: ("Plan limit reached", "plan_limit_exceeded", "Your plan allows 3 repositories."),
    403: (
        "Role does not allow this action",
        "permission_denied",
        "This action needs the admin role (capability `campaign.send`).",
    ),
    404: ("Not found", "not_found", "Not found."),
    409: (
        "Conflicts with existing state",
        "conflict",
        "This organisation address is already taken.",
    ),
    415: (
        "Body is not JSON",
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
    ),
    429: (
        "Rate limited or locked out",
        "rate_limited",
        "Request was throttled. Expected available in 12 seconds.",
    ),
    502: (
        "An upstream provider refused the request",
        "stripe_error",
        "Stripe refused to start the checkout: No such price.",
    ),
    503: (
        "An upstream provider is unreachable or not configured",
        "stripe_unavailable",
        "We could not reach our payment provider. Nothing was charged and nothing changed: "
        "please try again in a minute.",
    ),
}


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
    extra: dict | None = None,
) -> dict[tuple[int, str], OpenApiResponse]:
    """One documented problem+json answer with its example, keyed for `extend_schema`.

    `extra` holds the members some problems add (`campaign_status`, `campaigns`). Examples
    passed to `extend_schema(examples=...)` do not reach a response that has its own, so a
    specific error is documented here rather than there.
    """
    title = title or detail
    example = {
        "type": f"https://docs.strato.dev/errors/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        example["errors"] = errors
    example.update(extra or {})
    return {
        (status, "application/problem+json"): OpenApiResponse(
            ProblemSerializer,
            description=title,
            examples=[
                OpenApiExample(code, value=example, status_codes=[str(status)], response_only=True)
            ],
        )
    }


def problem_responses(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """The usual problem answers for these statuses."""
    responses = {}
    for status in statuses:
        description, code, detail = _DESCRIPTIONS[status]
        errors = {"email": ["Enter a valid email address."]} if status == 400 else None
        extra = {"capability": "campaign.send", "required_role": "admin"} if status == 403 else None
        responses.update(
            problem_response(status, code, detail, title=description, errors=errors, extra=extra)
        )
    return responses


def document_required_roles(result, generator, request, public):
    """Postprocessing hook: every tenant operation states the role it needs.

    Adds `x-capability` and `x-required-role` and ends the description with "Requires the <role>
    role.", read from the view's `required_capability` through `apps.core.roles`, so the document
    cannot drift from what the permission class enforces.
    """
    views = {
        (path, method.lower()): getattr(callback, "cls", None)
        for path, _regex, method, callback in generator.endpoints or []
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            view_class = views.get((path, method))
            if view_class is None or not guarded_by_tenant_membership(view_class):
                continue
            name = required_capability_for(view_class, method)
            needed = capability(name)
            operation["x-capability"] = name
            operation["x-required-role"] = needed.role
            sentence = f"Requires the {needed.role} role (capability `{name}`)."
            description = operation.get("description", "").strip()
            operation["description"] = f"{description}\n\n{sentence}" if description else sentence
            _denial_examples_name(operation, name=name, role=needed.role)
    return result


def _denial_examples_name(operation: dict, *, name: str, role: str) -> None:
    """The 403 example names this operation's capability, not the generic one."""
    responses = operation.get("responses", {})
    if "403" not in responses:
        return
    # A copy: operations may share one response object.
    denied = responses["403"] = copy.deepcopy(responses["403"])
    examples = denied.get("content", {}).get("application/problem+json", {}).get("examples", {})
    for example in examples.values():
        value = example.get("value", {})
        if value.get("code") == "permission_denied" and "capability" in value:
            value.update(detail=denial_message(name), capability=name, required_role=role)


def _problem_answer(status: int) -> dict:
    description, code, detail = _DESCRIPTIONS[status]
    return {
        "description": description,
        "content": {
            "application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "examples": {
                    code: {
                        "summary": code,
                        "value": {
                            "type": f"https://docs.strato.dev/errors/{code}",
                            "title": description,
                            "status": status,
                            "detail": detail,
                            "code": code,
                        },
                    }
                },
            }
        },
    }


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def document_throttling_and_not_found(result, generator, request, public):
    """drf-spectacular postprocessing hook: the answers every operation can give, documented
    where the views cannot forget them.

    - 429 (with `Retry-After`) on every operation whose view has a throttle;
    - 404 on every operation with a path parameter (an unknown or malformed id).
    """
    paths = result.get("paths", {})
    for path, _path_regex, method, callback in generator.endpoints:
        operation = paths.get(path, {}).get(method.lower())
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        view = callback.cls(**getattr(callback, "initkwargs", {}))
        if view.get_throttles():
            answer = responses.setdefault("429", _problem_answer(429))
            answer.setdefault("headers", {}).update(RETRY_AFTER)
        if "{" in path:
            responses.setdefault("404", _problem_answer(404))
    if "Problem" not in result.get("components", {}).get("schemas", {}):
        result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = {
            "type": "object",
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "code": {"type": "string"},
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["type", "title", "status", "detail", "code"],
        }
    return result
