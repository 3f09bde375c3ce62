from django.contrib import admin

from .models import BillingAccount


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = ("tenant", "plan", "updated_at")
    list_filter = ("plan",)
    search_fields = ("tenant__name", "tenant__slug")
