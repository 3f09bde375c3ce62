from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"
    verbose_name = "Tenants"

    def ready(self) -> None:
        # In ready(): signals imports models, which exist only once every app is loaded.
        from . import signals  # noqa: F401
