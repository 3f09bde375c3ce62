from django.db import models


class BackupRun(models.Model):
    """One backup or restore, as staff see it in the admin (public schema).

    The tenant is named by slug, not by a foreign key: a tenant restore replaces every public row
    that points at the tenant, and the record of that very restore must survive it.
    """

    class Operation(models.TextChoices):
        BACKUP = "backup", "Backup"
        RESTORE = "restore", "Restore"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    operation = models.CharField(max_length=16, choices=Operation.choices)
    scope = models.CharField(max_length=64, help_text="“database”, or “tenant:<slug>”.")
    trigger = models.CharField(
        max_length=16, default="manual", help_text="manual, schedule or release"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING, db_index=True
    )
    backup_id = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=500, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.operation} {self.scope} {self.status}"


class DeadLetter(models.Model):
    """A Celery task parked instead of run: delivered too often without finishing (a poison
    task that kills its worker), or still failing on a transient error after every retry.

    Public schema; the tenant schema it ran in is kept by name so a requeue runs it there.
    Staff requeue it from the admin once the cause is fixed.
    """

    task_name = models.CharField(max_length=200, db_index=True)
    task_id = models.CharField(max_length=255)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    schema_name = models.CharField(max_length=63, help_text="Schema the task ran in.")
    reason = models.TextField()
    deliveries = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    requeued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}]"
