from django.urls import path

from . import views
from .webhooks import GitHubWebhookView

tenant_urlpatterns = [
    path("repositories/analyze", views.AnalyzeView.as_view(), name="api-repositories-analyze"),
    path("repositories", views.RepositoryListView.as_view(), name="api-repositories"),
    path(
        "repositories/<uuid:repository_id>",
        views.RepositoryDetailView.as_view(),
        name="api-repository-detail",
    ),
    path(
        "repositories/<uuid:repository_id>/analyses",
        views.RepositoryAnalysesView.as_view(),
        name="api-repository-analyses",
    ),
    path(
        "repositories/<uuid:repository_id>/diff",
        views.RepositoryDiffView.as_view(),
        name="api-repository-diff",
    ),
    path(
        "analyses/<uuid:analysis_id>",
        views.AnalysisDetailView.as_view(),
        name="api-analysis-detail",
    ),
    path("github/connection", views.GitHubConnectionView.as_view(), name="api-github-connection"),
    path("github/token", views.GitHubTokenView.as_view(), name="api-github-token"),
    path(
        "github/installation",
        views.GitHubInstallationView.as_view(),
        name="api-github-installation",
    ),
    path(
        "github/installation/state",
        views.GitHubInstallationStateView.as_view(),
        name="api-github-installation-state",
    ),
]

public_urlpatterns = [
    path("webhooks/github", GitHubWebhookView.as_view(), name="api-webhooks-github"),
]
