"""The tenant hosts' API endpoints alone, for their OpenAPI document."""

from django.urls import include, path

from apps.accounts.api.urls import tenant_urlpatterns
from apps.billing.api.urls import tenant_urlpatterns as billing_api
from apps.campaigns.api.urls import tenant_urlpatterns as campaign_api
from apps.repos.api.urls import tenant_urlpatterns as repo_api

urlpatterns = [
    path("api/", include([*tenant_urlpatterns, *campaign_api, *billing_api, *repo_api])),
]
