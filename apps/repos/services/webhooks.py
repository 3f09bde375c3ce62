"""Applying GitHub webhook deliveries (public host), routed into the tenant schemas concerned.

Step 3 of 3: `api/webhooks.py` verifies and stores a delivery, `repos/webhooks.py` (the inbox
handler) dispatches it in Celery by event type, and these services apply it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context

from apps.billing.services import PlanLimitExceeded
from apps.core.errors import Conflict

from .. import github, selectors
from ..models import Analysis, Repository
from .analyses import analysis_queue
from .connections import github_installation_unlink
from .repositories import apply_metadata, repository_track

logger = logging.getLogger(__name__)

ZERO_SHA = "0" * 40


def webhook_secrets() -> list[str]:
    """The current secret and, during a rotation's grace period, the previous one."""
    secrets = [settings.GITHUB_WEBHOOK_SECRET]
    previous = settings.GITHUB_WEBHOOK_PREVIOUS_SECRET
    expires = settings.GITHUB_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT
    if previous:
        until: datetime | None = parse_datetime(expires) if expires else None
        if until is not None and timezone.is_naive(until):
            until = timezone.make_aware(until, UTC)
        if until is None or timezone.now() < until:
            secrets.append(previous)
    return [secret for secret in secrets if secret]


def github_push_apply(*, payload: dict[str, Any], delivery_id: str) -> str:
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
            repository = selectors.repository_find(public_id=route.repository_public_id)
            if repository is None:
                continue
            apply_metadata(repository, repo)
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


def github_installation_repositories_apply(*, payload: dict[str, Any]) -> str:
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


def github_installation_apply(*, payload: dict[str, Any]) -> str:
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
