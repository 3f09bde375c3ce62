from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from . import webhooks  # noqa: F401  (registers the Stripe inbox handler)
        from .stripe_client import configure_stripe_module

        configure_stripe_module()
