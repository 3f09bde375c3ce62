"""Sending domains: the tenant's list, one by id, and which need a fresh look at Resend."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from ..models import SendingDomain

D = SendingDomain.Status
# Settled domains (verified, failed) are checked again this often: DNS records can be removed
# after verification, and a campaign must then stop sending as the domain.
SETTLED_RECHECK = timedelta(hours=6)


def sending_domain_list() -> QuerySet[SendingDomain]:
    return SendingDomain.objects.all()


def sending_domain_get(*, public_id: uuid.UUID | str) -> SendingDomain | None:
    return SendingDomain.objects.filter(public_id=public_id).first()


def sending_domain_is_verified(*, name: str) -> bool:
    return SendingDomain.objects.filter(name=name, status=D.VERIFIED).exists()


def sending_domain_names_verified() -> list[str]:
    return list(SendingDomain.objects.filter(status=D.VERIFIED).values_list("name", flat=True))


def sending_domains_due_for_check(*, now: datetime) -> QuerySet[SendingDomain]:
    """Domains still being verified, at every run; settled ones every `SETTLED_RECHECK`."""
    unsettled = Q(status__in=[D.NOT_STARTED, D.PENDING, D.TEMPORARY_FAILURE])
    stale = Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=now - SETTLED_RECHECK)
    return SendingDomain.objects.filter(unsettled | stale).order_by("last_checked_at", "id")


def sending_domains_never_verified(*, created_before: datetime) -> QuerySet[SendingDomain]:
    """Domains added before then that were never verified (abandoned, or not the tenant's)."""
    return SendingDomain.objects.filter(verified_at__isnull=True, created_at__lt=created_before)
