from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # In ready(): these modules import models, which exist only once every app is loaded.
        from apps.billing.emails import register_owner_addresses
        from apps.billing.selectors import register_stock_counter

        from . import signals  # noqa: F401
        from .api import schema  # noqa: F401
        from .selectors import member_count, owner_addresses

        register_stock_counter("seats", lambda tenant: member_count(tenant=tenant))
        register_owner_addresses(lambda tenant: owner_addresses(tenant=tenant))
