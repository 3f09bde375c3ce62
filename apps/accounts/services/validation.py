"""Validation shared by signup, login, profile and invitations."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from apps.core.errors import ValidationFailed

from ..models import User


def email_normalize(*, email: str, field: str = "email") -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed.for_field(
            field, "Enter a valid email address.", code="invalid_email"
        ) from exc
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}".lower()


def password_check(*, password: str, user: User | None = None, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            exc.messages[0], code="weak_password", errors={field: list(exc.messages)}
        ) from exc
