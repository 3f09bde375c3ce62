"""The public host's API endpoints alone, for its OpenAPI document."""

from django.urls import include, path

from apps.accounts.api.urls import public_urlpatterns
from apps.billing.api.urls import public_urlpatterns as billing_api_public
from apps.campaigns.api.urls import public_urlpatterns as campaign_public
from apps.monitoring.views import ReadinessView
from apps.repos.api.urls import public_urlpatterns as repo_api_public

urlpatterns = [
    path(
        "api/",
        include(
            [
                *public_urlpatterns,
                *campaign_public,
                *billing_api_public,
                *repo_api_public,
                path("health", ReadinessView.as_view(), name="health"),
            ]
        ),
    ),
]
