"""What `OPTIONS` answers on every API endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import BaseMetadata


class EndpointMetadata(BaseMetadata):
    """Name, description and media types, without DRF's per-method field listing.

    DRF's SimpleMetadata builds that listing from `get_serializer()` and `get_object()`, which
    our views (explicit input serializers per method, lookups by public id in the handler) do
    not define, so it answered 500. The inputs are described by the OpenAPI document at
    `/api/schema/`, which this points to.
    """

    def determine_metadata(self, request, view) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/schema/",
        }
