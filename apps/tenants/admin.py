from django.contrib import admin
from django.db.models import Count

from apps.billing.selectors import plan_for_tenant

from .models import Domain, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_select_related = ("billing_account",)
    list_display = (
        "name",
        "slug",
        "schema_name",
        "status",
        "plan_name",
        "member_count",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("name", "slug", "schema_name", "billing_email")
    readonly_fields = ("public_id", "schema_name", "created_at", "ready_at")
    inlines = [DomainInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, obj: Tenant) -> int:
        return obj._member_count

    @admin.display(description="Plan")
    def plan_name(self, obj: Tenant) -> str:
        return plan_for_tenant(tenant=obj).name

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary", "created_at")
    search_fields = ("domain", "tenant__name")
