"""Per-request context (request id, tenant, user) shared by logs, Sentry and Celery."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
tenant_var: ContextVar[str] = ContextVar("tenant", default="-")
user_var: ContextVar[str] = ContextVar("user_id", default="-")
