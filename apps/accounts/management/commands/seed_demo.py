import os

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.accounts.models import User
from apps.accounts.services import account_register
from apps.tenants import services as tenant_services
from apps.tenants.models import Tenant
from apps.tenants.selectors import tenant_url

DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@strato.localhost"


class Command(BaseCommand):
    help = "Create the demo tenant and its owner (idempotent) and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=None,
            help="Demo owner's password (default: DEMO_PASSWORD or a fixed one)",
        )

    def handle(self, *args, **options):
        password = options["password"] or os.environ.get("DEMO_PASSWORD", "strato-demo-2026")
        tenant_services.tenancy_bootstrap()
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            _, tenant = account_register(
                email=DEMO_EMAIL,
                password=password,
                organisation_name="Demo Company",
                slug=DEMO_SLUG,
                full_name="Demo Owner",
            )
            tenant_services.tenant_update(tenant=tenant, postal_address="1 Demo Street, Berlin")
            created = "created"
        else:
            user = User.objects.get(email=DEMO_EMAIL)
            user.set_password(password)
            user.save(update_fields=["password"])
            created = "already there"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo tenant {created}.\n"
                f"  Dashboard: {tenant_url(tenant=tenant)}\n"
                f"  Email:     {DEMO_EMAIL}\n"
                f"  Password:  {password}\n"
                f"  Public site and signup: {settings.STRATO_URL_SCHEME}://{settings.STRATO_BASE_DOMAIN}"
                f":{settings.STRATO_PUBLIC_PORT or 80}/\n"
            )
        )
