from django.db import transaction

from apps.tenants.models import Tenant

from .models import BillingAccount
from .plans import PLANS


@transaction.atomic
def billing_account_open(*, tenant: Tenant) -> BillingAccount:
    account, _ = BillingAccount.objects.get_or_create(tenant=tenant)
    return account


@transaction.atomic
def billing_plan_set(*, tenant: Tenant, plan_code: str) -> BillingAccount:
    if plan_code not in PLANS:
        raise ValueError(f"Unknown plan {plan_code!r}")
    account, _ = BillingAccount.objects.select_for_update().get_or_create(tenant=tenant)
    account.plan = plan_code
    account.save(update_fields=["plan", "updated_at"])
    return account
