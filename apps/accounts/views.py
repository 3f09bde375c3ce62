"""Dashboard pages for sign-up, sign-in and settings. Rules live in `services`."""

import math
from typing import cast

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.billing.services import PlanLimitExceeded
from apps.core import http, throttling
from apps.core.errors import DomainError, NotFound
from apps.core.permissions import capability_required
from apps.tenants.selectors import ready_tenant_by_slug, tenant_reverse
from apps.tenants.services import tenant_update

from . import forms, selectors, services
from .models import ApiKey, Invitation, Membership


def _apply_errors(form, error: DomainError) -> None:
    if error.errors:
        for field, field_messages in error.errors.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        form.add_error(None, error.detail)


def _auth_rate_exceeded(request) -> int | None:
    """Seconds to wait when this client is over the `auth` rate (shared with the auth API)."""
    throttle = throttling.AuthRateThrottle()
    # A Django view, not an APIView: the auth throttle keys on the client address only.
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def _too_many_requests(request, template: str, context: dict, wait: int):
    context["form"].add_error(None, f"Too many attempts. Try again in {wait} seconds.")
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


def signup(request):
    """First step: the same "check your email" answer whether or not the email has an account."""
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST":
        wait = _auth_rate_exceeded(request)
        if wait is not None:
            return _too_many_requests(request, "accounts/signup.html", {"form": form}, wait)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.signup_request(
                    email=data["email"],
                    password=data["password"],
                    organisation_name=data["organisation_name"],
                    slug=data["slug"] or None,
                    full_name=data["full_name"],
                    ip=http.client_ip(request),
                )
            except DomainError as error:
                _apply_errors(form, error)
                status = 429 if error.status == 429 else 400
                response = render(request, "accounts/signup.html", {"form": form}, status=status)
                for header, value in error.headers.items():
                    response[header] = value  # Retry-After of a lock-out
                return response
            return render(
                request, "accounts/signup_sent.html", {"email": data["email"]}, status=202
            )
    status = 400 if form.errors else 200
    return render(request, "accounts/signup.html", {"form": form}, status=status)


def signup_confirm(request, token):
    """The emailed link: shows what will be created; the button (a POST) creates it.

    A GET changes nothing, so mail scanners that open links cannot use up the link.
    """
    try:
        pending = services.signup_pending(token=token)
    except DomainError as error:
        return render(request, "accounts/signup_invalid.html", {"error": error}, status=404)
    if request.method == "POST":
        wait = _auth_rate_exceeded(request)
        if wait is not None:
            return HttpResponse("Too many attempts.", status=429, headers={"Retry-After": wait})
        try:
            user, tenant = services.signup_confirm(token=token)
        except DomainError as error:
            # The link is used up either way; the page says what to do next.
            return render(
                request, "accounts/signup_invalid.html", {"error": error}, status=error.status
            )
        handoff_token = services.login_handoff_token(user=user, tenant=tenant)
        return redirect(tenant_reverse(tenant=tenant, viewname="handoff", args=(handoff_token,)))
    # Only what the page shows (the pending signup also holds the password hash).
    context = {"organisation_name": pending["organisation_name"], "email": pending["email"]}
    return render(request, "accounts/signup_confirm.html", context)


def find_organisation(request):
    form = forms.FindOrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tenant = ready_tenant_by_slug(slug=form.cleaned_data["slug"].lower())
        if tenant is not None:
            return redirect(tenant_reverse(tenant=tenant, viewname="login"))
        form.add_error("slug", "No organisation has this address.")
    return render(
        request,
        "accounts/find_organisation.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def handoff(request, token):
    try:
        user = services.login_handoff_consume(token=token, tenant=request.tenant)
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome to {request.tenant.name}.")
    return redirect("dashboard:home")


class TenantPasswordResetView(auth_views.PasswordResetView):
    """Throttled per client address like the other auth forms (each request sends a mail)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    form_class = forms.TenantPasswordResetForm

    def post(self, request, *args, **kwargs):
        wait = _auth_rate_exceeded(request)
        if wait is not None:
            context = self.get_context_data(form=self.get_form())
            return _too_many_requests(request, self.template_name, context, wait)
        return super().post(request, *args, **kwargs)


class TenantPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A reset ends every other sign-in: sessions (Django's session hash) and refresh tokens."""

    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user)
        return response


class TenantLoginView(auth_views.LoginView):
    """Session login on a tenant host: credentials, membership and the lockout rule."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        wait = _auth_rate_exceeded(request)
        if wait is not None:
            form.is_valid()
            form.errors.clear()
            context = self.get_context_data(form=form)
            return _too_many_requests(request, self.template_name, context, wait)
        email = request.POST.get("username", "")
        password = request.POST.get("password", "")
        try:
            user = services.login_authenticate(
                email=email,
                password=password,
                tenant=request.tenant,
                ip=http.client_ip(request),
            )
        except DomainError as error:
            form.is_valid()
            form.errors.clear()
            form.add_error(None, error.detail)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(self.get_success_url())


@capability_required("profile.manage")
def profile(request):
    form = forms.ProfileForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, **form.cleaned_data)
        except DomainError as error:
            _apply_errors(form, error)
        else:
            if form.cleaned_data["new_password"]:
                update_session_auth_hash(request, request.user)
            messages.success(request, "Profile saved.")
            return redirect("settings-profile")
    return render(request, "accounts/settings_profile.html", {"form": form})


@capability_required("workspace.view", post="member.manage")
def members(request):
    invite_form = forms.InvitationForm(request.POST or None)
    if request.method == "POST" and invite_form.is_valid():
        try:
            services.invitation_create(
                tenant=request.tenant, invited_by=request.membership, **invite_form.cleaned_data
            )
        except PlanLimitExceeded:
            raise  # the billing middleware answers 402 with the upgrade prompt
        except DomainError as error:
            _apply_errors(invite_form, error)
        else:
            messages.success(request, f"Invitation sent to {invite_form.cleaned_data['email']}.")
            return redirect("settings-members")
    context = {
        "members": selectors.members_of(tenant=request.tenant),
        "invitations": selectors.invitations_pending(tenant=request.tenant),
        "invite_form": invite_form,
        "roles": cast(django_forms.ChoiceField, forms.RoleForm.base_fields["role"]).choices,
    }
    return render(request, "accounts/settings_members.html", context)


@require_POST
@capability_required("member.manage", actions={"remove": "profile.manage"})
def member_update(request, member_id):
    membership = get_object_or_404(Membership, public_id=member_id, tenant=request.tenant)
    try:
        if request.POST.get("action") == "remove":
            services.membership_remove(membership=membership, actor=request.membership)
            messages.success(request, f"{membership.user.email} was removed.")
        else:
            form = forms.RoleForm(request.POST)
            role = form.cleaned_data["role"] if form.is_valid() else ""
            services.membership_change_role(
                membership=membership, role=role, actor=request.membership
            )
            messages.success(request, f"{membership.user.email} is now {role}.")
    except DomainError as error:
        messages.error(request, error.detail)
    return redirect("settings-members")


@require_POST
@capability_required("member.manage")
def invitation_revoke(request, invitation_id):
    invitation = get_object_or_404(Invitation, public_id=invitation_id, tenant=request.tenant)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.membership)
        messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    except DomainError as error:
        messages.error(request, error.detail)
    return redirect("settings-members")


def invitation_accept(request, token):
    try:
        invitation = services.invitation_from_token(token=token)
        if invitation.tenant_id != request.tenant.pk:
            raise NotFound("This invitation link is not valid.")
    except DomainError as error:
        return render(
            request, "accounts/invitation_invalid.html", {"error": error}, status=error.status
        )
    form = forms.AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(
                token=token, user=request.user, **form.cleaned_data
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"You joined {request.tenant.name}.")
            return redirect("dashboard:home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )


@capability_required("api_key.manage")
def api_keys(request):
    form = forms.ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _api_key, new_key = services.api_key_create(
                tenant=request.tenant,
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            form = forms.ApiKeyForm()
    context = {
        "form": form,
        "new_key": new_key,
        "keys": selectors.api_keys_of(tenant=request.tenant).order_by("-created"),
    }
    return render(
        request, "accounts/settings_api_keys.html", context, status=400 if form.errors else 200
    )


@require_POST
@capability_required("api_key.manage")
def api_key_revoke(request, key_id):
    api_key = get_object_or_404(ApiKey, public_id=key_id, tenant=request.tenant, revoked=False)
    services.api_key_revoke(api_key=api_key)
    messages.success(request, f"Key “{api_key.name}” revoked.")
    return redirect("settings-api-keys")


@capability_required("organisation.manage")
def organisation(request):
    tenant = request.tenant
    form = forms.OrganisationForm(
        request.POST or None,
        initial={
            "name": tenant.name,
            "billing_email": tenant.billing_email,
            "postal_address": tenant.postal_address,
            "timezone": tenant.timezone,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tenant_update(
                tenant=tenant,
                name=data["name"],
                billing_email=data["billing_email"],
                postal_address=data["postal_address"],
                timezone_name=data["timezone"],
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Organisation settings saved.")
            return redirect("settings-organisation")
    return render(request, "accounts/settings_organisation.html", {"form": form})
