"""Errors that mean "a backing service is unreachable right now", not "this request is wrong".

Tasks retry them with backoff (apps/core/task_base.py); the API and the dashboard answer them
with 503 and `Retry-After` (apps/core/api/errors.py, apps/core/views.py) instead of a 500.
"""

from __future__ import annotations

import kombu.exceptions
import redis.exceptions
from django.db import InterfaceError, OperationalError
from django_redis.exceptions import ConnectionInterrupted

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionInterrupted,  # django-redis' wrapper of the two above
    kombu.exceptions.OperationalError,
)

# What a 503 answer asks clients to wait before trying again.
RETRY_AFTER_SECONDS = 30


def is_transient(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, is a transient service error."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, TRANSIENT_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
