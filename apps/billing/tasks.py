"""Billing tasks: thin, they call services."""

from __future__ import annotations

from celery import shared_task

from apps.core.tasks import RELIABLE


@shared_task(bind=True, max_retries=6, **RELIABLE)
def send_billing_email(
    self, *, tenant_id: int, kind: str, context: dict, to: list[str] | None = None
) -> int:
    from django_tenants.utils import get_public_schema_name, schema_context

    from apps.tenants.models import Tenant

    from .emails import billing_email_send

    with schema_context(get_public_schema_name()):
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        if tenant is None:
            return 0
        try:
            return billing_email_send(tenant=tenant, kind=kind, context=context, to=to)
        except Exception as exc:  # the email provider is down or refused: try again later
            raise self.retry(exc=exc, countdown=min(3600, 30 * 2**self.request.retries)) from exc
