from django.core.management.base import BaseCommand

from apps.tenants import services


class Command(BaseCommand):
    help = "Create the public tenant, its domain and the migrated template schema (idempotent)."

    def handle(self, *args, **options):
        services.tenancy_bootstrap(verbosity=options["verbosity"] - 1)
        created = services.spare_pool_refill()
        self.stdout.write(f"Tenancy ready ({created} spare schemas created).")
