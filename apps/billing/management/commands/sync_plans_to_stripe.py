"""Create or update Stripe products and monthly prices from the plan catalogue (plans.py)."""

from django.core.management.base import BaseCommand, CommandError

from apps.billing.services import stripe_plans_sync
from apps.core.errors import DomainError


class Command(BaseCommand):
    help = "Sync the plan catalogue to Stripe products and prices (idempotent)."

    def handle(self, *args, **options):
        try:
            synced = stripe_plans_sync(stdout=self.stdout)
        except DomainError as error:
            raise CommandError(error.detail) from error
        self.stdout.write(self.style.SUCCESS(f"{len(synced)} paid plans are in Stripe."))
