"""Transactional billing emails (welcome, subscription confirmed, payment failed, action
required, trial ending, plan changed), sent through Django's email backend: django-anymail's
Resend backend in production.

Callers queue them with `billing_email_queue`; the message leaves after the surrounding
transaction commits, from a Celery task that retries when the provider is down.

Who a tenant's owners are is accounts' knowledge. Dependencies point one way, accounts →
billing (accounts opens the billing account at signup and checks the seat limit), so billing
never imports accounts: accounts registers `owner_addresses` here from its `AppConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from apps.tenants.models import Tenant
from apps.tenants.selectors import tenant_url

from . import tasks

KINDS = {
    "welcome",
    "subscription_confirmed",
    "payment_failed",
    "payment_action_required",
    "trial_ending",
    "plan_changed",
}


def billing_email_queue(*, tenant, kind: str, context: dict, to: list[str] | None = None) -> None:
    """Send `kind` to `to` (default: the tenant's owners) once the transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"Unknown billing email {kind!r}")
    tenant_id = tenant.pk
    # robust: a broker outage is logged by Django and never undoes or fails the caller's work.
    transaction.on_commit(
        lambda: tasks.send_billing_email.delay(
            tenant_id=tenant_id, kind=kind, context=context, to=to
        ),
        robust=True,
    )


OwnerAddresses = Callable[[Tenant], list[str]]
_owner_addresses: list[OwnerAddresses] = []


def register_owner_addresses(provider: OwnerAddresses) -> None:
    """Say how to find a tenant's owners' email addresses (accounts does, in its ready())."""
    _owner_addresses[:] = [provider]


def owner_addresses(*, tenant: Tenant) -> list[str]:
    if not _owner_addresses:
        raise ImproperlyConfigured("No app registered the owners' addresses (accounts).")
    return _owner_addresses[0](tenant)


def billing_email_send(*, tenant, kind: str, context: dict, to: list[str] | None = None) -> int:
    """Render and send now; returns how many messages left (0 when nobody is to be told)."""
    recipients = to or owner_addresses(tenant=tenant)
    if not recipients:
        return 0
    context = {
        **context,
        "tenant": tenant,
        "billing_url": tenant_url(tenant=tenant, path="/billing/"),
    }
    subject = render_to_string(f"billing/email/{kind}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"billing/email/{kind}.txt", context),
        to=recipients,
        headers={"X-Strato-Email": kind},
    )
    message.attach_alternative(
        render_to_string(
            "billing/email/base.html",
            {
                **context,
                "body": render_to_string(f"billing/email/{kind}.txt", context),
                "subject": subject,
            },
        ),
        "text/html",
    )
    # Tags and metadata reach Resend through anymail (ignored by other backends).
    message.tags = [f"billing-{kind}"]  # type: ignore[attr-defined]  # anymail
    message.metadata = {"tenant": tenant.schema_name, "kind": kind}  # type: ignore[attr-defined]
    return message.send()
