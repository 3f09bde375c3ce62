"""Dashboard pages: the same services as the API, rendered as HTML; errors become messages."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError, ValidationFailed
from apps.core.permissions import capability_required
from apps.core.roles import capability_for_test_send, ensure_capability, request_role

from . import selectors, services
from .forms import AudienceForm, ContentForm, ScheduleForm, SendingDomainForm
from .models import Campaign
from .uploads import ImportSizeLimitUploadHandler


def _error_text(exc: DomainError) -> str:
    details = [m for msgs in exc.errors.values() for m in msgs if m != exc.detail]
    return " ".join([exc.detail, *details])


@capability_required("workspace.view")
def index(request):
    campaigns = selectors.campaigns_visible()[:200]
    return render(request, "campaigns/index.html", {"campaigns": campaigns})


STEP_TITLES = {
    "audience": "Audience",
    "template": "Template",
    "schedule": "Schedule",
    "review": "Review",
}


def _step_url(campaign: Campaign, step: str):
    return redirect("dashboard:campaign-wizard", campaign_id=campaign.public_id, step=step)


def _neighbour(step: str, nav: str) -> str:
    steps = services.WIZARD_STEPS
    index = steps.index(step) + (-1 if nav == "back" else 1)
    return steps[max(0, min(index, len(steps) - 1))]


def _local(value: datetime | None, tenant) -> str:
    """A UTC time as the organisation's wall clock, the way datetime-local inputs show it."""
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo(tenant.timezone or "UTC")).strftime("%Y-%m-%dT%H:%M")


def _wizard_draft(campaign: Campaign | None) -> Campaign:
    """Every step after the first edits the draft the first step saved."""
    if campaign is None:
        raise Http404("Start with the audience")
    return campaign


@capability_required(
    "campaign.draft", actions={"schedule": "campaign.send", "send-now": "campaign.send"}
)
def campaign_wizard(request, campaign_id=None, step="audience"):
    """New campaign, step by step: audience → template → schedule → review.

    Step 1 saves a draft; every later step edits that draft through its step service, so a
    reload, the back button or coming back tomorrow loses nothing. "Back" saves the step's input
    when it is valid and goes back regardless.
    """
    if step not in services.WIZARD_STEPS:
        raise Http404("No such step")
    campaign = None
    if campaign_id is not None:
        try:
            campaign = selectors.campaign_get(public_id=campaign_id)
        except Campaign.DoesNotExist as exc:
            raise Http404("No such campaign") from exc
        if campaign.status != Campaign.Status.DRAFT:
            messages.info(request, f"This campaign is {campaign.get_status_display().lower()}.")
            return redirect("dashboard:campaign-report", campaign_id=campaign.public_id)
    elif step != "audience":
        raise Http404("Start with the audience")

    tenant = request.tenant
    context: dict = {
        "campaign": campaign,
        "step": step,
        "steps": [(key, STEP_TITLES[key]) for key in services.WIZARD_STEPS],
        "tenant_timezone": tenant.timezone,
        "errors": {},
        "verified_domains": selectors.sending_domain_names_verified() if step == "template" else [],
    }
    if step == "review":
        return _wizard_review(request, _wizard_draft(campaign), context)

    form: AudienceForm | ContentForm | ScheduleForm
    if step == "audience":
        lists, segments = selectors.lists_with_counts(), selectors.segment_list()
        form = AudienceForm(
            request.POST or None,
            lists=lists,
            segments=segments,
            initial=AudienceForm.initial_for(campaign),
        )
        context.update(lists=lists, segments=segments)
    elif step == "template":
        form = ContentForm(
            request.POST or None,
            templates=selectors.template_list(),
            initial=ContentForm.initial_for(campaign),
        )
    else:
        send_at = _wizard_draft(campaign).send_at
        form = ScheduleForm(
            request.POST or None,
            initial=ScheduleForm.initial_for(campaign, _local(send_at, tenant)),
        )
    context["form"] = form
    if request.method != "POST":
        return render(request, "campaigns/wizard.html", context)

    nav = request.POST.get("nav", "next")
    try:
        if not form.is_valid():
            raise ValidationFailed(
                "Check the highlighted fields.",
                errors={key: [str(m) for m in value] for key, value in form.errors.items()},
            )
        if isinstance(form, AudienceForm):
            lead_list, segment = form.audience_objects()
            campaign = services.campaign_draft_audience(
                campaign=campaign,
                name=form.cleaned_data["name"],
                lead_list=lead_list,
                segment=segment,
                created_by=request.user.email,
            )
        elif isinstance(form, ContentForm):
            services.campaign_draft_content(
                campaign=_wizard_draft(campaign),
                template=form.template_object(),
                from_email=form.cleaned_data["from_email"],
                reply_to=form.cleaned_data["reply_to"],
            )
        else:
            services.campaign_draft_send_at(
                campaign=_wizard_draft(campaign),
                tenant=tenant,
                send_at=form.cleaned_data["send_at"],
            )
    except DomainError as exc:
        if nav == "back" and campaign is not None:
            messages.warning(request, f"Not saved: {_error_text(exc)}")
            return _step_url(campaign, _neighbour(step, "back"))
        messages.error(request, exc.detail)
        context["errors"] = exc.errors
        return render(request, "campaigns/wizard.html", context, status=400)
    return _step_url(_wizard_draft(campaign), _neighbour(step, nav))


def _send_test(request, campaign: Campaign, tenant) -> None:
    """The "send a test" form: addresses separated by commas or semicolons."""
    raw = request.POST.get("emails", "").replace(";", ",")
    emails = [email.strip() for email in raw.split(",") if email.strip()]
    ensure_capability(
        role=request_role(request),
        name=capability_for_test_send(own_email=request.user.email, emails=emails),
    )
    sent = services.campaign_test_send(campaign=campaign, tenant=tenant, emails=emails)
    messages.success(request, f"Test sent to {sent} address{'es' if sent != 1 else ''}.")


def _wizard_review(request, campaign: Campaign, context: dict):
    """Step 4: what will be sent, to how many, the content check; test send, schedule, send."""
    tenant = request.tenant
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "test-send":
                _send_test(request, campaign, tenant)
            elif action == "schedule" and campaign.send_at is not None:
                services.campaign_schedule(
                    campaign=campaign, send_at=campaign.send_at, tenant=tenant
                )
                when = _local(campaign.send_at, tenant)
                messages.success(request, f"Scheduled for {when} ({tenant.timezone}).")
                return redirect("dashboard:campaign-report", campaign_id=campaign.public_id)
            elif action == "send-now":
                services.campaign_send_now(campaign=campaign, tenant=tenant)
                messages.success(request, "Sending started.")
                return redirect("dashboard:campaign-report", campaign_id=campaign.public_id)
            else:
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return _step_url(campaign, "review")

    spam = None
    if campaign.template_id:
        try:
            spam = services.campaign_spam_check(campaign=campaign, tenant=tenant)
        except DomainError as exc:
            messages.error(request, _error_text(exc))
    context.update(
        spam=spam,
        recipients=selectors.campaign_recipient_count(campaign=campaign),
        send_at_local=_local(campaign.send_at, tenant),
        postal_address_missing=not (tenant.postal_address or "").strip(),
    )
    return render(request, "campaigns/wizard.html", context)


CHART_WIDTH, CHART_HEIGHT = 600, 160


def _chart(timeline: list[dict]) -> dict:
    """Inline SVG bar chart of human opens and clicks per hour (no JavaScript, no CDN)."""
    if not timeline:
        return {"bars": [], "width": CHART_WIDTH, "height": CHART_HEIGHT}
    peak = max(max(row["opens"], row["clicks"]) for row in timeline) or 1
    slot = CHART_WIDTH / len(timeline)
    bar = max(1.0, slot / 2 - 1)
    bars = []
    for index, row in enumerate(timeline):
        x = index * slot
        for offset, key in ((0, "opens"), (bar, "clicks")):
            height = round(row[key] / peak * (CHART_HEIGHT - 20), 1)
            bars.append(
                {
                    "x": round(x + offset, 1),
                    "y": round(CHART_HEIGHT - height, 1),
                    "w": round(bar, 1),
                    "h": height,
                    "kind": key,
                    "value": row[key],
                    "hour": row["hour"],
                }
            )
    return {"bars": bars, "width": CHART_WIDTH, "height": CHART_HEIGHT, "peak": peak}


@capability_required("workspace.view")
def campaign_report(request, campaign_id):
    try:
        campaign = selectors.campaign_get(public_id=campaign_id, include_deleted=True)
    except Campaign.DoesNotExist as exc:
        raise Http404("No such campaign") from exc
    stats = selectors.campaign_stats(campaign=campaign)
    spam = None
    if campaign.template_id and campaign.status in (
        Campaign.Status.DRAFT,
        Campaign.Status.SCHEDULED,
    ):
        try:
            spam = services.campaign_spam_check(campaign=campaign, tenant=request.tenant)
        except DomainError as exc:
            messages.error(request, _error_text(exc))
    return render(
        request,
        "campaigns/report.html",
        {
            "campaign": campaign,
            "stats": stats,
            "chart": _chart(stats["timeline"]),
            "spam": spam,
            "tenant_timezone": request.tenant.timezone,
        },
    )


# What each action of the campaign page's form needs; other actions need `campaign.draft`.
CAMPAIGN_ACTION_CAPABILITIES = {
    "test-send": "campaign.test_send",
    "schedule": "campaign.send",
    "send-now": "campaign.send",
    "resume": "campaign.send",
    "cancel": "campaign.send",
    "pause": "campaign.pause",
    "duplicate": "campaign.draft",
    "delete": "campaign.draft",
    "restore": "campaign.draft",
}

ACTION_DONE = {
    "send-now": "Sending started.",
    "pause": "Paused. Queued messages wait until you resume.",
    "resume": "Resumed.",
    "cancel": "Cancelled.",
    "delete": "Deleted. You can restore it for 30 days.",
    "restore": "Restored.",
}


@require_POST
@capability_required("campaign.draft", actions=CAMPAIGN_ACTION_CAPABILITIES)
def campaign_action(request, campaign_id):
    try:
        campaign = selectors.campaign_get(public_id=campaign_id, include_deleted=True)
    except Campaign.DoesNotExist as exc:
        raise Http404("No such campaign") from exc
    action = request.POST.get("action", "")
    tenant = request.tenant
    raw_send_at = request.POST.get("send_at", "")
    try:
        if action == "test-send":
            _send_test(request, campaign, tenant)
            return redirect("dashboard:campaign-report", campaign_id=campaign_id)
        send_at = None
        if action == "schedule":
            try:
                send_at = datetime.fromisoformat(raw_send_at)
            except ValueError:
                messages.error(request, "Enter a date and time to schedule.")
                return redirect("dashboard:campaign-report", campaign_id=campaign_id)
        result = services.campaign_action_apply(
            campaign=campaign, action=action, tenant=tenant, user=request.user, send_at=send_at
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("dashboard:campaign-report", campaign_id=campaign_id)
    if action == "duplicate":
        return redirect("dashboard:campaign-report", campaign_id=result.public_id)
    if action == "schedule":
        messages.success(request, f"Scheduled for {raw_send_at} ({tenant.timezone}).")
    else:
        messages.success(request, ACTION_DONE[action])
    if action == "delete":
        return redirect("dashboard:campaigns")
    return redirect("dashboard:campaign-report", campaign_id=campaign_id)


@csrf_exempt  # checked by `_leads`, once the size limit is in place before the body is read
@capability_required("lead.manage")
def leads(request):
    limit = ImportSizeLimitUploadHandler(
        request,
        max_bytes=settings.CAMPAIGN_IMPORT_MAX_BYTES,
        allowance=services.MULTIPART_ALLOWANCE,
    )
    request.upload_handlers.insert(0, limit)
    return _leads(request, limit)


@csrf_protect
def _leads(request, limit: ImportSizeLimitUploadHandler):
    # Reading FILES parses the body, through the size limit; only then is its verdict known.
    if request.method == "POST" and not request.FILES and limit.refused_size is not None:
        try:
            services.import_size_check(size=limit.refused_size)
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("dashboard:leads")
    if request.method == "POST" and request.FILES.get("file"):
        try:
            lead_list = selectors.list_by_public_id(public_id=request.POST.get("list"))
            job = services.lead_import_create(upload=request.FILES["file"], lead_list=lead_list)
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "Import started.")
            return redirect("dashboard:lead-import", import_id=job.public_id)
        return redirect("dashboard:leads")
    if request.method == "POST":
        try:
            services.lead_create(
                tenant=request.tenant,
                email=request.POST.get("email", ""),
                first_name=request.POST.get("first_name", ""),
                last_name=request.POST.get("last_name", ""),
                company=request.POST.get("company", ""),
                github_username=request.POST.get("github_username", "").strip(),
                github_url=request.POST.get("github_url", "").strip(),
                tags=request.POST.get("tags", "").split(","),
            )
            messages.success(request, "Lead added.")
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("dashboard:leads")
    filters = {}
    if request.GET.get("q"):
        filters["search"] = request.GET["q"]
    if request.GET.get("tag"):
        filters["tags_any"] = [request.GET["tag"]]
    if request.GET.get("list"):
        filters["list"] = request.GET["list"]
    qs = selectors.leads_matching(filters=filters, queryset=selectors.leads_newest_first())
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    # The page's leads carry their GitHub state for the template, as `lead.github`.
    leads_on_page: list[Any] = list(page.object_list)
    page.object_list = leads_on_page
    github = selectors.lead_github_states(leads=leads_on_page)
    for lead in leads_on_page:
        lead.github = github.get(lead.pk)
    return render(
        request,
        "campaigns/leads.html",
        {
            "page": page,
            "lists": selectors.lists_all(),
            "q": request.GET.get("q", ""),
            "tag": request.GET.get("tag", ""),
            "imports": selectors.imports_recent(limit=5),
        },
    )


@capability_required("workspace.view")
def import_status(request, import_id):
    job = selectors.import_get(public_id=import_id)
    if job is None:
        raise Http404("No such import")
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(
            {
                "status": job.status,
                "progress": job.progress,
                "rows": job.rows_total,
                "created": job.created,
                "errors": job.errors_count,
            }
        )
    return render(request, "campaigns/import.html", {"job": job})


@capability_required("workspace.view")
def templates(request):
    return render(request, "campaigns/templates.html", {"templates": selectors.template_list()})


@capability_required("template.manage")
def template_edit(request, template_id=None):
    template = None
    if template_id:
        template = selectors.template_get(public_id=template_id)
        if template is None:
            raise Http404("No such template")
    errors: dict = {}
    if request.method == "POST":
        fields = {k: request.POST.get(k, "") for k in ("name", "subject", "html", "text")}
        try:
            if template is None:
                template = services.template_create(**fields)
            else:
                template = services.template_update(template=template, **fields)
        except DomainError as exc:
            messages.error(request, exc.detail)
            errors = exc.errors
            return render(
                request,
                "campaigns/template_edit.html",
                {"template": template, "data": fields, "errors": errors},
                status=400,
            )
        messages.success(request, "Template saved.")
        return redirect("dashboard:template-edit", template_id=template.public_id)
    data = (
        {
            "name": template.name,
            "subject": template.subject,
            "html": template.html,
            "text": "" if template.text_generated else template.text,
        }
        if template
        else {
            "name": "",
            "subject": 'Hello {{ lead.first_name|default:"there" }}',
            "html": '<p>Hi {{ lead.first_name|default:"there" }},</p>\n<p></p>',
            "text": "",
        }
    )
    return render(
        request,
        "campaigns/template_edit.html",
        {"template": template, "data": data, "errors": errors},
    )


@require_POST
@capability_required("template.manage")
def template_preview(request):
    try:
        preview = services.template_preview(
            tenant=request.tenant,
            subject=request.POST.get("subject", ""),
            html=request.POST.get("html", ""),
            text=request.POST.get("text", ""),
            lead=selectors.lead_first(),
        )
    except DomainError as exc:
        return JsonResponse({"errors": exc.errors or {"html": [exc.detail]}}, status=400)
    return JsonResponse(preview)


def _sending_domain_or_404(domain_id):
    domain = selectors.sending_domain_get(public_id=domain_id)
    if domain is None:
        raise Http404("No such sending domain.")
    return domain


@capability_required("sending_domain.manage")
def sending_domains(request):
    """The organisation's sending domains, and the form that adds one."""
    form = SendingDomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain = services.sending_domain_create(
                name=form.cleaned_data["name"], tenant=request.tenant
            )
        except DomainError as exc:
            form.add_error("name" if "name" in exc.errors else None, _error_text(exc))
        else:
            messages.success(
                request, f"{domain.name} added: publish the DNS records below, then verify it."
            )
            return redirect("dashboard:sending-domain", domain_id=domain.public_id)
    context = {"form": form, "domains": selectors.sending_domain_list()}
    return render(
        request, "campaigns/sending_domains.html", context, status=400 if form.errors else 200
    )


@capability_required("sending_domain.manage")
def sending_domain(request, domain_id):
    """One domain: its status and the DNS records to publish (POST: verify or remove it)."""
    domain = _sending_domain_or_404(domain_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "verify":
                domain = services.sending_domain_verify(domain=domain)
                messages.success(request, f"Resend is checking {domain.name}: {domain.status}.")
            elif action == "remove":
                services.sending_domain_delete(domain=domain)
                messages.success(request, f"{domain.name} removed.")
                return redirect("dashboard:sending-domains")
            else:
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("dashboard:sending-domain", domain_id=domain.public_id)
    context = {"domain": domain, "unverified_days": settings.SENDING_DOMAIN_UNVERIFIED_DAYS}
    return render(request, "campaigns/sending_domain.html", context)
