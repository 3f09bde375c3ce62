"""The GitHub provider of the shared webhook inbox (`apps.core.webhooks`).

The view in `api/webhooks.py` verifies and stores each delivery; this handler applies it later
in Celery, routing to the tenants concerned.
"""

from __future__ import annotations

from apps.core.models import WebhookEvent
from apps.core.webhooks import event_json, webhook_handler

from . import services

HANDLED_EVENTS = {"push", "installation_repositories", "installation"}


@webhook_handler("github")
def apply_github_event(event: WebhookEvent) -> str:
    payload = event_json(event)
    if event.event_type == "push":
        return services.github_push_apply(payload=payload, delivery_id=event.event_id)
    if event.event_type == "installation_repositories":
        return services.github_installation_repositories_apply(payload=payload)
    if event.event_type == "installation":
        return services.github_installation_apply(payload=payload)
    return "ignored"
