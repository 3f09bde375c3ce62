import logging

from celery import current_app, shared_task
from django.core.cache import cache

from . import services
from .selectors import ready_tenants

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def refill_spare_schemas() -> int:
    # One refill at a time across workers; a concurrent call simply skips.
    lock = cache.lock("tenants:refill-spares", timeout=300)  # type: ignore[attr-defined]  # django-redis
    if not lock.acquire(blocking=False):
        return 0
    try:
        return services.spare_pool_refill()
    finally:
        lock.release()


@shared_task(ignore_result=True)
def for_each_ready_tenant(task_name: str, kwargs: dict | None = None) -> int:
    """Queue `task_name` once per ready tenant, each to run in that tenant's schema.

    Beat schedules jobs that concern every tenant through this task (see CELERY_BEAT_SCHEDULE):
    the schema travels in the `_schema_name` header that tenant-schemas-celery's base task reads
    before the task runs. Returns how many tasks were queued.
    """
    schemas = list(ready_tenants().order_by("id").values_list("schema_name", flat=True))
    for schema_name in schemas:
        current_app.send_task(task_name, kwargs=kwargs or {}, headers={"_schema_name": schema_name})
    logger.info("queued %s for %d tenants", task_name, len(schemas))
    return len(schemas)
