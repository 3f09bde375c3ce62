"""Celery tasks for repository analysis: thin wrappers around `services`."""

from __future__ import annotations

import random

from celery import shared_task

from . import github, services

MAX_RETRIES = 8


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    ignore_result=True,
)
def analysis_run(self, analysis_id: str) -> str | None:
    """Runs in the tenant schema it was queued from; safe to run twice (finished is final)."""
    final = self.request.retries >= self.max_retries
    try:
        analysis = services.analysis_execute(analysis_id=analysis_id, final_attempt=final)
    except github.GitHubTransientError as exc:
        # A rate limit says when it resets; other trouble backs off exponentially with jitter.
        countdown = exc.retry_after or min(1800, 30 * 2**self.request.retries)
        raise self.retry(exc=exc, countdown=int(countdown) + random.randint(0, 5)) from exc
    return analysis.status if analysis else None
