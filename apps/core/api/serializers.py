"""The base of the API's serializers: JSON types are taken as the OpenAPI document states them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

# Field class → the JSON types it takes, as its schema documents them. DRF itself is lenient
# (5 becomes "5", "5" becomes 5, 1 becomes True), which made requests the schema forbids pass.
_JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...]], ...] = (
    (serializers.BooleanField, (bool,)),
    (serializers.CharField, (str,)),
    (serializers.IntegerField, (int,)),
    (serializers.FloatField, (int, float)),
)


def _type_error(field: serializers.Field, value: Any) -> str | None:
    for field_class, types in _JSON_TYPES:
        if isinstance(field, field_class):
            wrong = not isinstance(value, types) or (bool not in types and isinstance(value, bool))
            return f"Must be a JSON {field_class.__name__[:-5].lower()}." if wrong else None
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        for item in value:
            problem = _type_error(field.child, item)
            if problem:
                return problem
    return None


class StrictSerializer(serializers.Serializer):
    """A serializer whose JSON input must have the types its schema gives (query strings and
    form fields, which are text by nature, are left to the fields' own parsing)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            errors: dict[str, list[str]] = {}
            for field in self._writable_fields:
                value = data.get(field.field_name)
                if value is None:
                    continue
                problem = _type_error(field, value)
                if problem:
                    errors[str(field.field_name)] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
