from django.contrib import admin, messages

from .models import OutboxMessage, WebhookEvent
from .webhooks import webhook_replay


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = (
        "provider",
        "event_type",
        "event_id",
        "schema_name",
        "status",
        "attempts",
        "received_at",
        "processed_at",
    )
    list_filter = ("provider", "status", "event_type")
    search_fields = ("event_id", "schema_name", "event_type")
    readonly_fields = [field.name for field in WebhookEvent._meta.fields]
    actions = ["replay"]

    @admin.action(description="Replay selected events")
    def replay(self, request, queryset):
        for event in queryset:
            webhook_replay(event=event)
        messages.success(request, f"{queryset.count()} event(s) queued again.")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("subject", "schema_name", "created_at")
    search_fields = ("subject", "schema_name")
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
