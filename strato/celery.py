"""The Celery app. Tasks run in the schema of whoever queued them (tenant-schemas-celery), on the
base in apps/core/task_base.py."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strato.settings.dev")

# StratoTask: capped deliveries and retries on transient errors for every task.
app = CeleryApp("strato", task_cls="apps.core.task_base:StratoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
