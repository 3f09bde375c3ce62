"""Leads: create, update, erase (GDPR), and queueing the analysis of their GitHub repositories."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from apps.billing.services import entitlement_check, entitlement_ensure_writable
from apps.core.errors import Conflict, ValidationFailed
from apps.repos.services import github_account_analyse_later
from apps.tenants.models import Tenant

from ..models import Event, Lead, LeadList, Message
from .common import current_tenant

GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


def _normalise_tags(tags: list[str] | None) -> list[str]:
    return sorted({t.strip().lower()[:64] for t in (tags or []) if t and t.strip()})


def _check_lead_allowance(*, tenant: Tenant, adding: int = 1) -> None:
    entitlement_check(tenant=tenant, resource="leads", amount=adding, current=Lead.objects.count())


def _check_github_fields(*, github_username: str | None, github_url: str | None) -> None:
    login = (github_username or "").strip()
    if login and not GITHUB_LOGIN.match(login):
        raise ValidationFailed.for_field(
            "github_username",
            "A GitHub username has at most 39 letters, digits or hyphens.",
            code="github_username_invalid",
        )
    if len(github_url or "") > 500:
        raise ValidationFailed.for_field(
            "github_url", "The GitHub URL is longer than 500 characters.", code="github_url_invalid"
        )


def _refuse_nul(**fields: Any) -> None:
    """PostgreSQL stores no NUL character: refused here for every caller (the API's parsers
    refuse it earlier; the dashboard's lead form reaches this directly)."""
    for name, value in fields.items():
        texts = value if isinstance(value, list) else [value]
        if isinstance(value, dict):
            texts = [*value, *(v for v in value.values() if isinstance(v, str))]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValidationFailed.for_field(
                name, "This field may not contain a NUL character.", code="nul_character"
            )


def _github_identity(lead: Lead) -> tuple[str, str]:
    return (lead.github_username or "").strip(), (lead.github_url or "").strip()


def lead_repositories_analyse_later(*, leads: Iterable[Lead]) -> int:
    """Once the transaction commits, analyse the public GitHub repositories of these leads.

    One task per distinct GitHub username / URL; the work (and any trouble with GitHub)
    happens in the task, so saving leads never waits for or fails because of GitHub.
    """
    seen: set[tuple[str, str]] = set()
    for lead in leads:
        login, url = _github_identity(lead)
        key = (login.lower(), url.lower())
        if key in seen or not (login or url):
            continue
        seen.add(key)
        github_account_analyse_later(login=login, url=url)
    return len(seen)


@transaction.atomic
def lead_create(
    *,
    tenant: Tenant,
    email: str,
    lists: list[LeadList] | None = None,
    first_name: str = "",
    last_name: str = "",
    company: str = "",
    github_username: str = "",
    github_url: str = "",
    attributes: dict[str, Any] | None = None,
    tags: list[str] | None = None,
) -> Lead:
    email = email.strip()
    _refuse_nul(
        email=email,
        first_name=first_name,
        last_name=last_name,
        company=company,
        github_username=github_username,
        github_url=github_url,
        attributes=attributes or {},
        tags=tags or [],
    )
    if Lead.objects.filter(email__iexact=email).exists():
        raise Conflict(f"A lead with the address {email} already exists.", code="lead_exists")
    _check_lead_allowance(tenant=tenant)
    _check_github_fields(github_username=github_username, github_url=github_url)
    try:
        with transaction.atomic():
            lead = Lead.objects.create(
                email=email,
                first_name=first_name,
                last_name=last_name,
                company=company,
                github_username=github_username,
                github_url=github_url,
                attributes=attributes if attributes is not None else {},
                tags=_normalise_tags(tags),
            )
    except IntegrityError as exc:
        raise Conflict(
            f"A lead with the address {email} already exists.", code="lead_exists"
        ) from exc
    if lists:
        lead.lists.set(lists)
    lead_repositories_analyse_later(leads=[lead])
    return lead


@transaction.atomic
def lead_update(
    *,
    lead: Lead,
    lists: list[LeadList] | None = None,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    company: str | None = None,
    github_username: str | None = None,
    github_url: str | None = None,
    attributes: dict[str, Any] | None = None,
    tags: list[str] | None = None,
) -> Lead:
    """Change the fields given; `None` (the default) leaves a field, or the lists, unchanged."""
    entitlement_ensure_writable(
        tenant=current_tenant(), resource="leads", current=Lead.objects.count()
    )
    _refuse_nul(
        email=email,
        first_name=first_name,
        last_name=last_name,
        company=company,
        github_username=github_username,
        github_url=github_url,
        attributes=attributes or {},
        tags=tags or [],
    )
    if email is not None:
        email = email.strip()
        if Lead.objects.filter(email__iexact=email).exclude(pk=lead.pk).exists():
            raise Conflict(f"A lead with the address {email} already exists.", code="lead_exists")
        lead.email = email
    _check_github_fields(github_username=github_username, github_url=github_url)
    github_before = _github_identity(lead)
    changes: dict[str, Any] = {
        "first_name": first_name,
        "last_name": last_name,
        "company": company,
        "github_username": github_username,
        "github_url": github_url,
        "attributes": attributes,
        "tags": None if tags is None else _normalise_tags(tags),
    }
    for key, value in changes.items():
        if value is not None:
            setattr(lead, key, value)
    lead.save()
    if lists is not None:
        lead.lists.set(lists)
    if _github_identity(lead) != github_before:
        lead_repositories_analyse_later(leads=[lead])
    return lead


@transaction.atomic
def lead_erase(*, lead: Lead) -> None:
    """GDPR erasure: the lead and its personal data go; messages keep counts, not the address.

    The address is not added to the suppression list (that would keep it); a later import may
    bring it back, which is the data subject's controller's call.
    """
    Message.objects.filter(lead=lead).update(email="erased@invalid", lead=None)
    Event.objects.filter(message__lead__isnull=True, message__email="erased@invalid").update(
        user_agent="", url=""
    )
    lead.delete()
