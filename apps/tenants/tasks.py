from celery import shared_task
from django.core.cache import cache

from . import services


@shared_task(ignore_result=True)
def refill_spare_schemas() -> int:
    # One refill at a time across workers; a concurrent call simply skips.
    lock = cache.lock("tenants:refill-spares", timeout=300)
    if not lock.acquire(blocking=False):
        return 0
    try:
        return services.spare_pool_refill()
    finally:
        lock.release()
