"""Billing tasks: thin, they call services."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from apps.core.tasks import RELIABLE
from apps.tenants.selectors import tenant_by_id

# A module reference: emails imports this module to queue the task (the cycle resolves lazily).
from . import emails


@shared_task(bind=True, max_retries=6, **RELIABLE)
def send_billing_email(
    self, *, tenant_id: int, kind: str, context: dict, to: list[str] | None = None
) -> int:
    with schema_context(get_public_schema_name()):
        tenant = tenant_by_id(tenant_id=tenant_id)
        if tenant is None:
            return 0
        try:
            return emails.billing_email_send(tenant=tenant, kind=kind, context=context, to=to)
        except Exception as exc:  # the email provider is down or refused: try again later
            raise self.retry(exc=exc, countdown=min(3600, 30 * 2**self.request.retries)) from exc
