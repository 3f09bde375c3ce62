from django.apps import AppConfig


class ReposConfig(AppConfig):
    name = "apps.repos"
    label = "repos"
    verbose_name = "Repositories"

    def ready(self) -> None:
        from . import webhooks  # noqa: F401  (registers the GitHub webhook handler)
