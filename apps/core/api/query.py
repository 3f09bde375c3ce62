"""Query parameters validated at the edge by a DRF serializer, like bodies are.

Pass the same serializer to `extend_schema(parameters=[...])` and drf-spectacular documents
each field as a typed query parameter, so the schema and the check cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


def query_params(
    serializer_class: type[serializers.Serializer], request: Request
) -> dict[str, Any]:
    """The request's query parameters, validated: a bad value is a 400 problem with field errors."""
    serializer = serializer_class(data=request.query_params)
    # DRF reads an empty form value as "not given"; a query parameter given empty is invalid
    # (an empty `status` is not a status), as its schema says.
    blank = {
        name: ["May not be blank."]
        for name in list(serializer.fields.keys())
        if name in request.query_params and "" in request.query_params.getlist(name)
    }
    if blank:
        raise ValidationError(blank)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
