"""Public host: landing, signup, staff admin, registration API, health and API docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts import views as account_views
from apps.accounts.api.urls import public_urlpatterns as account_api_public
from apps.core import views as core_views
from apps.monitoring.views import ReadinessView

api_patterns = [
    *account_api_public,
    path("health", ReadinessView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(urlconf="strato.urls_public_api"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("signup/", account_views.signup, name="signup"),
    path("login/", account_views.find_organisation, name="login"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
]
