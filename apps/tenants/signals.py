"""Keep the host → tenant cache true when domains or tenants change (admin edits included)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Domain, Tenant
from .selectors import forget_hosts


@receiver([post_save, post_delete], sender=Domain)
def forget_domain(sender, instance: Domain, **kwargs) -> None:
    hostname = instance.domain
    transaction.on_commit(lambda: forget_hosts(hostname))


@receiver(pre_save, sender=Domain)
def forget_renamed_domain(sender, instance: Domain, **kwargs) -> None:
    if instance.pk is None:
        return
    previous = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
    if previous and previous != instance.domain:
        transaction.on_commit(lambda: forget_hosts(previous))


@receiver([post_save, post_delete], sender=Tenant)
def forget_tenant_domains(sender, instance: Tenant, **kwargs) -> None:
    if instance.pk is None:
        return
    hostnames = list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
    if hostnames:
        transaction.on_commit(lambda: forget_hosts(*hostnames))
