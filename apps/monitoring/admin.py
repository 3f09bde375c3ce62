from django.contrib import admin, messages

from . import services
from .models import BackupRun, DeadLetter


@admin.register(BackupRun)
class BackupRunAdmin(admin.ModelAdmin):
    """Read-only: rows are written by `manage.py backup` / `restore` and the scheduled backup."""

    list_display = (
        "started_at",
        "operation",
        "scope",
        "trigger",
        "status",
        "size_bytes",
        "duration_seconds",
        "backup_id",
    )
    list_filter = ("operation", "status", "trigger")
    search_fields = ("scope", "backup_id", "error")
    date_hierarchy = "started_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    """Parked Celery tasks. Read-only but for the requeue action (rows are written by the task
    base when it parks a task)."""

    list_display = (
        "created_at",
        "task_name",
        "schema_name",
        "deliveries",
        "short_reason",
        "requeued_at",
    )
    list_filter = ("task_name", "schema_name", ("requeued_at", admin.EmptyFieldListFilter))
    search_fields = ("task_name", "task_id", "schema_name", "reason")
    date_hierarchy = "created_at"
    readonly_fields = (
        "task_name",
        "task_id",
        "args",
        "kwargs",
        "schema_name",
        "reason",
        "deliveries",
        "created_at",
        "requeued_at",
    )
    actions = ("requeue",)

    @admin.display(description="reason")
    def short_reason(self, obj: DeadLetter) -> str:
        return obj.reason[:120]

    @admin.action(description="Requeue the selected tasks")
    def requeue(self, request, queryset) -> None:
        count = 0
        for dead_letter in queryset:
            services.dead_letter_requeue(dead_letter=dead_letter)
            count += 1
        self.message_user(request, f"{count} task(s) requeued.", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
