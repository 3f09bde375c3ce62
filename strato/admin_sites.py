"""Two admin sites: platform data on the public host, a tenant's own data on its host.

Apps register with the default `admin.site`; models of tenant-only apps are moved to
`tenant_admin_site` when the URLconfs load, because their tables exist only in tenant schemas.
"""

from django.apps import apps
from django.conf import settings
from django.contrib import admin


class TenantAdminSite(admin.AdminSite):
    site_header = "Strato · organisation data"
    site_title = "Strato organisation admin"
    index_title = "This organisation's data"


tenant_admin_site = TenantAdminSite(name="tenant_admin")
admin.site.site_header = "Strato staff admin"
admin.site.site_title = "Strato staff admin"


def _tenant_only_labels() -> set[str]:
    shared = set(settings.SHARED_APPS)
    return {
        apps.get_app_config(name.rpartition(".")[2]).label
        for name in settings.TENANT_APPS
        if name not in shared
    }


def split_admin_sites() -> None:
    labels = _tenant_only_labels()
    for model, model_admin in list(admin.site._registry.items()):
        if model._meta.app_label in labels:
            admin.site.unregister(model)
            tenant_admin_site.register(model, type(model_admin))
