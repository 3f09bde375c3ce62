from django.apps import AppConfig

from .stripe_client import configure_stripe_module


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # In ready(): webhooks imports models, which exist only once every app is loaded.
        from . import webhooks  # noqa: F401  (registers the Stripe inbox handler)

        configure_stripe_module()
