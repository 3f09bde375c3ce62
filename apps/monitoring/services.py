"""Writes of the monitoring app."""

from __future__ import annotations

import uuid
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone

from .models import BackupRun, DeadLetter


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


def dead_letter_record(
    *,
    task_name: str,
    task_id: str,
    args: list[Any],
    kwargs: dict[str, Any],
    schema_name: str,
    reason: str,
    deliveries: int,
) -> DeadLetter:
    return DeadLetter.objects.create(
        task_name=task_name,
        task_id=task_id,
        args=args,
        kwargs=kwargs,
        schema_name=schema_name,
        reason=reason[:4000],
        deliveries=deliveries,
    )


@transaction.atomic
def dead_letter_requeue(*, dead_letter: DeadLetter) -> str:
    """Send a parked task again, as a new task in its schema; returns the new task id.

    The row stays (with `requeued_at`) as the record of what happened; a task that fails the
    same way again is parked as a new dead letter.
    """
    dead_letter = DeadLetter.objects.select_for_update().get(pk=dead_letter.pk)
    task_id = str(uuid.uuid4())
    name, args, kwargs = dead_letter.task_name, dead_letter.args, dead_letter.kwargs
    headers = {"_schema_name": dead_letter.schema_name}
    transaction.on_commit(
        lambda: current_app.send_task(
            name, args=args, kwargs=kwargs, task_id=task_id, headers=headers
        )
    )
    dead_letter.requeued_at = timezone.now()
    dead_letter.save(update_fields=["requeued_at"])
    return task_id
