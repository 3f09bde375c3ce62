import logging

from .context import request_id_var, tenant_var, user_var


class ContextFilter(logging.Filter):
    """Adds request id, tenant and user to every record so JSON logs can be joined up."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant = tenant_var.get()
        record.user_id = user_var.get()
        return True
