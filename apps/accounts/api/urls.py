from django.urls import path

from . import views

public_urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path(
        "auth/register/confirm", views.RegisterConfirmView.as_view(), name="auth-register-confirm"
    ),
]

tenant_urlpatterns = [
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/profile", views.ProfileView.as_view(), name="auth-profile"),
    path("keys", views.ApiKeyListView.as_view(), name="api-keys"),
    path("keys/<uuid:key_id>", views.ApiKeyDetailView.as_view(), name="api-key-detail"),
    path("members", views.MemberListView.as_view(), name="members"),
    path("members/<uuid:member_id>", views.MemberDetailView.as_view(), name="member-detail"),
    path("invitations", views.InvitationListView.as_view(), name="invitations"),
    path("invitations/accept", views.InvitationAcceptView.as_view(), name="invitation-accept"),
    path(
        "invitations/<uuid:invitation_id>",
        views.InvitationDetailView.as_view(),
        name="invitation-detail",
    ),
    path("tenant", views.TenantView.as_view(), name="tenant"),
]
