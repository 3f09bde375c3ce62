from zoneinfo import available_timezones

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Role
from apps.core.api.serializers import StrictSerializer


class TenantSummarySerializer(StrictSerializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    slug = serializers.CharField()
    url = serializers.URLField()


class UserSerializer(StrictSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)


@extend_schema_field({"type": "string", "format": "email", "maxLength": 254})
class AddressField(serializers.CharField):
    """An email address, documented as one and checked by the service (stable error codes)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=254, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 40,
        "pattern": r"^$|^(?!.*--)[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$",
    }
)
class SlugText(serializers.CharField):
    """A tenant address, documented with its pattern and checked by the service."""


class RegisterInputSerializer(StrictSerializer):
    email = AddressField()
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    organisation_name = serializers.CharField(max_length=200)
    slug = SlugText(
        required=False,
        allow_blank=True,
        help_text="Subdomain: 3 to 40 lowercase letters, digits and single hyphens, starting and "
        "ending with a letter or digit; derived from the name when omitted.",
    )
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class SignupSentSerializer(StrictSerializer):
    detail = serializers.CharField()


class RegisterConfirmInputSerializer(StrictSerializer):
    token = serializers.CharField(max_length=200, help_text="From the emailed confirmation link.")


class TokenPairSerializer(StrictSerializer):
    access = serializers.CharField(help_text="Short-lived JWT bound to this organisation.")
    refresh = serializers.CharField(help_text="Single-use refresh token (rotated on use).")


class RegisterOutputSerializer(TokenPairSerializer):
    user = UserSerializer()
    tenant = TenantSummarySerializer()


class LoginInputSerializer(StrictSerializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class RefreshInputSerializer(StrictSerializer):
    refresh = serializers.CharField()


class ProfileSerializer(StrictSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.CharField(read_only=True)
    current_password = serializers.CharField(write_only=True, required=False, trim_whitespace=False)
    new_password = serializers.CharField(
        write_only=True, required=False, max_length=4096, trim_whitespace=False
    )


class ApiKeyInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=50)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeySerializer(StrictSerializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="First characters of the key, to recognise it.")
    created_at = serializers.DateTimeField(source="created")
    expires_at = serializers.DateTimeField(source="expiry_date", allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.EmailField(source="created_by.email")


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The key itself. Shown once; store it now.")


class MemberSerializer(StrictSerializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField(source="created_at")


class MemberRoleInputSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationInputSerializer(StrictSerializer):
    email = AddressField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class InvitationSerializer(StrictSerializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    invited_by = serializers.EmailField(source="invited_by.email", allow_null=True)


class InvitationAcceptInputSerializer(StrictSerializer):
    token = serializers.CharField()
    password = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=4096
    )
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=150)


class TenantSerializer(StrictSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(max_length=200, required=False)
    slug = serializers.CharField(read_only=True)
    billing_email = serializers.EmailField(required=False, allow_blank=True)
    postal_address = serializers.CharField(required=False, allow_blank=True, max_length=500)
    timezone = serializers.ChoiceField(
        choices=sorted(available_timezones()), required=False, help_text="An IANA time zone."
    )
    created_at = serializers.DateTimeField(read_only=True)
