from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        # In ready(): these modules import models, which exist only once every app is loaded.
        from apps.billing.selectors import register_stock_counter

        from . import webhooks  # noqa: F401  (registers the Resend handler with the inbox)
        from .selectors import leads_held

        register_stock_counter("leads", lambda tenant: leads_held(tenant=tenant))
