"""The base class of every Celery task (the app's `task_cls`).

On top of tenant-schemas-celery's schema switching it gives every task two guarantees:

- **A delivery cap.** `acks_late` + reject-on-worker-lost redeliver a task whose worker died, so
  a task that kills its worker (out of memory, a segfault) would come back forever. Each
  delivery of a reliable task is counted in Redis; past `TASK_MAX_DELIVERIES` the task is not
  run but *parked*: `on_parked` lets the task hold its work in a visible state, and the
  `task_parked` signal records it (the monitoring app keeps a dead letter staff can requeue).
- **Retries on transient errors.** A database or broker connection error retries the task with
  exponential backoff (1 s, 2 s, 4 s … capped at 30 s), counted apart from the task's own
  retries; past `TASK_TRANSIENT_MAX_RETRIES` the task is parked, never dropped.

Tasks run in tests' eager mode (in-process) are neither counted nor retried.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from celery.exceptions import Retry
from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.dispatch import Signal
from django_redis import get_redis_connection
from django_tenants.utils import get_public_schema_name
from tenant_schemas_celery.app import get_schema_name_from_task, switch_schema
from tenant_schemas_celery.task import TenantTask

from .transient import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

# Sent once per parked task, inside the transaction of `on_parked`, with keyword arguments
# task_name, task_id, args, kwargs, schema_name, reason and deliveries.
task_parked = Signal()

TRANSIENT_RETRIES_HEADER = "strato_transient_retries"
DELIVERY_KEY_PREFIX = "strato:task-deliveries:"
# Long enough to outlive every redelivery of one message (the broker's visibility timeout is an
# hour), short enough that counters of finished tasks do not pile up.
DELIVERY_COUNTER_TTL_SECONDS = 7 * 24 * 3600
TRANSIENT_BACKOFF_MAX_SECONDS = 30


def transient_backoff(retries: int) -> float:
    """Seconds before transient retry number `retries` (0-based), with up to 20 % jitter."""
    base = min(TRANSIENT_BACKOFF_MAX_SECONDS, 2**retries)
    return float(base + random.uniform(0, base / 5))


def _drop_broken_connections() -> None:
    """Close database connections a transient error left broken.

    Workers reuse connections across tasks (CELERY_DB_REUSE_MAX) and nothing else checks them
    between tasks, so a connection cut by a database restart would fail every later task on
    this process; closed, the next query connects again.
    """
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue  # an eager caller's transaction; it owns the connection
        try:
            conn.close()
        except DatabaseError:
            logger.debug("closing a broken connection failed", exc_info=True)


class StratoTask(TenantTask):
    abstract = True

    def on_parked(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], reason: str
    ) -> tuple[list[Any], dict[str, Any]]:
        """Hold the task's work when it is parked; returns the args and kwargs a requeue sends.

        Runs in the task's schema, in the transaction that records the dead letter.
        """
        return list(args), kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        if request.is_eager or not request.id:
            return super().__call__(*args, **kwargs)
        transient = self._transient_retries()
        try:
            self._ensure_schema(kwargs)
            if self.acks_late:
                deliveries = self._count_delivery(transient)
                if deliveries > settings.TASK_MAX_DELIVERIES:
                    self.park(
                        args,
                        kwargs,
                        reason=f"Delivered {deliveries} times without finishing: the worker "
                        "running it was lost each time (killed, out of memory or crashed).",
                        deliveries=deliveries,
                    )
                    return None
            return super().__call__(*args, **kwargs)
        except TRANSIENT_ERRORS as exc:
            _drop_broken_connections()
            if transient >= settings.TASK_TRANSIENT_MAX_RETRIES:
                self.park(
                    args,
                    kwargs,
                    reason=f"Still failing after {transient} retries on a transient error: "
                    f"{type(exc).__name__}: {exc}",
                    deliveries=transient + 1,
                )
                return None
            countdown = transient_backoff(transient)
            logger.warning(
                "task %s[%s] retries in %.1fs after %s: %s",
                self.name,
                request.id,
                countdown,
                type(exc).__name__,
                exc,
            )
            self._retry_transient(args, kwargs, retries=transient + 1, countdown=countdown)
            raise Retry(exc=exc, when=countdown) from exc

    def _ensure_schema(self, kwargs: dict[str, Any]) -> None:
        """Switch to the task's schema if the prerun signal could not (database unreachable).

        Celery logs and swallows errors of signal handlers, so without this the task would run
        on the previous schema; here the error is raised and the task retried.
        """
        schema_name = get_schema_name_from_task(self, kwargs) or get_public_schema_name()
        if connection.schema_name != schema_name:  # type: ignore[attr-defined]  # django-tenants
            switch_schema(self, kwargs)

    def _transient_retries(self) -> int:
        # Redis merges custom headers into the request; other brokers keep them in `headers`.
        value = getattr(self.request, TRANSIENT_RETRIES_HEADER, None)
        if value is None:
            value = (self.request.headers or {}).get(TRANSIENT_RETRIES_HEADER, 0)
        return int(value or 0)

    def _count_delivery(self, transient: int) -> int:
        """This delivery's number among the deliveries of the same message.

        A retry is a new message (its retry numbers are in the key); a redelivery of the same
        message after its worker was lost counts up.
        """
        key = f"{DELIVERY_KEY_PREFIX}{self.request.id}:{self.request.retries}:{transient}"
        client = get_redis_connection("default")
        pipe = client.pipeline()
        pipe.incr(key)
        pipe.expire(key, DELIVERY_COUNTER_TTL_SECONDS)
        count, _ = pipe.execute()
        return int(count)

    def _retry_transient(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], *, retries: int, countdown: float
    ) -> None:
        """Publish the same task again (same id, same own retry count) after `countdown`."""
        request = self.request
        headers = {
            **(request.headers or {}),
            "_schema_name": get_schema_name_from_task(self, kwargs) or "public",
            TRANSIENT_RETRIES_HEADER: retries,
        }
        signature = self.signature_from_request(
            request, args, kwargs, countdown=countdown, retries=request.retries, headers=headers
        )
        signature.apply_async()

    def park(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], *, reason: str, deliveries: int
    ) -> None:
        """Stop running this task: hold its work and record it as a dead letter."""
        schema_name = get_schema_name_from_task(self, kwargs) or "public"
        logger.error("task %s[%s] parked: %s", self.name, self.request.id, reason)
        with transaction.atomic():
            requeue_args, requeue_kwargs = self.on_parked(args, kwargs, reason)
            task_parked.send(
                sender=type(self),
                task_name=self.name,
                task_id=self.request.id,
                args=requeue_args,
                kwargs=requeue_kwargs,
                schema_name=schema_name,
                reason=reason,
                deliveries=deliveries,
            )
