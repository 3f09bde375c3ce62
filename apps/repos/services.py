"""Every write about GitHub connections, repositories and analyses.

Services run in the tenant schema of the caller (request or tenant-aware task); the GitHub
webhook handler (public host) switches to each tenant that tracks a repository. Calls to GitHub
happen outside database transactions, so a slow GitHub never holds a lock.
"""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context

from apps.billing.services import (
    PlanLimitExceeded,
    entitlement_check,
    entitlement_consume,
    entitlement_ensure_writable,
)
from apps.core.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from apps.tenants.models import Tenant

from . import github, selectors
from .archive import ArchiveLimits, ArchiveRejected, extract_tarball
from .models import Analysis, GitHubConnection, Repository
from .routing.models import InstallationRoute, RepositoryRoute

logger = logging.getLogger(__name__)

ZERO_SHA = "0" * 40


# --- GitHub connection --------------------------------------------------------------------------


def _connection_for_update() -> GitHubConnection:
    connection_row, _ = GitHubConnection.objects.select_for_update().get_or_create(singleton=True)
    return connection_row


def github_token_set(*, token: str) -> GitHubConnection:
    """Validate a personal access token against GitHub, then store it encrypted."""
    token = token.strip()
    if not token:
        raise ValidationFailed.for_field(
            "token", "Enter a GitHub personal access token.", code="github_token_required"
        )
    try:
        user, scopes = github.GitHubClient(token=token).authenticated_user()
    except github.GitHubAuthFailed as exc:
        raise ValidationFailed.for_field("token", str(exc), code="github_token_invalid") from exc
    except (github.GitHubError, github.GitHubTransientError) as exc:
        raise ServiceUnavailable(
            f"GitHub could not check the token: {exc}", code="github_unavailable"
        ) from exc
    with transaction.atomic():
        row = _connection_for_update()
        row.token = token
        row.token_login = user.get("login", "")
        row.token_scopes = scopes[:500]
        row.token_validated_at = timezone.now()
        row.save()
    return row


@transaction.atomic
def github_token_delete() -> None:
    row = _connection_for_update()
    row.token = ""
    row.token_login = ""
    row.token_scopes = ""
    row.token_validated_at = None
    row.save()


def github_installation_link(*, tenant: Tenant, installation_id: int) -> GitHubConnection:
    """Link a GitHub App installation (checked with the App's JWT) to this organisation."""
    try:
        installation = github.GitHubClient().installation(installation_id)
    except github.GitHubNotFound as exc:
        raise ValidationFailed.for_field(
            "installation_id",
            "This installation of the Strato GitHub App does not exist.",
            code="github_installation_invalid",
        ) from exc
    except github.GitHubError as exc:
        raise ValidationFailed.for_field("installation_id", str(exc), code=exc.code) from exc
    except github.GitHubTransientError as exc:
        raise ServiceUnavailable(
            f"GitHub could not be reached: {exc}", code="github_unavailable"
        ) from exc
    account = (installation.get("account") or {}).get("login", "")
    with transaction.atomic():
        taken = (
            InstallationRoute.objects.filter(installation_id=installation_id)
            .exclude(tenant=tenant)
            .exists()
        )
        if taken:
            raise Conflict(
                "This GitHub App installation is linked to another organisation.",
                code="github_installation_taken",
            )
        InstallationRoute.objects.update_or_create(
            installation_id=installation_id, defaults={"tenant": tenant, "account_login": account}
        )
        row = _connection_for_update()
        if row.installation_id and row.installation_id != installation_id:
            InstallationRoute.objects.filter(
                installation_id=row.installation_id, tenant=tenant
            ).delete()
        row.installation_id = installation_id
        row.installation_account = account
        row.save()
    return row


@transaction.atomic
def github_installation_unlink(*, tenant: Tenant) -> None:
    row = _connection_for_update()
    if row.installation_id:
        InstallationRoute.objects.filter(
            installation_id=row.installation_id, tenant=tenant
        ).delete()
        Repository.objects.filter(installation_id=row.installation_id).update(installation_id=None)
    row.installation_id = None
    row.installation_account = ""
    row.save()


def _client() -> github.GitHubClient:
    row = selectors.github_connection()
    if row is None:
        return github.GitHubClient()
    return github.client_for(token=row.token, installation_id=row.installation_id)


# --- Repositories -------------------------------------------------------------------------------


def _apply_metadata(repository: Repository, metadata: dict) -> None:
    repository.github_id = metadata.get("id") or repository.github_id
    repository.default_branch = metadata.get("default_branch") or repository.default_branch
    repository.html_url = metadata.get("html_url") or repository.html_url
    repository.private = bool(metadata.get("private", repository.private))
    full_name = metadata.get("full_name", "")
    if "/" in full_name:
        repository.owner, repository.name = full_name.split("/", 1)


def _route_sync(*, tenant: Tenant, repository: Repository) -> None:
    RepositoryRoute.objects.update_or_create(
        tenant=tenant,
        repository_public_id=repository.public_id,
        defaults={"github_id": repository.github_id, "full_name": repository.full_name},
    )


@transaction.atomic
def repository_track(
    *,
    tenant: Tenant,
    ref: github.RepoRef,
    metadata: dict | None = None,
    source: str = Repository.Source.URL,
    installation_id: int | None = None,
) -> tuple[Repository, bool]:
    """The repository `ref`, created (within the plan's repository allowance) if new."""
    existing = selectors.repository_by_full_name(owner=ref.owner, name=ref.name)
    if existing is None and metadata and metadata.get("id"):
        existing = Repository.objects.filter(github_id=metadata["id"]).first()
    if existing is not None:
        changed = False
        if metadata:
            _apply_metadata(existing, metadata)
            changed = True
        if installation_id and existing.installation_id != installation_id:
            existing.installation_id = installation_id
            changed = True
        if changed:
            existing.save()
            _route_sync(tenant=tenant, repository=existing)
        return existing, False
    entitlement_check(tenant=tenant, resource="repositories", current=Repository.objects.count())
    repository = Repository(
        owner=ref.owner,
        name=ref.name,
        source=source,
        installation_id=installation_id,
        html_url=f"https://github.com/{ref.owner}/{ref.name}",
    )
    if metadata:
        _apply_metadata(repository, metadata)
    repository.save()
    _route_sync(tenant=tenant, repository=repository)
    return repository, True


@transaction.atomic
def repository_delete(*, tenant: Tenant, repository: Repository) -> None:
    """Stop tracking: the repository and its analyses go; pushes no longer reach it."""
    RepositoryRoute.objects.filter(
        tenant=tenant, repository_public_id=repository.public_id
    ).delete()
    repository.delete()


# --- Analyses -----------------------------------------------------------------------------------


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
                tenant=tenant, resource="repositories", current=Repository.objects.count()
            )
        try:
            metadata = _client().repository(ref.owner, ref.name)
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
    from .tasks import analysis_run

    schema = connection.schema_name
    analysis_id = str(analysis.public_id)
    transaction.on_commit(
        lambda: analysis_run.apply_async(
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
        done = Analysis.objects.filter(repository=repository, delivery_id=delivery_id).first()
        if done is not None:
            return done
    waiting = Analysis.objects.filter(repository=repository, status=Analysis.Status.QUEUED).first()
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
        tenant=tenant, resource="repositories", current=Repository.objects.count()
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
    analysis = (
        Analysis.objects.select_for_update()
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
def _analysis_finish(*, analysis: Analysis, repository_fields: dict, **fields) -> Analysis:
    for name, value in fields.items():
        setattr(analysis, name, value)
    analysis.finished_at = timezone.now()
    analysis.save()
    newest = selectors.latest_analysis(repository=analysis.repository)
    repository = Repository.objects.select_for_update().get(pk=analysis.repository_id)
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
        _route_sync(tenant=_current_tenant(), repository=repository)
    return analysis


def _current_tenant() -> Tenant:
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    return Tenant.objects.get(schema_name=connection.schema_name)


def analysis_fail(
    *, analysis: Analysis, code: str, reason: str, repository_fields: dict | None = None
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


def analysis_execute(*, analysis_id: str, final_attempt: bool = True) -> Analysis | None:
    """Run one queued analysis: resolve the head, download, detect, record. Idempotent.

    Transient GitHub trouble (rate limit, 5xx, network) is re-raised for the task to retry,
    except on the final attempt, where it is recorded as the failure reason.
    """
    analysis = _analysis_start(analysis_id=analysis_id)
    if analysis is None:
        return None
    repository = analysis.repository
    changes: dict = {}
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


def _analysis_run(*, analysis: Analysis, repository: Repository, changes: dict) -> Analysis:
    client = _client()
    if not repository.github_id or not repository.default_branch:
        metadata = client.repository(repository.owner, repository.name)
        probe = Repository(owner=repository.owner, name=repository.name)
        _apply_metadata(probe, metadata)
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

    same = (
        Analysis.objects.filter(
            repository=repository, commit_sha=sha, status=Analysis.Status.SUCCEEDED
        )
        .exclude(pk=analysis.pk)
        .order_by("-created_at")
        .first()
    )
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


def _detect(root: Path) -> dict:
    from .detector import analyse

    report = analyse(root).to_dict()
    report.pop("path", None)
    return report


# --- A lead's GitHub account --------------------------------------------------------------------


def github_account_analyse_later(*, login: str = "", url: str = "") -> bool:
    """Once the current transaction commits, analyse this GitHub account in a task.

    Called when a lead gets a GitHub username or URL. Nothing here talks to GitHub, and a
    failure to queue (broker down) is logged, never raised: saving a lead must not depend on it.
    """
    from .tasks import github_account_analyse

    login, url = (login or "").strip(), (url or "").strip()
    if not (login or url):
        return False
    schema = connection.schema_name
    transaction.on_commit(
        lambda: github_account_analyse.apply_async(
            kwargs={"login": login, "url": url}, headers={"_schema_name": schema}
        ),
        robust=True,
    )
    return True


def github_account_analyse(*, tenant: Tenant, login: str = "", url: str = "") -> list[Analysis]:
    """Queue analyses of the public repositories of a GitHub account (a lead's), within the plan.

    `url` names one repository (analysed whatever it is, if public) or a profile; an account
    (`login` or a profile URL) has its public repositories listed, forks, archived and empty
    ones skipped, the most recently pushed first, `LEAD_REPOSITORIES_MAX` in all. Repositories
    with an analysis waiting, running or requested in the last `LEAD_REPOSITORIES_FRESH_DAYS`
    are left alone, so saving a lead again queues nothing twice. An account or repository
    GitHub does not know queues nothing; the plan's limit stops the queuing quietly.

    GitHub is asked everything before anything is queued; its transient trouble
    (`GitHubTransientError`) is raised for the task to retry.
    """
    try:
        entitlement_check(tenant=tenant, resource="analyses")
    except PlanLimitExceeded as exc:
        logger.info("GitHub account %s not analysed: %s", login or url, exc.detail)
        return []
    targets = _account_targets(login=login, url=url, limit=settings.LEAD_REPOSITORIES_MAX)
    since = timezone.now() - timedelta(days=settings.LEAD_REPOSITORIES_FRESH_DAYS)
    queued: list[Analysis] = []
    for ref, metadata in targets:
        try:
            with transaction.atomic():
                existing = selectors.repository_by_full_name(owner=ref.owner, name=ref.name)
                if existing is not None and selectors.analysis_pending_or_since(
                    repository=existing, since=since
                ):
                    continue
                repository, _ = repository_track(
                    tenant=tenant, ref=ref, metadata=metadata, source=Repository.Source.LEAD
                )
                queued.append(
                    analysis_queue(
                        tenant=tenant,
                        repository=repository,
                        trigger=Analysis.Trigger.LEAD,
                        ref=ref.ref,
                    )
                )
        except PlanLimitExceeded as exc:
            logger.info(
                "GitHub account %s: %d analyses queued, the rest not: %s",
                login or url,
                len(queued),
                exc.detail,
            )
            break
        except (Conflict, IntegrityError):
            continue  # another analysis of it is waiting, or another task is tracking it now
    return queued


def _account_targets(*, login: str, url: str, limit: int) -> list[tuple[github.RepoRef, dict]]:
    """The repositories to analyse for an account, with GitHub's metadata, at most `limit`."""
    accounts: list[str] = []
    repositories: list[github.RepoRef] = []
    if login:
        try:
            accounts.append(github.parse_account(login))
        except github.InvalidRepositoryURL:
            logger.info("%r is not a GitHub username; nothing to analyse", login)
    if url:
        try:
            target = github.parse_account_or_repository(url)
        except github.InvalidRepositoryURL:
            logger.info("%r names no GitHub account or repository; nothing to analyse", url)
        else:
            if isinstance(target, github.RepoRef):
                repositories.append(target)
            elif target.lower() not in {account.lower() for account in accounts}:
                accounts.append(target)
    if not (accounts or repositories):
        return []
    try:
        client = _client()
    except github.GitHubError as exc:
        logger.warning("GitHub account %s not analysed: %s", login or url, exc)
        return []
    targets: dict[str, tuple[github.RepoRef, dict]] = {}
    for ref in repositories:
        try:
            metadata = client.repository(ref.owner, ref.name)
        except github.GitHubError as exc:
            logger.info("%s is not analysed: %s", ref.full_name, exc)
            continue
        if metadata.get("private"):
            logger.info("%s is private; only public repositories are analysed", ref.full_name)
            continue
        targets[ref.full_name.lower()] = (ref, metadata)
    for account in accounts:
        try:
            listed = client.user_repositories(account)
        except github.GitHubError as exc:
            logger.info("The repositories of %s are not analysed: %s", account, exc)
            continue
        for metadata in sorted(listed, key=lambda item: item.get("pushed_at") or "", reverse=True):
            full_name = metadata.get("full_name") or ""
            if (
                "/" not in full_name
                or metadata.get("fork")
                or metadata.get("archived")
                or metadata.get("disabled")
                or metadata.get("private")
                or metadata.get("size") == 0
            ):
                continue
            owner, name = full_name.split("/", 1)
            targets.setdefault(
                full_name.lower(), (github.RepoRef(owner=owner, name=name), metadata)
            )
    return list(targets.values())[:limit]


# --- GitHub webhooks (public host; routed into tenant schemas) ----------------------------------


def webhook_secrets() -> list[str]:
    """The current secret and, during a rotation's grace period, the previous one."""
    secrets = [settings.GITHUB_WEBHOOK_SECRET]
    previous = settings.GITHUB_WEBHOOK_PREVIOUS_SECRET
    expires = settings.GITHUB_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT
    if previous:
        until: datetime | None = parse_datetime(expires) if expires else None
        if until is not None and timezone.is_naive(until):
            until = timezone.make_aware(until, timezone.UTC)
        if until is None or timezone.now() < until:
            secrets.append(previous)
    return [secret for secret in secrets if secret]


def github_push_apply(*, payload: dict, delivery_id: str) -> str:
    """Re-analyse the pushed repository in every tenant tracking it; ignore what is not news.

    Ignored: branch or tag deletions, tags, pushes to branches other than the default one, and
    repositories nobody tracks. A tenant past its analysis allowance gets a failed analysis
    with the reason instead of an analysis.
    """
    repo = payload.get("repository") or {}
    after = payload.get("after") or ""
    ref = payload.get("ref") or ""
    default_branch = repo.get("default_branch") or repo.get("master_branch") or ""
    if payload.get("deleted") or after == ZERO_SHA or not after:
        return "ignored"
    if not ref.startswith("refs/heads/") or ref.removeprefix("refs/heads/") != default_branch:
        return "ignored"
    routes = selectors.routes_for_repository(
        github_id=repo.get("id"), full_name=repo.get("full_name", "")
    )
    queued = 0
    for route in routes:
        if not route.tenant.is_ready:
            continue
        with schema_context(route.tenant.schema_name):
            repository = Repository.objects.filter(public_id=route.repository_public_id).first()
            if repository is None:
                continue
            _apply_metadata(repository, repo)
            repository.save()
            try:
                analysis_queue(
                    tenant=route.tenant,
                    repository=repository,
                    trigger=Analysis.Trigger.PUSH,
                    commit_sha=after,
                    delivery_id=delivery_id,
                )
            except (PlanLimitExceeded, Conflict) as exc:
                _record_refused(
                    repository=repository,
                    delivery_id=delivery_id,
                    sha=after,
                    code=exc.code,
                    reason=exc.detail,
                )
            queued += 1
    return "processed" if queued else "ignored"


def _record_refused(
    *, repository: Repository, delivery_id: str, sha: str, code: str, reason: str
) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():
            Analysis.objects.create(
                repository=repository,
                trigger=Analysis.Trigger.PUSH,
                commit_sha=sha,
                delivery_id=delivery_id,
                status=Analysis.Status.FAILED,
                failure_code=code,
                failure_reason=reason,
                started_at=now,
                finished_at=now,
            )
    except IntegrityError:
        pass  # this delivery was already recorded


def github_installation_repositories_apply(*, payload: dict) -> str:
    """Link added repositories to the installation's tenant (and analyse them); unlink removed."""
    installation_id = (payload.get("installation") or {}).get("id")
    tenant = selectors.tenant_for_installation(installation_id=installation_id)
    if tenant is None or not tenant.is_ready:
        return "ignored"
    with schema_context(tenant.schema_name):
        for item in payload.get("repositories_removed") or []:
            Repository.objects.filter(
                github_id=item.get("id"), installation_id=installation_id
            ).update(installation_id=None)
        for item in payload.get("repositories_added") or []:
            full_name = item.get("full_name", "")
            if "/" not in full_name:
                continue
            owner, name = full_name.split("/", 1)
            try:
                with transaction.atomic():
                    repository, created = repository_track(
                        tenant=tenant,
                        ref=github.RepoRef(owner=owner, name=name),
                        metadata={
                            "id": item.get("id"),
                            "full_name": full_name,
                            "private": item.get("private", False),
                        },
                        source=Repository.Source.INSTALLATION,
                        installation_id=installation_id,
                    )
                    if created:
                        analysis_queue(
                            tenant=tenant,
                            repository=repository,
                            trigger=Analysis.Trigger.INSTALLATION,
                        )
            except PlanLimitExceeded as exc:
                logger.warning(
                    "installation %s: %s not linked: %s", installation_id, full_name, exc.detail
                )
    return "processed"


def github_installation_apply(*, payload: dict) -> str:
    """An installation deleted on GitHub is unlinked from its tenant."""
    if payload.get("action") != "deleted":
        return "ignored"
    installation_id = (payload.get("installation") or {}).get("id")
    tenant = selectors.tenant_for_installation(installation_id=installation_id)
    if tenant is None:
        return "ignored"
    with schema_context(tenant.schema_name):
        github_installation_unlink(tenant=tenant)
    return "processed"
