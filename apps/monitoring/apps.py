from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "apps.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from apps.core.task_base import task_parked

        from .services import dead_letter_record

        def record(sender, signal, **fields) -> None:
            dead_letter_record(**fields)

        # Strong reference: the receiver lives as long as the process.
        task_parked.connect(record, weak=False, dispatch_uid="monitoring_dead_letter_record")
