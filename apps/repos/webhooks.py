"""The GitHub handler of the shared webhook inbox (`apps.core.webhooks`), registered on import.

A GitHub delivery passes three files, one step each:

1. `api/webhooks.py`: the view on the public host verifies the signature and stores the
   delivery in the inbox, answering at once;
2. this module: the inbox runs this handler in Celery, which picks the service by event type
   (`AppConfig.ready` imports it so the handler is registered);
3. `services/webhooks.py`: the services apply the event in each tenant concerned.
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
