from django.apps import AppConfig


class RepoRoutingConfig(AppConfig):
    name = "apps.repos.routing"
    label = "repos_routing"
    verbose_name = "GitHub webhook routing"
