from django import forms
from django.contrib.auth.forms import PasswordResetForm

from .models import Role


class SignupForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Your name")
    email = forms.CharField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    organisation_name = forms.CharField(max_length=200, label="Organisation")
    slug = forms.CharField(
        max_length=63,
        required=False,
        label="Address",
        help_text="Your dashboard lives at <address>.strato. Leave empty to "
        "derive it from the organisation name.",
    )


class FindOrganisationForm(forms.Form):
    slug = forms.SlugField(max_length=40, label="Organisation address")


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False)
    current_password = forms.CharField(required=False, strip=False, widget=forms.PasswordInput)
    new_password = forms.CharField(
        required=False, strip=False, max_length=4096, widget=forms.PasswordInput
    )


class InvitationForm(forms.Form):
    email = forms.CharField(max_length=254, widget=forms.EmailInput)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=50)
    expires_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False)
    password = forms.CharField(
        required=False, strip=False, max_length=4096, widget=forms.PasswordInput
    )


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200)
    billing_email = forms.EmailField(required=False)
    postal_address = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required before the first campaign: it goes in the footer of every email.",
    )
    timezone = forms.CharField(max_length=64)


class TenantPasswordResetForm(PasswordResetForm):
    """Reset links go only to members of the organisation whose host the form is on."""

    def save(self, *args, **kwargs):
        self.tenant = getattr(kwargs.get("request"), "tenant", None)
        return super().save(*args, **kwargs)

    def get_users(self, email):
        tenant = getattr(self, "tenant", None)
        return (
            user
            for user in super().get_users(email)
            if tenant is not None and user.memberships.filter(tenant=tenant).exists()
        )
