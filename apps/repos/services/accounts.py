"""Analysing a lead's GitHub account: its public repositories, within the plan's allowance."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.billing.services import PlanLimitExceeded, entitlement_check
from apps.core.errors import Conflict
from apps.tenants.models import Tenant

# `tasks` as a module, not its names: tasks imports services, so its names may not exist yet.
from .. import github, selectors, tasks
from ..models import Analysis, Repository
from .analyses import analysis_queue
from .connections import github_client
from .repositories import repository_track

logger = logging.getLogger(__name__)


def github_account_analyse_later(*, login: str = "", url: str = "") -> bool:
    """Once the current transaction commits, analyse this GitHub account in a task.

    Called when a lead gets a GitHub username or URL. Nothing here talks to GitHub, and a
    failure to queue (broker down) is logged, never raised: saving a lead must not depend on it.
    """
    login, url = (login or "").strip(), (url or "").strip()
    if not (login or url):
        return False
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' wrapper
    transaction.on_commit(
        lambda: tasks.github_account_analyse.apply_async(
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


def _account_targets(
    *, login: str, url: str, limit: int
) -> list[tuple[github.RepoRef, dict[str, Any]]]:
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
        client = github_client()
    except github.GitHubError as exc:
        logger.warning("GitHub account %s not analysed: %s", login or url, exc)
        return []
    targets: dict[str, tuple[github.RepoRef, dict[str, Any]]] = {}
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
