"""Celery tasks for repository analysis: thin wrappers around `services`."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection

from apps.core.tasks import RELIABLE

from . import github, services

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


def _retry_countdown(exc: github.GitHubTransientError, retries: int) -> int:
    """A rate limit says when it resets; other trouble backs off exponentially with jitter."""
    countdown = exc.retry_after or min(1800, 30 * 2**retries)
    return int(countdown) + random.randint(0, 5)


@shared_task(bind=True, max_retries=MAX_RETRIES, **RELIABLE)
def analysis_run(self, analysis_id: str) -> str | None:
    """Runs in the tenant schema it was queued from; safe to run twice (finished is final)."""
    final = self.request.retries >= self.max_retries
    try:
        analysis = services.analysis_execute(analysis_id=analysis_id, final_attempt=final)
    except github.GitHubTransientError as exc:
        raise self.retry(exc=exc, countdown=_retry_countdown(exc, self.request.retries)) from exc
    return analysis.status if analysis else None


@shared_task(bind=True, max_retries=MAX_RETRIES, **RELIABLE)
def github_account_analyse(self, login: str = "", url: str = "") -> int:
    """Analyse a lead's GitHub account in the tenant schema it was queued from.

    Safe to run twice (fresh analyses are not queued again). GitHub unavailable or rate
    limited: retried later; still so after the last retry: given up with a warning, since
    analysing a lead's repositories is a best effort.
    """
    try:
        tenant = connection.tenant  # type: ignore[attr-defined]  # set by django-tenants
        analyses = services.github_account_analyse(tenant=tenant, login=login, url=url)
    except github.GitHubTransientError as exc:
        if self.request.retries >= self.max_retries:
            logger.warning("GitHub account %s not analysed: %s", login or url, exc)
            return 0
        raise self.retry(exc=exc, countdown=_retry_countdown(exc, self.request.retries)) from exc
    return len(analyses)


@shared_task(**RELIABLE)
def sweep_analyses() -> tuple[int, int]:
    """Beat, per tenant (through for_each_ready_tenant): queue again analyses whose task was lost,
    fail those whose worker was lost; returns (queued again, failed)."""
    return services.analyses_sweep(
        queued_after=timedelta(seconds=settings.ANALYSIS_QUEUED_TIMEOUT_SECONDS),
        running_after=timedelta(seconds=settings.ANALYSIS_RUNNING_TIMEOUT_SECONDS),
    )
