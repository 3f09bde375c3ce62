from rest_framework import serializers

from apps.accounts.models import Role


class TenantSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    slug = serializers.CharField()
    url = serializers.URLField()


class UserSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    organisation_name = serializers.CharField(max_length=200)
    slug = serializers.CharField(
        max_length=63,
        required=False,
        allow_blank=True,
        help_text="Subdomain; derived from the name when omitted.",
    )
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class SignupSentSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RegisterConfirmInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="From the emailed confirmation link.")


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Short-lived JWT bound to this organisation.")
    refresh = serializers.CharField(help_text="Single-use refresh token (rotated on use).")


class RegisterOutputSerializer(TokenPairSerializer):
    user = UserSerializer()
    tenant = TenantSummarySerializer()


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class ProfileSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.CharField(read_only=True)
    current_password = serializers.CharField(write_only=True, required=False, trim_whitespace=False)
    new_password = serializers.CharField(
        write_only=True, required=False, max_length=4096, trim_whitespace=False
    )


class ApiKeyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="First characters of the key, to recognise it.")
    created_at = serializers.DateTimeField(source="created")
    expires_at = serializers.DateTimeField(source="expiry_date", allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.EmailField(source="created_by.email")


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The key itself. Shown once; store it now.")


class MemberSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField(source="created_at")


class MemberRoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class InvitationSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    invited_by = serializers.EmailField(source="invited_by.email", allow_null=True)


class InvitationAcceptInputSerializer(serializers.Serializer):
    token = serializers.CharField()
    password = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=4096
    )
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=150)


class TenantSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(max_length=200, required=False)
    slug = serializers.CharField(read_only=True)
    billing_email = serializers.EmailField(required=False, allow_blank=True)
    postal_address = serializers.CharField(required=False, allow_blank=True, max_length=500)
    timezone = serializers.CharField(required=False, max_length=64)
    created_at = serializers.DateTimeField(read_only=True)
