"""Tenant hosts: dashboard, tenant API, auth pages and the tenant's staff admin."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.accounts import views as account_views
from apps.accounts.api.urls import tenant_urlpatterns as account_api
from apps.billing import urls as billing_urls
from apps.billing import views as billing_views
from apps.billing.api.urls import tenant_urlpatterns as billing_api
from apps.campaigns.api.urls import tenant_urlpatterns as campaign_api
from apps.campaigns.urls import dashboard_patterns as campaign_dashboard
from apps.core import views as core_views
from apps.core.permissions import capability_required
from apps.monitoring.views import ReadinessView
from apps.repos.api.urls import tenant_urlpatterns as repo_api
from apps.repos.urls import dashboard_patterns as repo_dashboard
from apps.tenants import views as tenant_views
from strato.admin_sites import split_admin_sites, tenant_admin_site

split_admin_sites()

api_patterns = [
    *account_api,
    *campaign_api,
    *billing_api,
    *repo_api,
    path("health", ReadinessView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(urlconf="strato.urls_tenant_api"), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

dashboard_patterns = [
    path("", tenant_views.home, name="home"),
    *campaign_dashboard,
    *repo_dashboard,
    path("billing/", billing_views.index, name="billing"),
    # In the dashboard namespace: the API names its endpoints `billing-checkout` etc. too, and
    # a bare `{% url 'billing-checkout' %}` resolved to /api/billing/checkout.
    path("billing/", include(billing_urls)),
]

settings_patterns = [
    path("profile/", account_views.profile, name="settings-profile"),
    path("organisation/", account_views.organisation, name="settings-organisation"),
    path("members/", account_views.members, name="settings-members"),
    path("members/<uuid:member_id>/", account_views.member_update, name="settings-member"),
    path(
        "invitations/<uuid:invitation_id>/revoke/",
        account_views.invitation_revoke,
        name="settings-invitation-revoke",
    ),
    path("api-keys/", account_views.api_keys, name="settings-api-keys"),
    path(
        "api-keys/<uuid:key_id>/revoke/",
        account_views.api_key_revoke,
        name="settings-api-key-revoke",
    ),
]

auth_patterns = [
    path("login/", account_views.TenantLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("handoff/<str:token>/", account_views.handoff, name="handoff"),
    path("invitations/<str:token>/", account_views.invitation_accept, name="invitation-accept"),
    path("password-reset/", account_views.TenantPasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        account_views.TenantPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    *auth_patterns,
    path("", include((dashboard_patterns, "dashboard"))),
    path("settings/", include(settings_patterns)),
    path("outbox/", capability_required("workspace.view")(core_views.outbox), name="outbox"),
    path("admin/", tenant_admin_site.urls),
    path("api/", include(api_patterns)),
]

# A database or Redis outage answers 503 with Retry-After (problem+json under /api/).
handler500 = "apps.core.views.server_error"
