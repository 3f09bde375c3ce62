"""Email templates: validation, create/update/delete, and rendering one message or a preview."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db import transaction
from django.template.defaultfilters import linebreaksbr
from django.utils.html import escape

from apps.core.errors import Conflict, ValidationFailed
from apps.tenants.models import Tenant

from .. import rendering, selectors, tracking
from ..models import EmailTemplate, Lead

SAMPLE_LEAD = Lead(
    email="ada@example.com",
    first_name="Ada",
    last_name="Lovelace",
    company="Analytical Engines",
    github_username="ada",
    attributes={"plan": "pro"},
    tags=["sample"],
)


def _prepare_template(*, subject: str, html: str, text: str) -> dict[str, Any]:
    html = rendering.sanitise_html(html or "")
    generated = not (text or "").strip()
    if generated:
        text = rendering.html_to_text(html)
    try:
        variables = rendering.validate_template(subject=subject, html=html, text=text)
    except rendering.TemplateInvalid as exc:
        raise ValidationFailed(
            "The template has errors.", code="template_invalid", errors=exc.errors
        ) from exc
    if not html.strip() and not text.strip():
        raise ValidationFailed.for_field(
            "html", "A template needs an HTML or a text part.", code="template_empty"
        )
    try:
        _render_preview(subject=subject, html=html, text=text, lead=SAMPLE_LEAD, stack={})
    except rendering.RenderLimitExceeded as exc:
        raise _render_error(exc) from exc
    except rendering.RenderFailed:
        pass  # a value the sample lead lacks; real leads may have it
    return {
        "subject": subject,
        "html": html,
        "text": text,
        "text_generated": generated,
        "variables": variables,
    }


@transaction.atomic
def template_create(*, name: str, subject: str, html: str = "", text: str = "") -> EmailTemplate:
    return EmailTemplate.objects.create(
        name=name, **_prepare_template(subject=subject, html=html, text=text)
    )


@transaction.atomic
def template_update(
    *,
    template: EmailTemplate,
    name: str | None = None,
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
) -> EmailTemplate:
    if text is None and template.text_generated:
        text = ""
    prepared = _prepare_template(
        subject=template.subject if subject is None else subject,
        html=template.html if html is None else html,
        text=template.text if text is None else text,
    )
    for key, value in prepared.items():
        setattr(template, key, value)
    if name is not None:
        template.name = name
    template.save()
    return template


@transaction.atomic
def template_delete(*, template: EmailTemplate) -> None:
    if template.campaigns.exists():
        raise Conflict(
            "Campaigns use this template; delete or change them first.", code="template_in_use"
        )
    template.delete()


@lru_cache(maxsize=128)
def _footer_parts(name: str, address: str) -> tuple[str, str]:
    html = (
        '<div style="margin-top:32px;padding-top:12px;border-top:1px solid #ddd;'
        f'font-size:12px;color:#666">{escape(name)}<br>{linebreaksbr(escape(address))}<br>'
    )
    return html, f"\n\n--\n{name}\n{address}\nUnsubscribe: "


def _footer(tenant: Tenant, unsubscribe_url: str) -> tuple[str, str]:
    """Sender identity, postal address (required by law) and the unsubscribe link."""
    html, text = _footer_parts(tenant.name, tenant.postal_address or "")
    return (
        f'{html}<a href="{escape(unsubscribe_url)}" style="color:#666">Unsubscribe</a></div>',
        f"{text}{unsubscribe_url}\n",
    )


def render_message(
    *,
    tenant: Tenant,
    subject: str,
    html: str,
    text: str,
    lead: Lead | rendering.LeadFields,
    campaign_name: str,
    message_id: int | None,
    base: str,
    stack: dict[str, Any] | None = None,
) -> rendering.Rendered:
    """Subject, HTML and text for one recipient: personalised, tracked, with the footer.

    `stack` is the lead's `lead.stack` variables; looked up here unless the caller batched it.
    """
    schema = tenant.schema_name
    unsubscribe_url = (
        f"{base}/u/{tracking.unsubscribe_token(schema=schema, message_id=message_id)}"
        if message_id is not None
        else f"{base}/u/preview"
    )
    context = {
        "lead": rendering.lead_context(
            lead, stack if stack is not None else selectors.lead_stack(lead=lead)
        ),
        "tenant": rendering.tenant_context(tenant),
        "campaign": {"name": campaign_name},
        "unsubscribe_url": unsubscribe_url,
    }
    rendered = rendering.render_parts(rendering.compile_parts(subject, html, text), context)
    footer_html, footer_text = _footer(tenant, unsubscribe_url)
    body_html = rendered.html
    if message_id is not None:
        body_html = tracking.rewrite_links(
            body_html, schema=schema, message_id=message_id, base=base, skip=(f"{base}/u/",)
        )
        body_html += tracking.pixel_tag(schema=schema, message_id=message_id, base=base)
    rendered.html = f"{body_html}{footer_html}" if rendered.html.strip() else ""
    rendered.text = rendered.text.rstrip() + footer_text
    rendered.unsubscribe_url = unsubscribe_url
    return rendered


def _render_preview(**render_arguments: Any) -> rendering.Rendered:
    """A rendering without tracking; a placeholder tenant and campaign name unless given."""
    render_arguments.setdefault("tenant", Tenant(name="Preview", postal_address=""))
    render_arguments.setdefault("campaign_name", "Preview")
    return render_message(message_id=None, base=tracking.public_base_url(), **render_arguments)


def _render_error(exc: rendering.RenderFailed) -> ValidationFailed:
    code = (
        "template_too_large"
        if isinstance(exc, rendering.RenderLimitExceeded)
        else "template_render_failed"
    )
    return ValidationFailed(str(exc), code=code, errors={exc.field or "html": [str(exc)]})


def render_checked(**render_arguments: Any) -> rendering.Rendered:
    """A preview or test rendering; a part over a size cap is a 400 `template_too_large`, a
    part that cannot be rendered for this lead a 400 `template_render_failed`, naming the part."""
    try:
        return _render_preview(**render_arguments)
    except rendering.RenderFailed as exc:
        raise _render_error(exc) from exc


def template_preview(
    *,
    tenant: Tenant,
    template: EmailTemplate | None = None,
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
    lead: Lead | None = None,
) -> dict[str, Any]:
    if template is not None:
        subject, html, text = template.subject, template.html, template.text
    prepared = _prepare_template(subject=subject or "", html=html or "", text=text or "")
    rendered = render_checked(
        tenant=tenant,
        subject=prepared["subject"],
        html=prepared["html"],
        text=prepared["text"],
        lead=lead or SAMPLE_LEAD,
    )
    return {
        "subject": rendered.subject,
        "html": rendered.html,
        "text": rendered.text,
        "variables": prepared["variables"],
    }
