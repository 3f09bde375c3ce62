"""Reads for repositories and analyses (tenant schema unless said otherwise)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django_tenants.utils import tenant_context

from apps.core.errors import NotFound
from apps.tenants.models import Tenant

from .models import Analysis, GitHubConnection, Repository
from .routing.models import InstallationRoute, RepositoryRoute

if TYPE_CHECKING:
    from apps.tenants.models import Tenant

# Category order on the analysis page and in stack summaries.
CATEGORY_ORDER = [
    "language",
    "framework",
    "library",
    "orm",
    "database",
    "queue",
    "cache",
    "search",
    "cloud",
    "hosting",
    "container",
    "orchestration",
    "infrastructure",
    "ci",
    "monitoring",
    "analytics",
    "auth",
    "payment",
    "email",
    "testing",
    "linter",
    "build",
    "package-manager",
]
FRAMEWORK_CATEGORIES = {"framework"}


def github_connection() -> GitHubConnection | None:
    return GitHubConnection.objects.first()


def repository_list(*, status: str | None = None, query: str | None = None) -> QuerySet[Repository]:
    repositories = Repository.objects.all()
    if status:
        repositories = repositories.filter(status=status)
    if query:
        repositories = repositories.filter(Q(owner__icontains=query) | Q(name__icontains=query))
    return repositories


def repository_get(*, public_id: UUID | str) -> Repository:
    repository = Repository.objects.filter(public_id=public_id).first()
    if repository is None:
        raise NotFound(
            "No repository with this id in this organisation.", code="repository_not_found"
        )
    return repository


def repository_count() -> int:
    return Repository.objects.count()


def repository_find(*, public_id: UUID) -> Repository | None:
    return Repository.objects.filter(public_id=public_id).first()


def repository_by_github_id(*, github_id: int) -> Repository | None:
    return Repository.objects.filter(github_id=github_id).first()


def repository_by_full_name(*, owner: str, name: str) -> Repository | None:
    return (
        Repository.objects.annotate(owner_ci=Lower("owner"), name_ci=Lower("name"))
        .filter(owner_ci=owner.lower(), name_ci=name.lower())
        .first()
    )


def analysis_get(*, public_id: UUID | str, repository: Repository | None = None) -> Analysis:
    analyses = Analysis.objects.select_related("repository")
    if repository is not None:
        analyses = analyses.filter(repository=repository)
    analysis = analyses.filter(public_id=public_id).first()
    if analysis is None:
        raise NotFound("No analysis with this id in this organisation.", code="analysis_not_found")
    return analysis


def analyses_of(*, repository: Repository) -> QuerySet[Analysis]:
    return Analysis.objects.filter(repository=repository).select_related("repository")


def analysis_for_delivery(*, repository: Repository, delivery_id: str) -> Analysis | None:
    """The analysis a webhook delivery already queued, if any (deliveries may come twice)."""
    return Analysis.objects.filter(repository=repository, delivery_id=delivery_id).first()


def analyses_stuck(*, status: str, since_before: datetime) -> list[Analysis]:
    """Analyses in `status` (queued or running) since before `since_before`, oldest first."""
    since = "created_at" if status == Analysis.Status.QUEUED else "started_at"
    return list(
        Analysis.objects.select_related("repository")
        .filter(status=status, **{f"{since}__lt": since_before})
        .order_by(since)[:500]
    )


def analysis_waiting(*, repository: Repository) -> Analysis | None:
    return Analysis.objects.filter(repository=repository, status=Analysis.Status.QUEUED).first()


def analysis_reusable(
    *, repository: Repository, commit_sha: str, besides: Analysis
) -> Analysis | None:
    """The newest succeeded analysis of the same commit, whose report can be reused."""
    return (
        Analysis.objects.filter(
            repository=repository, commit_sha=commit_sha, status=Analysis.Status.SUCCEEDED
        )
        .exclude(pk=besides.pk)
        .order_by("-created_at")
        .first()
    )


def latest_analysis(*, repository: Repository, succeeded: bool = False) -> Analysis | None:
    analyses = analyses_of(repository=repository)
    if succeeded:
        analyses = analyses.filter(status=Analysis.Status.SUCCEEDED)
    return analyses.order_by("-created_at", "-id").first()


def latest_analyses_for(repositories: Iterable[Repository]) -> dict[int, Analysis]:
    """The newest analysis of each repository, in one query (no N+1 in lists)."""
    ids = [repository.pk for repository in repositories]
    latest: dict[int, Analysis] = {}
    for analysis in (
        Analysis.objects.filter(repository_id__in=ids)
        .order_by("repository_id", "-created_at", "-id")
        .distinct("repository_id")
    ):
        latest[analysis.repository_id] = analysis
    return latest


def analysis_pending_or_since(*, repository: Repository, since: datetime) -> bool:
    """Is an analysis of `repository` waiting or running, or was one requested after `since`?"""
    return (
        Analysis.objects.filter(repository=repository)
        .filter(
            Q(status__in=[Analysis.Status.QUEUED, Analysis.Status.RUNNING])
            | Q(created_at__gte=since)
        )
        .exists()
    )


def owners_analysing(*, owners: Iterable[str]) -> set[str]:
    """GitHub owners (lower-cased) with a repository whose analysis is waiting or running."""
    wanted = {owner.lower() for owner in owners if owner}
    if not wanted:
        return set()
    return set(
        Repository.objects.annotate(owner_lower=Lower("owner"))
        .filter(
            owner_lower__in=wanted,
            status__in=[Repository.Status.QUEUED, Repository.Status.ANALYSING],
        )
        .values_list("owner_lower", flat=True)
    )


def _technologies(report: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {item["slug"]: item for item in (report or {}).get("technologies", [])}


def analysis_diff(*, base: Analysis, head: Analysis) -> dict[str, Any]:
    """Technologies added, removed and changed (version) from `base` to `head`."""
    before, after = _technologies(base.report), _technologies(head.report)

    def brief(item: dict[str, Any]) -> dict[str, Any]:
        return {
            "slug": item["slug"],
            "name": item.get("name", item["slug"]),
            "category": item.get("category", ""),
            "confidence": item.get("confidence"),
            "version": item.get("version"),
        }

    changed = [
        {
            "slug": slug,
            "name": after[slug].get("name", slug),
            "from_version": before[slug].get("version"),
            "to_version": after[slug].get("version"),
        }
        for slug in sorted(before.keys() & after.keys())
        if before[slug].get("version") != after[slug].get("version")
    ]
    return {
        "base": base,
        "head": head,
        "added": [brief(after[slug]) for slug in sorted(after.keys() - before.keys())],
        "removed": [brief(before[slug]) for slug in sorted(before.keys() - after.keys())],
        "changed": changed,
    }


def analysis_diff_default(*, repository: Repository) -> tuple[Analysis, Analysis]:
    """The two newest succeeded analyses (older first)."""
    pair = list(
        analyses_of(repository=repository)
        .filter(status=Analysis.Status.SUCCEEDED)
        .order_by("-created_at", "-id")[:2]
    )
    if len(pair) < 2:
        raise NotFound(
            "A difference needs two succeeded analyses of this repository.",
            code="analysis_diff_unavailable",
        )
    return pair[1], pair[0]


def history_with_diffs(*, repository: Repository, limit: int = 50) -> list[dict[str, Any]]:
    """Newest first; each succeeded analysis with what changed since the succeeded one before."""
    analyses = list(analyses_of(repository=repository).order_by("-created_at", "-id")[:limit])
    rows = []
    succeeded = [a for a in analyses if a.status == Analysis.Status.SUCCEEDED]
    previous_of = {a.pk: succeeded[i + 1] for i, a in enumerate(succeeded[:-1])}
    for analysis in analyses:
        diff = None
        if analysis.pk in previous_of:
            diff = analysis_diff(base=previous_of[analysis.pk], head=analysis)
        rows.append({"analysis": analysis, "diff": diff})
    return rows


def report_by_category(
    report: dict[str, Any] | None,
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Technologies grouped by category in a stable, meaningful order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in (report or {}).get("technologies", []):
        groups.setdefault(item.get("category") or "other", []).append(item)
    for items in groups.values():
        items.sort(key=lambda item: (-(item.get("confidence") or 0), item["slug"]))
    rank = {category: index for index, category in enumerate(CATEGORY_ORDER)}
    ordered = sorted(groups.items(), key=lambda pair: (rank.get(pair[0], 999), pair[0]))
    return list(OrderedDict(ordered).items())


def owner_stacks(*, owners: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Campaign variables per GitHub owner (lower-cased), merged from the latest successful
    analysis of each of their tracked repositories, most recently analysed first."""
    wanted = {owner.lower() for owner in owners if owner}
    if not wanted:
        return {}
    repositories = list(
        Repository.objects.annotate(owner_lower=Lower("owner")).filter(owner_lower__in=wanted)
    )
    latest = latest_analyses_for(repositories)
    reports: dict[str, list[tuple[datetime, dict[str, Any] | None]]] = {}
    for repository in repositories:
        analysis = latest.get(repository.pk)
        if analysis is not None and analysis.status == Analysis.Status.SUCCEEDED:
            reports.setdefault(repository.owner.lower(), []).append(
                (analysis.created_at, analysis.report)
            )
    stacks = {}
    for owner, dated in reports.items():
        summaries = [stack_summary(report=report) for _, report in sorted(dated, reverse=True)]
        merged = stack_summary(report=None)
        merged["primary_language"] = next(
            (summary["primary_language"] for summary in summaries if summary["primary_language"]),
            None,
        )
        for key in ("languages", "frameworks", "databases", "technologies"):
            merged[key] = list(dict.fromkeys(v for summary in summaries for v in summary[key]))
        stacks[owner] = merged
    return stacks


def stack_summary(*, report: dict[str, Any] | None) -> dict[str, Any]:
    """A report reduced to campaign variables: `{{ lead.stack.frameworks }}` and friends."""
    report = report or {}
    technologies = report.get("technologies", [])
    languages = report.get("languages", [])

    def names(categories: set[str]) -> list[str]:
        return [item["name"] for item in technologies if item.get("category") in categories]

    return {
        "primary_language": languages[0]["name"] if languages else None,
        "languages": [language["name"] for language in languages],
        "frameworks": names(FRAMEWORK_CATEGORIES),
        "databases": names({"database"}),
        "technologies": sorted(item["slug"] for item in technologies),
    }


# --- Public schema: webhook routing -------------------------------------------------------------


def routes_for_repository(*, github_id: int | None, full_name: str) -> list[RepositoryRoute]:
    condition = Q(full_name__iexact=full_name)
    if github_id:
        condition |= Q(github_id=github_id)
    return list(RepositoryRoute.objects.filter(condition).select_related("tenant"))


def installation_linked_elsewhere(*, installation_id: int, tenant: Tenant) -> bool:
    """Is this GitHub App installation linked to another organisation than `tenant`?"""
    return (
        InstallationRoute.objects.filter(installation_id=installation_id)
        .exclude(tenant=tenant)
        .exists()
    )


def tenant_for_installation(*, installation_id: int | None) -> Tenant | None:
    if installation_id is None:
        return None
    route = (
        InstallationRoute.objects.select_related("tenant")
        .filter(installation_id=installation_id)
        .first()
    )
    return route.tenant if route else None


def repositories_held(*, tenant: Tenant) -> int:
    """Repositories the tenant holds: billing's `repositories` stock counter (ReposConfig.ready)."""
    with tenant_context(tenant):
        return Repository.objects.count()
