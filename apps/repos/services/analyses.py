"""Analyses: request, queue, run (download and detect) and record the outcome.

Calls to GitHub happen outside database transactions, so a slow GitHub never holds a lock.
"""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from apps.billing.services import (
    entitlement_check,
    entitlement_consume,
    entitlement_ensure_writable,
)
from apps.core.errors import Conflict, NotFound, ValidationFailed
from apps.tenants.models import Tenant

# `tasks` as a module, not its names: tasks imports services, so its names may not exist yet.
from .. import github, selectors, tasks
from ..archive import ArchiveLimits, ArchiveRejected, extract_tarball
from ..detector import analyse
from ..models import Analysis, Repository
from .connections import github_client
from .repositories import apply_metadata, repository_track, route_sync

logger = logging.getLogger(__name__)


def analysis_request(*, tenant: Tenant, url: str, trigger: str = Analysis.Trigger.API) -> Analysis:
    """Analyse the repository a URL names: validate, track, queue. Answers without waiting.

    The repository is looked up on GitHub first so a nonexistent or inaccessible one is a
    precise 404 now. If GitHub is rate limited or unreachable, the request still succeeds: the
    task looks the repository up later (never fail the user's request because of GitHub).
    """
    try:
        ref = github.parse_repository_url(url)
    except github.InvalidRepositoryURL as exc:
        raise ValidationFailed.for_field("url", str(exc), code=exc.code) from exc
    metadata = None
    existing = selectors.repository_by_full_name(owner=ref.owner, name=ref.name)
    if existing is None or not existing.github_id:
        if existing is None:
            entitlement_check(
                tenant=tenant, resource="repositories", current=selectors.repository_count()
            )
        try:
            metadata = github_client().repository(ref.owner, ref.name)
        except github.GitHubNotFound as exc:
            raise NotFound(str(exc), code="github_repository_not_found") from exc
        except github.GitHubAuthFailed as exc:
            raise ValidationFailed(
                f"{exc} Update the organisation's GitHub token.", code="github_token_invalid"
            ) from exc
        except (github.GitHubTransientError, github.GitHubError):
            logger.info("GitHub lookup of %s deferred to the analysis task", ref.full_name)
    with transaction.atomic():
        repository, _ = repository_track(tenant=tenant, ref=ref, metadata=metadata)
        return analysis_queue(tenant=tenant, repository=repository, trigger=trigger, ref=ref.ref)


def _enqueue(analysis: Analysis) -> None:
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' wrapper
    analysis_id = str(analysis.public_id)
    transaction.on_commit(
        lambda: tasks.analysis_run.apply_async(
            kwargs={"analysis_id": analysis_id}, headers={"_schema_name": schema}
        )
    )


@transaction.atomic
def analysis_queue(
    *,
    tenant: Tenant,
    repository: Repository,
    trigger: str,
    ref: str = "",
    commit_sha: str = "",
    delivery_id: str = "",
) -> Analysis:
    """Queue an analysis, or join the one already waiting for this repository.

    One monthly analysis is consumed per new analysis (402 `plan_limit_exceeded` past the
    plan's allowance). A push delivery queues at most one analysis per repository.
    """
    repository = Repository.objects.select_for_update().get(pk=repository.pk)
    if delivery_id:
        done = selectors.analysis_for_delivery(repository=repository, delivery_id=delivery_id)
        if done is not None:
            return done
    waiting = selectors.analysis_waiting(repository=repository)
    if waiting is not None and waiting.ref == ref:
        if commit_sha and waiting.commit_sha != commit_sha:
            waiting.commit_sha = commit_sha
            waiting.save(update_fields=["commit_sha"])
        return waiting
    if waiting is not None:
        raise Conflict(
            f"An analysis of {repository.full_name} is already waiting; try again "
            "when it has started.",
            code="analysis_already_queued",
        )
    entitlement_ensure_writable(
        tenant=tenant, resource="repositories", current=selectors.repository_count()
    )
    entitlement_consume(tenant=tenant, resource="analyses")
    analysis = Analysis.objects.create(
        repository=repository,
        trigger=trigger,
        ref=ref,
        commit_sha=commit_sha,
        delivery_id=delivery_id,
    )
    if repository.status != Repository.Status.ANALYSING:
        repository.status = Repository.Status.QUEUED
        repository.save(update_fields=["status", "updated_at"])
    _enqueue(analysis)
    return analysis


@transaction.atomic
def _analysis_start(*, analysis_id: str) -> Analysis | None:
    # Locks in the one order every writer uses, the repository row before the analysis row
    # (`analysis_queue` does so too): a push queueing while this starts waits, not deadlocks.
    repository_id = (
        Analysis.objects.filter(public_id=analysis_id)
        .values_list("repository_id", flat=True)
        .first()
    )
    if repository_id is None:
        return None  # deleted with its repository
    Repository.objects.select_for_update().filter(pk=repository_id).first()
    analysis = (
        Analysis.objects.select_for_update(of=("self",))
        .select_related("repository")
        .filter(public_id=analysis_id)
        .first()
    )
    if analysis is None or analysis.is_finished:
        return None  # deleted with its repository, or already done (redelivered task)
    analysis.status = Analysis.Status.RUNNING
    analysis.attempts += 1
    analysis.started_at = analysis.started_at or timezone.now()
    analysis.save(update_fields=["status", "attempts", "started_at"])
    Repository.objects.filter(pk=analysis.repository_id).update(
        status=Repository.Status.ANALYSING, updated_at=timezone.now()
    )
    return analysis


@transaction.atomic
def _analysis_finish(
    *, analysis: Analysis, repository_fields: dict[str, Any], **fields: Any
) -> Analysis:
    # The repository row first, as everywhere (see `_analysis_start`).
    repository = Repository.objects.select_for_update().get(pk=analysis.repository_id)
    for name, value in fields.items():
        setattr(analysis, name, value)
    analysis.finished_at = timezone.now()
    analysis.save()
    newest = selectors.latest_analysis(repository=analysis.repository)
    for name, value in repository_fields.items():
        setattr(repository, name, value)
    if newest is None or newest.pk == analysis.pk or newest.is_finished:
        repository.status = (
            Repository.Status.READY
            if analysis.status == Analysis.Status.SUCCEEDED
            else Repository.Status.FAILED
        )
    if analysis.status == Analysis.Status.SUCCEEDED:
        repository.last_analysed_at = analysis.finished_at
    repository.save()
    if repository_fields:
        route_sync(tenant=_current_tenant(), repository=repository)
    return analysis


def _current_tenant() -> Tenant:
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    schema_name: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants
    current: Tenant = Tenant.objects.get(schema_name=schema_name)
    return current


def analysis_fail(
    *, analysis: Analysis, code: str, reason: str, repository_fields: dict[str, Any] | None = None
) -> Analysis:
    """Record why an analysis failed; earlier analyses are untouched."""
    logger.info("analysis %s failed: %s", analysis.public_id, code)
    return _analysis_finish(
        analysis=analysis,
        repository_fields=repository_fields or {},
        status=Analysis.Status.FAILED,
        failure_code=code,
        failure_reason=reason[:4000],
    )


def analyses_sweep(*, queued_after: timedelta, running_after: timedelta) -> tuple[int, int]:
    """Rescue analyses nothing will finish: returns (queued again, failed).

    An analysis queued longer than `queued_after` lost its task (a crash between commit and
    enqueue, a task that failed on the database): it is queued again, at most once per
    `queued_after` (a task that is merely late then runs twice, which is harmless: the second
    run records the same outcome). One running longer than `running_after` lost its worker past
    every redelivery: it fails with the reason, so the repository is not shown analysing forever.
    """
    now = timezone.now()
    requeued = 0
    for analysis in selectors.analyses_stuck(
        status=Analysis.Status.QUEUED, since_before=now - queued_after
    ):
        marker = f"repos:analysis-requeued:{analysis.public_id}"
        if cache.add(marker, 1, timeout=max(1, int(queued_after.total_seconds()))):
            logger.warning(
                "analysis %s queued since %s: queued again", analysis.public_id, analysis.created_at
            )
            with transaction.atomic():
                _enqueue(analysis)
            requeued += 1
    failed = 0
    for analysis in selectors.analyses_stuck(
        status=Analysis.Status.RUNNING, since_before=now - running_after
    ):
        analysis_fail(
            analysis=analysis,
            code="analysis_timed_out",
            reason=f"The analysis was still running after {int(running_after.total_seconds())} "
            "seconds; its worker was lost. Request a new analysis.",
        )
        failed += 1
    return requeued, failed


def analysis_execute(*, analysis_id: str, final_attempt: bool = True) -> Analysis | None:
    """Run one queued analysis: resolve the head, download, detect, record. Idempotent.

    Transient GitHub trouble (rate limit, 5xx, network) is re-raised for the task to retry,
    except on the final attempt, where it is recorded as the failure reason.
    """
    analysis = _analysis_start(analysis_id=analysis_id)
    if analysis is None:
        return None
    repository = analysis.repository
    changes: dict[str, Any] = {}
    try:
        return _analysis_run(analysis=analysis, repository=repository, changes=changes)
    except github.GitHubTransientError as exc:
        if not final_attempt:
            raise
        return analysis_fail(
            analysis=analysis,
            code="github_unavailable",
            reason=f"GitHub stayed unavailable: {exc}",
            repository_fields=changes,
        )
    except (github.GitHubError, ArchiveRejected) as exc:
        return analysis_fail(
            analysis=analysis, code=exc.code, reason=str(exc), repository_fields=changes
        )


def _analysis_run(
    *, analysis: Analysis, repository: Repository, changes: dict[str, Any]
) -> Analysis:
    client = github_client()
    if not repository.github_id or not repository.default_branch:
        metadata = client.repository(repository.owner, repository.name)
        probe = Repository(owner=repository.owner, name=repository.name)
        apply_metadata(probe, metadata)
        changes.update(
            github_id=probe.github_id,
            default_branch=probe.default_branch,
            html_url=probe.html_url,
            private=probe.private,
            owner=probe.owner,
            name=probe.name,
        )
    default_branch = changes.get("default_branch") or repository.default_branch
    ref = analysis.ref or default_branch
    on_default = ref == default_branch

    sha = analysis.commit_sha
    if sha:
        if on_default:
            changes.update(head_sha=sha, head_etag="")
    else:
        previous = selectors.latest_analysis(repository=repository, succeeded=True)
        etag = (
            repository.head_etag
            if on_default and previous is not None and previous.commit_sha == repository.head_sha
            else ""
        )
        head = client.head(repository.owner, repository.name, ref, etag=etag)
        sha = repository.head_sha if head.not_modified else head.sha
        if on_default and not head.not_modified:
            changes.update(head_sha=head.sha, head_etag=head.etag)

    same = selectors.analysis_reusable(repository=repository, commit_sha=sha, besides=analysis)
    if same is not None:
        return _analysis_finish(
            analysis=analysis,
            repository_fields=changes,
            status=Analysis.Status.SUCCEEDED,
            commit_sha=sha,
            report=same.report,
            reused_from=same,
            files_scanned=same.files_scanned,
            failure_code="",
            failure_reason="",
        )

    limits = ArchiveLimits.from_settings()
    with tempfile.TemporaryDirectory(prefix="strato-repo-") as workdir:
        archive = Path(workdir) / "archive.tar.gz"
        started = time.monotonic()
        size = client.download_tarball(
            repository.owner, repository.name, sha, archive, max_bytes=limits.max_bytes
        )
        extracted = extract_tarball(archive, Path(workdir) / "src", limits)
        archive.unlink()
        download_ms = int((time.monotonic() - started) * 1000)
        if extracted.files == 0:
            return analysis_fail(
                analysis=analysis,
                code="repository_empty",
                reason="The repository archive holds no files to analyse.",
                repository_fields=changes,
            )
        started = time.monotonic()
        try:
            report = _detect(extracted.root)
        except Exception as exc:
            logger.exception("detector failed on %s@%s", repository.full_name, sha)
            return analysis_fail(
                analysis=analysis,
                code="detector_error",
                reason=f"The detector failed: {type(exc).__name__}: {exc}",
                repository_fields=changes,
            )
        detect_ms = int((time.monotonic() - started) * 1000)
    if extracted.skipped_links:
        report.setdefault("warnings", []).append(
            f"{len(extracted.skipped_links)} symbolic or hard links were not followed."
        )
    return _analysis_finish(
        analysis=analysis,
        repository_fields=changes,
        status=Analysis.Status.SUCCEEDED,
        commit_sha=sha,
        report=report,
        archive_bytes=size,
        files_scanned=report.get("files_scanned", extracted.files),
        download_ms=download_ms,
        detect_ms=detect_ms,
        failure_code="",
        failure_reason="",
    )


def _detect(root: Path) -> dict[str, Any]:
    report = analyse(root).to_dict()
    report.pop("path", None)
    return report
