from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        # Registers the Resend handler with the core webhook inbox.
        from . import webhooks  # noqa: F401
