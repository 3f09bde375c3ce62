"""Dashboard routes (namespace `dashboard`, included by `strato.urls_tenant`)."""

from django.urls import path

from . import public_views, views

public_patterns = [
    path("github/callback/", public_views.github_setup_callback, name="github-setup-callback"),
]

dashboard_patterns = [
    path("repositories/", views.index, name="repositories"),
    path("repositories/github/", views.github_settings, name="repositories-github"),
    path("repositories/github/link/", views.github_link, name="repositories-github-link"),
    path("repositories/<uuid:repository_id>/", views.repository, name="repository"),
    path("repositories/<uuid:repository_id>/analyse/", views.reanalyse, name="repository-analyse"),
    path("repositories/<uuid:repository_id>/delete/", views.delete, name="repository-delete"),
    path(
        "repositories/<uuid:repository_id>/analyses/<uuid:analysis_id>/",
        views.analysis,
        name="analysis",
    ),
]
