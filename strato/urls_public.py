"""Public host: landing, signup, staff admin, registration API, health and API docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.accounts import views as account_views
from apps.accounts.api.urls import public_urlpatterns as account_api_public
from apps.billing import views as billing_views
from apps.billing import webhooks as billing_webhooks
from apps.billing.api.urls import public_urlpatterns as billing_api_public
from apps.campaigns.api.urls import public_urlpatterns as campaign_api_public
from apps.campaigns.urls import public_patterns as campaign_public
from apps.core import views as core_views
from apps.monitoring.views import ReadinessView
from apps.repos.api.urls import public_urlpatterns as repo_api_public
from apps.repos.urls import public_patterns as repo_public
from strato.admin_sites import split_admin_sites

split_admin_sites()

api_patterns = [
    *account_api_public,
    *campaign_api_public,
    *billing_api_public,
    *repo_api_public,
    path("health", ReadinessView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(urlconf="strato.urls_public_api"), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("", billing_views.landing, name="landing"),
    path("signup/", account_views.signup, name="signup"),
    path("signup/confirm/<str:token>/", account_views.signup_confirm, name="signup-confirm"),
    path("pricing/", billing_views.pricing, name="pricing"),
    path("login/", account_views.find_organisation, name="login"),
    path("outbox/", core_views.public_outbox, name="outbox"),
    path("admin/", admin.site.urls),
    # Stripe webhooks: dj-stripe's UUID endpoint /stripe/webhook/<uuid>/ (apps.billing.webhooks).
    path(
        "stripe/webhook/<uuid:uuid>/",
        billing_webhooks.StripeWebhookView.as_view(),
        name="stripe-webhook",
    ),
    path("api/", include(api_patterns)),
    *campaign_public,
    *repo_public,
]

# A database or Redis outage answers 503 with Retry-After (problem+json under /api/).
handler500 = "apps.core.views.server_error"
