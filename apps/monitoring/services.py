"""Writes of the monitoring app."""

from __future__ import annotations

from django.utils import timezone

from .models import BackupRun


def backup_run_start(*, operation: str, scope: str, trigger: str, location: str) -> BackupRun:
    return BackupRun.objects.create(
        operation=operation, scope=scope, trigger=trigger, location=location
    )


def backup_run_finish(
    *,
    run: BackupRun,
    backup_id: str = "",
    size_bytes: int | None = None,
    error: str = "",
) -> BackupRun:
    """Close the run. `save()` inserts the row again when a whole-database restore replaced it."""
    run.finished_at = timezone.now()
    run.duration_seconds = (run.finished_at - run.started_at).total_seconds()
    run.status = BackupRun.Status.FAILED if error else BackupRun.Status.SUCCEEDED
    run.backup_id = backup_id or run.backup_id
    run.size_bytes = size_bytes
    run.error = error
    run.save()
    return run
