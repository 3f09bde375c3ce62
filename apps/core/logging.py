import logging

from .accesslog import redact_secrets
from .context import request_id_var, tenant_var, user_var


class ContextFilter(logging.Filter):
    """Adds request id, tenant and user to every record so JSON logs can be joined up."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant = tenant_var.get()
        record.user_id = user_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Replaces link secrets (hand-off, invitation, signup and reset tokens) in log lines, such
    as runserver's request lines and Django's "Not Found: <path>" warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
