"""Sending domains: a tenant sends only as a domain it has proven it controls.

A tenant adds a domain; Strato registers it with Resend (`POST /domains`), shows the DNS records
Resend asks for (SPF, DKIM, return path), asks Resend to check them (`POST /domains/{id}/verify`)
and follows the status (`GET /domains/{id}`, also from a beat job). Only a verified domain may
appear in a campaign's sender (checked when the campaign is saved); when a domain stops being
verified later, its campaigns go out from the platform's address instead, with the tenant's name
and the campaign's address as Reply-To (`campaign_sender`), so nothing is ever sent as an
unverified domain.

A domain belongs to one tenant: the public `domain_claims` table holds a unique row per name,
taken in the same transaction as the tenant's own row. The platform's mail domain and the base
domain of tenant hosts, their subdomains, and the public mailbox providers are reserved.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr
from typing import Any

import idna
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.campaigns.domain_claims.models import SendingDomainClaim
from apps.core.errors import Conflict, DomainError, ServiceUnavailable, ValidationFailed
from apps.tenants.models import Tenant

from .. import resend, selectors
from ..models import Campaign, SendingDomain

logger = logging.getLogger(__name__)

D = SendingDomain.Status

# Mailbox providers anyone can sign up to: an address there proves nothing about its sender.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hey.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mac.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "tutanota.com",
        "web.de",
        "yahoo.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
    }
)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PLATFORM_DISPLAY_SUFFIX = "via Strato"


class SendingDomainTaken(Conflict):
    code = "sending_domain_taken"
    title = "This domain belongs to another organisation"


class SendingDomainExists(Conflict):
    code = "sending_domain_exists"
    title = "This organisation already has this domain"


class ResendNotConfigured(ServiceUnavailable):
    code = "resend_not_configured"
    title = "The email provider is not configured"


class ResendUnreachable(ServiceUnavailable):
    code = "resend_unavailable"
    title = "Email provider unavailable"


class ResendRefused(DomainError):
    status = 502
    code = "resend_error"
    title = "The email provider refused the request"


def domain_normalise(name: str) -> str:
    """The IDNA (punycode), lowercase form of a domain name, or a 400 on `name`."""
    raw = (name or "").strip().rstrip(".").lower()

    def invalid(why: str) -> ValidationFailed:
        return ValidationFailed.for_field("name", why, code="sending_domain_invalid")

    if not raw:
        raise invalid("Enter a domain such as mail.example.com.")
    if "@" in raw or "/" in raw or ":" in raw:
        raise invalid("Enter the domain only (mail.example.com), without an address or URL.")
    try:
        # An ASCII name is taken as DNS spells it (IDNA's rules would refuse some valid host
        # names, such as `ab--cd.example`); a Unicode one is converted to its punycode form.
        ascii_name = raw if raw.isascii() else idna.encode(raw, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise invalid(f"{name.strip()} is not a valid domain name.") from exc
    labels = ascii_name.split(".")
    if (
        len(ascii_name) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise invalid(f"{name.strip()} is not a valid domain name.")
    return ascii_name


def platform_domain() -> str:
    configured = settings.PLATFORM_SENDING_DOMAIN or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return (configured.rpartition("@")[2] or configured).strip().rstrip(".").lower()


def domain_reserved_reason(name: str) -> str:
    """Why a (normalised) domain may not be added by any tenant, or "" when it may."""
    for platform in (platform_domain(), settings.STRATO_BASE_DOMAIN.lower()):
        if platform and (name == platform or name.endswith("." + platform)):
            return f"{name} belongs to the platform and cannot be used by an organisation."
    if name in PUBLIC_MAIL_DOMAINS:
        return f"{name} is a public mailbox provider; add a domain your organisation controls."
    return ""


def address_domain(address: str) -> str:
    """The normalised domain of `ada@x.example` or `Ada <ada@x.example>`; "" when it has none."""
    _, addr = parseaddr(address or "")
    domain = addr.rpartition("@")[2]
    if not domain:
        return ""
    try:
        return domain_normalise(domain)
    except ValidationFailed:
        return ""


def _resend_call(call: Any, **kwargs: Any) -> dict[str, Any]:
    """A Resend domains call, its failures as the errors the API and dashboard show."""
    if not settings.ANYMAIL.get("RESEND_API_KEY"):
        raise ResendNotConfigured(
            "Sending domains need the Resend API key (RESEND_API_KEY), which is not set."
        )
    try:
        result: dict[str, Any] = call(**kwargs)
    except resend.ResendUnavailable as exc:
        logger.warning("resend domains call failed: %s", exc)
        raise ResendUnreachable(
            "We could not reach our email provider. Nothing changed: please try again shortly."
        ) from exc
    except resend.ResendRejected as exc:
        if exc.status in (400, 409, 422):
            raise ValidationFailed.for_field(
                "name", f"Resend refused the domain: {exc}", code="sending_domain_rejected"
            ) from exc
        raise ResendRefused(f"Resend refused the request ({exc.status}): {exc}") from exc
    return result


def _records(value: Any) -> list[dict[str, Any]]:
    """Resend's DNS records, keeping the fields we show (unknown ones are dropped)."""
    keep = ("record", "name", "type", "value", "ttl", "priority", "status")
    if not isinstance(value, list):
        return []
    return [{k: r[k] for k in keep if k in r} for r in value if isinstance(r, dict)]


def _apply(domain: SendingDomain, body: dict[str, Any]) -> None:
    """What Resend reported about the domain: status, records and region."""
    status = body.get("status")
    if status in D.values:
        domain.status = status
    elif status:
        logger.warning("resend reported an unknown domain status %r for %s", status, domain.name)
    if "records" in body:
        domain.records = _records(body["records"])
    if body.get("region"):
        domain.region = str(body["region"])[:32]
    domain.last_checked_at = timezone.now()
    if domain.status == D.VERIFIED and domain.verified_at is None:
        domain.verified_at = domain.last_checked_at


@transaction.atomic
def sending_domain_create(*, name: str, tenant: Tenant) -> SendingDomain:
    """Claim the domain for this tenant and register it with Resend; all or nothing.

    The claim is taken first, so a second tenant racing for the same name waits on the unique
    index and then gets 409 `sending_domain_taken`; if Resend refuses, the claim rolls back."""
    name = domain_normalise(name)
    reason = domain_reserved_reason(name)
    if reason:
        raise ValidationFailed.for_field("name", reason, code="sending_domain_reserved")
    if SendingDomain.objects.filter(name=name).exists():
        raise SendingDomainExists(f"{name} is already one of your sending domains.")
    owner = SendingDomainClaim.objects.filter(name=name).values_list("tenant_id", flat=True).first()
    if owner is not None and owner != tenant.pk:
        raise SendingDomainTaken(f"{name} is used by another organisation.")
    if owner is None:  # (a claim of ours without its row is reused)
        try:
            with transaction.atomic():
                SendingDomainClaim.objects.create(name=name, tenant=tenant)
        except IntegrityError as exc:
            raise SendingDomainTaken(f"{name} is used by another organisation.") from exc
    body = _resend_call(resend.domain_create, name=name)
    if not body.get("id"):
        raise ResendRefused("Resend answered without a domain id.")
    domain = SendingDomain(name=name, resend_id=str(body["id"]))
    _apply(domain, body)
    domain.save()
    return domain


def sending_domain_refresh(*, domain: SendingDomain) -> SendingDomain:
    """Read the domain's status and records from Resend (`GET /domains/{id}`)."""
    body = _resend_call(resend.domain_get, domain_id=domain.resend_id)
    with transaction.atomic():
        domain = SendingDomain.objects.select_for_update().get(pk=domain.pk)
        _apply(domain, body)
        domain.save()
    return domain


def sending_domain_verify(*, domain: SendingDomain) -> SendingDomain:
    """Ask Resend to check the DNS records now, then read what it reports.

    Resend checks asynchronously: the answer is usually `pending`, and the status settles within
    minutes (the beat job and the next refresh pick it up)."""
    _resend_call(resend.domain_verify, domain_id=domain.resend_id)
    return sending_domain_refresh(domain=domain)


@transaction.atomic
def sending_domain_delete(*, domain: SendingDomain) -> None:
    """Remove the domain from Resend and from the tenant, and release the claim on its name.

    Campaigns that still use an address on it go out from the platform's address from then on
    (see `campaign_sender`)."""
    domain = SendingDomain.objects.select_for_update().get(pk=domain.pk)
    _resend_call(resend.domain_delete, domain_id=domain.resend_id)
    SendingDomainClaim.objects.filter(name=domain.name).delete()
    domain.delete()


def sending_domains_refresh_due() -> int:
    """Beat, per tenant: refresh domains still being verified (and settled ones now and then),
    and remove those never verified within `SENDING_DOMAIN_UNVERIFIED_DAYS`.

    The removal frees the name: a tenant that cannot prove it controls a domain does not keep
    its owner from adding it. A domain Resend cannot be asked about right now is left for the
    next run."""
    if not settings.ANYMAIL.get("RESEND_API_KEY"):
        return 0
    now = timezone.now()
    expired = now - timedelta(days=settings.SENDING_DOMAIN_UNVERIFIED_DAYS)
    for domain in selectors.sending_domains_never_verified(created_before=expired):
        try:
            domain = sending_domain_refresh(domain=domain)  # verified at the last minute: kept
            if domain.verified_at is None:
                sending_domain_delete(domain=domain)
                logger.info("sending domain %s removed: never verified", domain.name)
        except (ResendUnreachable, ResendRefused, ValidationFailed) as exc:
            logger.warning("sending domain %s not expired: %s", domain.name, exc.detail)
    refreshed = 0
    for domain in selectors.sending_domains_due_for_check(now=now):
        try:
            sending_domain_refresh(domain=domain)
        except (ResendUnreachable, ResendRefused, ValidationFailed) as exc:
            logger.warning("sending domain %s not refreshed: %s", domain.name, exc.detail)
            continue
        refreshed += 1
    return refreshed


def sender_check(*, from_email: str) -> None:
    """A campaign's sender must be on one of this tenant's verified domains (400 otherwise)."""
    domain = address_domain(from_email)
    if domain and selectors.sending_domain_is_verified(name=domain):
        return
    message = (
        f"{domain or from_email} is not a verified sending domain of this organisation. "
        "Add it under Settings → Sending domains and verify it, or leave the sender empty to "
        "send from Strato's address with your organisation's name."
    )
    raise ValidationFailed.for_field("from_email", message, code="sending_domain_unverified")


@dataclass(frozen=True)
class Sender:
    from_email: str
    reply_to: str


def platform_sender(*, tenant: Tenant) -> str:
    """`"<Tenant name> via Strato" <platform address>`: the sender when a tenant has no domain."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = " ".join((tenant.name or tenant.slug or "").split())  # no CR/LF into a header
    display = f"{name} {PLATFORM_DISPLAY_SUFFIX}" if name else "Strato"
    return formataddr((display, address))


def campaign_sender(*, campaign: Campaign, tenant: Tenant) -> Sender:
    """Who a campaign's emails are from, decided when they are sent.

    Its own sender while that is on a verified domain of the tenant; otherwise (no sender, or
    the domain was deleted or failed verification since) the platform's address under the
    tenant's name, with replies going to the campaign's Reply-To or else its own address."""
    reply_to = campaign.reply_to
    if campaign.from_email:
        domain = address_domain(campaign.from_email)
        if domain and selectors.sending_domain_is_verified(name=domain):
            return Sender(from_email=campaign.from_email, reply_to=reply_to)
        reply_to = reply_to or parseaddr(campaign.from_email)[1]
    return Sender(from_email=platform_sender(tenant=tenant), reply_to=reply_to)
