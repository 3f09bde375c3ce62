"""Request parsers that refuse NUL characters, which PostgreSQL cannot store in text or jsonb.

Serializer `CharField`s already refuse them, but JSON members (lead attributes, segment
filters) and keys reach the database as they are and failed there with a 500 (`DataError`).
Refusing them while parsing covers every field of every endpoint: 400 `nul_character`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

NUL = "\x00"


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def refuse_nul(data: Any) -> Any:
    if _contains_nul(data):
        raise ParseError(
            "The request contains a NUL character (\\u0000), which no field accepts.",
            code="nul_character",
        )
    return data


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return refuse_nul(super().parse(stream, media_type, parser_context))


class StrictFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_nul({key: data.getlist(key) for key in data})
        return data


class StrictMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        data = parsed.data
        refuse_nul({key: data.getlist(key) for key in data})
        refuse_nul([upload.name for key in parsed.files for upload in parsed.files.getlist(key)])
        return parsed
