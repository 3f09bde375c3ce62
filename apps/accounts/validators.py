from django.core.exceptions import ValidationError

MAX_PASSWORD_LENGTH = 128


class MaximumLengthValidator:
    """Long passwords cost hashing time for nothing; refuse them clearly."""

    def validate(self, password, user=None):
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(
                f"This password is too long. Use at most {MAX_PASSWORD_LENGTH} characters.",
                code="password_too_long",
            )

    def get_help_text(self):
        return f"Your password can be at most {MAX_PASSWORD_LENGTH} characters."
