from django.contrib import admin

from .models import BackupRun


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
