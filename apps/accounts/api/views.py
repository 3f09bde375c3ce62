from typing import cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors, services
from apps.accounts.models import ApiKey, Invitation, Membership, User
from apps.core.api.schema import problem_responses
from apps.core.api.views import TenantAPIView
from apps.core.errors import NotFound
from apps.core.http import client_ip
from apps.core.pagination import CreatedCursorPagination
from apps.core.permissions import IsPublicHost
from apps.core.throttling import AuthRateThrottle
from apps.tenants.selectors import tenant_url
from apps.tenants.services import tenant_update

from . import serializers as s

TOKEN_EXAMPLE = {"access": "eyJhbGciOiJIUzI1NiIs…", "refresh": "eyJhbGciOiJIUzI1NiIs…"}


class TenantHostOnlyMixin(APIView):
    """Unauthenticated auth endpoints that exist only on a tenant's host."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.tenant.is_public:
            raise NotFound(
                "Use your organisation's address for this endpoint.", code="tenant_host_required"
            )


SIGNUP_SENT_DETAIL = (
    "Check your email: we sent a link to finish creating your organisation. "
    "It expires, and works once."
)


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes = [IsPublicHost]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_register",
        summary="Start creating an organisation and its owner",
        description="Public host only. Answers 202 whether or not the email already has an "
        "account, so it tells nothing about who has one: a new email receives a link to "
        "`/signup/confirm/<token>/` (valid for SIGNUP_CONFIRM_MAX_AGE_SECONDS, once), whose "
        "token `POST /api/auth/register/confirm` accepts; an existing account receives a "
        "notice to sign in or reset its password instead. Input is validated first (400: "
        "email, password strength, organisation address; 409 `slug_taken`). Every attempt "
        "counts against the email and the client address like a failed login (429 "
        "`login_locked`), and the endpoint is throttled per client address (429).",
        request=s.RegisterInputSerializer,
        responses={202: s.SignupSentSerializer, **problem_responses(400, 409, 415, 429)},
        examples=[
            OpenApiExample(
                "Register",
                request_only=True,
                value={
                    "email": "ada@example.com",
                    "password": "correct-horse-battery",
                    "organisation_name": "Acme Analytics",
                    "slug": "acme",
                },
            ),
            OpenApiExample(
                "Check your email",
                response_only=True,
                status_codes=["202"],
                value={"detail": SIGNUP_SENT_DETAIL},
            ),
        ],
    )
    def post(self, request):
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.signup_request(
            email=data.validated_data["email"],
            password=data.validated_data["password"],
            organisation_name=data.validated_data["organisation_name"],
            slug=data.validated_data.get("slug") or None,
            full_name=data.validated_data.get("full_name", ""),
            ip=client_ip(request),
        )
        return Response({"detail": SIGNUP_SENT_DETAIL}, status=status.HTTP_202_ACCEPTED)


class RegisterConfirmView(APIView):
    authentication_classes: list = []
    permission_classes = [IsPublicHost]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_register_confirm",
        summary="Finish creating an organisation and its owner",
        description="Public host only. `token` is the last part of the emailed confirmation "
        "link. Creates the user, a ready organisation with its own schema and subdomain, and "
        "the owner membership, in one transaction, and returns a token pair for the new "
        "organisation's host. A link works once (404 `signup_invalid` when unknown, expired "
        "or used); 409 `email_taken` when the email got an account meanwhile, `slug_taken` "
        "when the address did.",
        request=s.RegisterConfirmInputSerializer,
        responses={201: s.RegisterOutputSerializer, **problem_responses(400, 404, 409, 415, 429)},
        examples=[
            OpenApiExample("Confirm", request_only=True, value={"token": "kq3V0-8s1Jx…"}),
            OpenApiExample(
                "Registered",
                response_only=True,
                status_codes=["201"],
                value={
                    "user": {"id": "4f1c…", "email": "ada@example.com", "full_name": ""},
                    "tenant": {
                        "id": "9a2b…",
                        "name": "Acme Analytics",
                        "slug": "acme",
                        "url": "https://acme.strato.example/",
                    },
                    **TOKEN_EXAMPLE,
                },
            ),
        ],
    )
    def post(self, request):
        data = s.RegisterConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, tenant = services.signup_confirm(token=data.validated_data["token"])
        tenant.url = tenant_url(tenant=tenant)
        body = {"user": user, "tenant": tenant, **services.tokens_issue(user=user, tenant=tenant)}
        return Response(s.RegisterOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class LoginView(TenantHostOnlyMixin, APIView):
    @extend_schema(
        tags=["auth"],
        operation_id="auth_login",
        summary="Log in to this organisation",
        description="Returns a JWT pair bound to the organisation of this host. Repeated failures "
        "from one address lock that email out for a while (429, `login_locked`).",
        request=s.LoginInputSerializer,
        responses={200: s.TokenPairSerializer, **problem_responses(400, 401, 404, 429)},
        examples=[
            OpenApiExample(
                "Login", request_only=True, value={"email": "ada@example.com", "password": "…"}
            ),
            OpenApiExample("Tokens", response_only=True, value=TOKEN_EXAMPLE),
        ],
    )
    def post(self, request):
        data = s.LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.login_authenticate(
            email=data.validated_data["email"],
            password=data.validated_data["password"],
            tenant=request.tenant,
            ip=client_ip(request),
        )
        return Response(services.tokens_issue(user=user, tenant=request.tenant))


class RefreshView(TenantHostOnlyMixin, APIView):
    @extend_schema(
        tags=["auth"],
        operation_id="auth_refresh",
        summary="Rotate a refresh token",
        description="Each refresh token works once: it is revoked and a new pair is returned.",
        request=s.RefreshInputSerializer,
        responses={200: s.TokenPairSerializer, **problem_responses(400, 401, 404)},
        examples=[OpenApiExample("Tokens", response_only=True, value=TOKEN_EXAMPLE)],
    )
    def post(self, request):
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            services.tokens_refresh(refresh=data.validated_data["refresh"], tenant=request.tenant)
        )


class LogoutView(TenantHostOnlyMixin, APIView):
    @extend_schema(
        tags=["auth"],
        operation_id="auth_logout",
        summary="Revoke a refresh token",
        request=s.RefreshInputSerializer,
        responses={204: None, **problem_responses(400, 401, 404)},
    )
    def post(self, request):
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.tokens_revoke(refresh=data.validated_data["refresh"], tenant=request.tenant)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileView(TenantAPIView):
    required_capability = {"GET": "workspace.view", "PUT": "profile.manage"}
    serializer_class = s.ProfileSerializer

    def _body(self):
        user = cast(User, self.request.user)  # IsTenantMember: a signed-in member
        return {
            "public_id": user.public_id,
            "email": user.email,
            "full_name": user.full_name,
            "role": self.membership.role,
        }

    @extend_schema(
        tags=["auth"],
        operation_id="auth_profile_get",
        summary="Your profile",
        responses={200: s.ProfileSerializer, **problem_responses(401, 403)},
    )
    def get(self, request):
        return Response(s.ProfileSerializer(self._body()).data)

    @extend_schema(
        tags=["auth"],
        operation_id="auth_profile_update",
        summary="Update your profile",
        description="Change your name; change your password by sending `current_password` "
        "and `new_password`. A password change needs a JWT or a session (403 "
        "`password_change_needs_login` with an API key) and revokes every refresh token of the "
        "account, on every organisation, and ends its other sessions: log in again with the "
        "new password.",
        request=s.ProfileSerializer,
        responses={200: s.ProfileSerializer, **problem_responses(400, 401, 403)},
        examples=[OpenApiExample("Rename", request_only=True, value={"full_name": "Ada L."})],
    )
    def put(self, request):
        data = s.ProfileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.profile_update(
            user=request.user,
            full_name=data.validated_data.get("full_name"),
            current_password=data.validated_data.get("current_password"),
            new_password=data.validated_data.get("new_password"),
            by_api_key=isinstance(request.auth, ApiKey),
        )
        return Response(s.ProfileSerializer(self._body()).data)


class ApiKeyPagination(CreatedCursorPagination):
    ordering = ("-created", "-id")


class ApiKeyListView(TenantAPIView):
    required_capability = "api_key.manage"
    pagination_class = ApiKeyPagination

    @extend_schema(
        tags=["api keys"],
        operation_id="api_keys_list",
        summary="List API keys",
        responses={200: s.ApiKeySerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request):
        return self.paginated_response(
            selectors.api_keys_of(tenant=self.tenant), s.ApiKeySerializer
        )

    @extend_schema(
        tags=["api keys"],
        operation_id="api_keys_create",
        summary="Create an API key",
        description="The key is returned once, in `key`; only its hash is stored. Send it as "
        "`Authorization: Api-Key <key>` to this organisation's host.",
        request=s.ApiKeyInputSerializer,
        responses={201: s.ApiKeyCreatedSerializer, **problem_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Create", request_only=True, value={"name": "CRM sync", "expires_at": None}
            )
        ],
    )
    def post(self, request):
        data = s.ApiKeyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, key = services.api_key_create(
            tenant=self.tenant,
            user=request.user,
            name=data.validated_data["name"],
            expires_at=data.validated_data.get("expires_at"),
        )
        api_key.key = key
        return Response(s.ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(TenantAPIView):
    required_capability = "api_key.manage"

    @extend_schema(
        tags=["api keys"],
        operation_id="api_keys_revoke",
        summary="Revoke an API key",
        responses={204: None, **problem_responses(401, 403, 404)},
    )
    def delete(self, request, key_id):
        api_key = get_object_or_404(ApiKey, public_id=key_id, tenant=self.tenant, revoked=False)
        services.api_key_revoke(api_key=api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberPagination(CreatedCursorPagination):
    ordering = ("created_at", "id")


class MemberListView(TenantAPIView):
    required_capability = {"GET": "workspace.view"}
    pagination_class = MemberPagination

    @extend_schema(
        tags=["members"],
        operation_id="members_list",
        summary="List members",
        responses={200: s.MemberSerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request):
        return self.paginated_response(selectors.members_of(tenant=self.tenant), s.MemberSerializer)


class MemberDetailView(TenantAPIView):
    required_capability = {"PATCH": "member.manage", "DELETE": "profile.manage"}

    def _membership(self, member_id) -> Membership:
        return get_object_or_404(
            Membership.objects.select_related("user"), public_id=member_id, tenant=self.tenant
        )

    @extend_schema(
        tags=["members"],
        operation_id="members_update_role",
        summary="Change a member's role",
        description="Owners and admins manage members; only owners grant or remove the owner "
        "role; the last owner cannot be demoted (409 `last_owner`).",
        request=s.MemberRoleInputSerializer,
        responses={200: s.MemberSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, member_id):
        # A partial update: without `role` nothing changes and the member is returned as is.
        data = s.MemberRoleInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        membership = self._membership(member_id)
        if "role" in data.validated_data:
            membership = services.membership_change_role(
                membership=membership, role=data.validated_data["role"], actor=self.membership
            )
        return Response(s.MemberSerializer(membership).data)

    @extend_schema(
        tags=["members"],
        operation_id="members_remove",
        summary="Remove a member",
        description="Members may remove themselves; the last owner cannot be removed. The "
        "member's API keys and refresh tokens for this organisation stop working.",
        responses={204: None, **problem_responses(401, 403, 404, 409)},
    )
    def delete(self, request, member_id):
        services.membership_remove(membership=self._membership(member_id), actor=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(TenantAPIView):
    required_capability = "member.manage"

    @extend_schema(
        tags=["members"],
        operation_id="invitations_list",
        summary="List pending invitations",
        responses={200: s.InvitationSerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request):
        return self.paginated_response(
            selectors.invitations_pending(tenant=self.tenant), s.InvitationSerializer
        )

    @extend_schema(
        tags=["members"],
        operation_id="invitations_create",
        summary="Invite someone by email",
        description="Sends a signed link that expires. A newer invitation replaces an older one.",
        request=s.InvitationInputSerializer,
        responses={201: s.InvitationSerializer, **problem_responses(400, 401, 403, 409)},
        examples=[
            OpenApiExample(
                "Invite", request_only=True, value={"email": "grace@example.com", "role": "member"}
            )
        ],
    )
    def post(self, request):
        data = s.InvitationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            tenant=self.tenant,
            email=data.validated_data["email"],
            role=data.validated_data["role"],
            invited_by=self.membership,
        )
        return Response(s.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailView(TenantAPIView):
    required_capability = "member.manage"

    @extend_schema(
        tags=["members"],
        operation_id="invitations_revoke",
        summary="Withdraw an invitation",
        responses={204: None, **problem_responses(401, 403, 404)},
    )
    def delete(self, request, invitation_id):
        invitation = get_object_or_404(
            Invitation,
            public_id=invitation_id,
            tenant=self.tenant,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        services.invitation_revoke(invitation=invitation, actor=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptView(TenantHostOnlyMixin, APIView):
    @extend_schema(
        tags=["members"],
        operation_id="invitations_accept",
        summary="Accept an invitation",
        description="Creates the account with `password` when the email is new; an existing "
        "account proves itself with its password. Returns a token pair.",
        request=s.InvitationAcceptInputSerializer,
        responses={200: s.TokenPairSerializer, **problem_responses(400, 401, 404, 409)},
    )
    def post(self, request):
        data = s.InvitationAcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_from_token(token=data.validated_data["token"])
        if invitation.tenant_id != request.tenant.pk:
            raise NotFound("This invitation link is not valid.", code="invitation_invalid")
        membership = services.invitation_accept(
            token=data.validated_data["token"],
            password=data.validated_data.get("password", ""),
            full_name=data.validated_data.get("full_name", ""),
        )
        return Response(services.tokens_issue(user=membership.user, tenant=request.tenant))


class TenantView(TenantAPIView):
    required_capability = {"GET": "workspace.view", "PUT": "organisation.manage"}

    @extend_schema(
        tags=["organisation"],
        operation_id="tenant_get",
        summary="This organisation",
        responses={200: s.TenantSerializer, **problem_responses(401, 403)},
    )
    def get(self, request):
        return Response(s.TenantSerializer(self.tenant).data)

    @extend_schema(
        tags=["organisation"],
        operation_id="tenant_update",
        summary="Update organisation settings",
        description="Name, billing email, postal address (required before sending campaigns) "
        "and time zone (IANA name).",
        request=s.TenantSerializer,
        responses={200: s.TenantSerializer, **problem_responses(400, 401, 403)},
    )
    def put(self, request):
        data = s.TenantSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        tenant = tenant_update(
            tenant=self.tenant,
            name=values.get("name"),
            billing_email=values.get("billing_email"),
            postal_address=values.get("postal_address"),
            timezone_name=values.get("timezone"),
        )
        return Response(s.TenantSerializer(tenant).data)
