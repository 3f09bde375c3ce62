from django.apps import AppConfig


class ReposConfig(AppConfig):
    name = "apps.repos"
    label = "repos"
    verbose_name = "Repositories"

    def ready(self) -> None:
        # In ready(): these modules import models, which exist only once every app is loaded.
        from apps.billing.selectors import register_stock_counter

        from . import webhooks  # noqa: F401  (registers the GitHub webhook handler)
        from .selectors import repositories_held

        register_stock_counter("repositories", lambda tenant: repositories_held(tenant=tenant))
