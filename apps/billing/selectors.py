from apps.tenants.models import Tenant

from .models import BillingAccount
from .plans import FREE, PLANS, Plan


def plan_for_tenant(*, tenant: Tenant) -> Plan:
    try:
        return PLANS[tenant.billing_account.plan]
    except BillingAccount.DoesNotExist:
        return FREE
