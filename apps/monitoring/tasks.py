from celery import shared_task
from celery.signals import worker_ready

from . import checks


@shared_task(ignore_result=True)
def record_worker_heartbeat() -> None:
    checks.record_worker_heartbeat()


@worker_ready.connect
def _heartbeat_on_start(**kwargs) -> None:
    # So readiness reports the worker as soon as it is up, not after the first beat tick.
    checks.record_worker_heartbeat()


@shared_task(ignore_result=True)
def record_tenant_task_heartbeat() -> None:
    checks.record_tenant_task_heartbeat()
