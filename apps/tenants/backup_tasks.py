"""The scheduled backup (settings' `CELERY_BEAT_SCHEDULE["database-backup"]`, `BACKUP_SCHEDULE`).

Its outcome is a `monitoring.BackupRun` row, shown in the admin. Kept in its own module (listed in
`CELERY_IMPORTS`) so a future job registry can take it over by its task name.
"""

from celery import shared_task

from . import backups


@shared_task(ignore_result=True, acks_late=True)
def backup_database_scheduled() -> str:
    return backups.backup_scheduled().backup_id
