from celery import shared_task

from . import checks


@shared_task(ignore_result=True)
def record_worker_heartbeat() -> None:
    checks.record_worker_heartbeat()
