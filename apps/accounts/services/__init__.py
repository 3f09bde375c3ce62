"""Accounts services, one module per concern, re-exported so callers keep `services.<name>`."""

from .api_keys import API_KEY_TOUCH_INTERVAL, api_key_create, api_key_revoke, api_key_touch
from .handoff import (
    HANDOFF_MAX_AGE_SECONDS,
    HANDOFF_SALT,
    login_handoff_consume,
    login_handoff_token,
)
from .login import (
    credentials_failure_record,
    credentials_locked,
    login_authenticate,
    password_changed,
    profile_update,
    refresh_tokens_revoke,
    tokens_issue,
    tokens_refresh,
    tokens_revoke,
)
from .members import (
    INVITATION_SALT,
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_revoke,
    invitation_token,
    invitation_url,
    membership_change_role,
    membership_remove,
)
from .signup import account_register, signup_confirm, signup_pending, signup_request
from .validation import email_normalize, password_check

__all__ = [
    "API_KEY_TOUCH_INTERVAL",
    "HANDOFF_MAX_AGE_SECONDS",
    "HANDOFF_SALT",
    "INVITATION_SALT",
    "account_register",
    "api_key_create",
    "api_key_revoke",
    "api_key_touch",
    "credentials_failure_record",
    "credentials_locked",
    "email_normalize",
    "invitation_accept",
    "invitation_create",
    "invitation_from_token",
    "invitation_revoke",
    "invitation_token",
    "invitation_url",
    "login_authenticate",
    "login_handoff_consume",
    "login_handoff_token",
    "membership_change_role",
    "membership_remove",
    "password_changed",
    "password_check",
    "profile_update",
    "refresh_tokens_revoke",
    "signup_confirm",
    "signup_pending",
    "signup_request",
    "tokens_issue",
    "tokens_refresh",
    "tokens_revoke",
]
