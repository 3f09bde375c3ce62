"""Dashboard pages for repositories and analyses; the same services as the API."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError, NotFound
from apps.core.permissions import capability_required

from . import forms, selectors, services
from .models import Analysis, Repository


@capability_required("repository.analyze")
def index(request):
    form = forms.AnalyzeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            analysis = services.analysis_request(
                tenant=request.tenant,
                url=form.cleaned_data["url"],
                trigger=Analysis.Trigger.DASHBOARD,
            )
        except DomainError as error:
            form.add_error(
                "url" if "url" in error.errors or not error.errors else None, error.detail
            )
        else:
            messages.success(request, f"Analysis of {analysis.repository.full_name} queued.")
            return redirect("dashboard:repository", repository_id=analysis.repository.public_id)
    repositories = list(
        selectors.repository_list(
            status=request.GET.get("status") or None, query=request.GET.get("q") or None
        )[:200]
    )
    latest = selectors.latest_analyses_for(repositories)
    rows = [
        {"repository": repository, "latest": latest.get(repository.pk)}
        for repository in repositories
    ]
    return render(
        request,
        "repos/index.html",
        {
            "form": form,
            "rows": rows,
            "connection": selectors.github_connection(),
            "status_choices": Repository.Status.choices,
        },
        status=400 if form.errors else 200,
    )


def _repository_or_404(repository_id):
    try:
        return selectors.repository_get(public_id=repository_id)
    except NotFound as error:
        raise Http404(error.detail) from error


@capability_required("workspace.view")
def repository(request, repository_id):
    repo = _repository_or_404(repository_id)
    history = selectors.history_with_diffs(repository=repo)
    shown = next(
        (row["analysis"] for row in history if row["analysis"].status == Analysis.Status.SUCCEEDED),
        None,
    )
    return render(
        request,
        "repos/repository.html",
        {
            "repository": repo,
            "history": history,
            "latest": history[0]["analysis"] if history else None,
            **_report_context(shown),
        },
    )


@capability_required("workspace.view")
def analysis(request, repository_id, analysis_id):
    repo = _repository_or_404(repository_id)
    try:
        shown = selectors.analysis_get(public_id=analysis_id, repository=repo)
    except NotFound as error:
        raise Http404(error.detail) from error
    return render(request, "repos/analysis.html", {"repository": repo, **_report_context(shown)})


def _report_context(shown: Analysis | None) -> dict:
    report = shown.report if shown else None
    return {
        "analysis": shown,
        "languages": (report or {}).get("languages", []),
        "groups": selectors.report_by_category(report),
        "components": (report or {}).get("components", []),
        "warnings": (report or {}).get("warnings", []),
    }


@require_POST
@capability_required("repository.analyze")
def reanalyse(request, repository_id):
    repo = _repository_or_404(repository_id)
    try:
        services.analysis_queue(
            tenant=request.tenant, repository=repo, trigger=Analysis.Trigger.DASHBOARD
        )
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Analysis of {repo.full_name} queued.")
    return redirect("dashboard:repository", repository_id=repo.public_id)


@require_POST
@capability_required("repository.delete")
def delete(request, repository_id):
    repo = _repository_or_404(repository_id)
    services.repository_delete(tenant=request.tenant, repository=repo)
    messages.success(request, f"{repo.full_name} is no longer tracked.")
    return redirect("dashboard:repositories")


@capability_required("integration.manage")
def github_settings(request):
    form = forms.TokenForm(request.POST or None)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "delete":
        services.github_token_delete()
        messages.success(request, "The GitHub token was removed.")
        return redirect("dashboard:repositories-github")
    if action == "install":
        try:
            link = services.github_link_state_create(tenant=request.tenant, user=request.user)
        except DomainError as error:
            messages.error(request, error.detail)
            return redirect("dashboard:repositories-github")
        return redirect(link.install_url)
    if action == "unlink":
        services.github_installation_unlink(tenant=request.tenant)
        messages.success(request, "The GitHub App installation was unlinked.")
        return redirect("dashboard:repositories-github")
    if request.method == "POST" and form.is_valid():
        try:
            row = services.github_token_set(token=form.cleaned_data["token"])
        except DomainError as error:
            form.add_error("token", error.detail)
        else:
            messages.success(request, f"GitHub token saved for {row.token_login}.")
            return redirect(reverse("dashboard:repositories-github"))
    return render(
        request,
        "repos/github.html",
        {
            "form": form,
            "connection": selectors.github_connection(),
            "app_available": bool(settings.GITHUB_APP_SLUG),
        },
        status=400 if form.errors else 200,
    )


@capability_required("integration.manage")
def github_link(request):
    """Where the public Setup URL callback sends the installer back, on their tenant's host."""
    params = request.GET
    if params.get("setup_action") == "request":
        messages.info(
            request,
            "GitHub asked the account's owners to approve the installation; once one of them "
            "has, an admin links it from here.",
        )
        return redirect("dashboard:repositories-github")
    try:
        installation_id = int(params.get("installation_id", ""))
    except ValueError:
        messages.error(request, "GitHub did not say which installation to link.")
        return redirect("dashboard:repositories-github")
    try:
        row = services.github_installation_link(
            tenant=request.tenant,
            user=request.user,
            installation_id=installation_id,
            code=params.get("code", ""),
            state=params.get("state", ""),
        )
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"GitHub App installation for {row.installation_account} linked.")
    return redirect("dashboard:repositories-github")
