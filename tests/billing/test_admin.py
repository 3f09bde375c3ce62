"""Staff admin: tenants by plan and status, the MRR figure, comping a tenant onto a plan."""

import pytest

from apps.billing.models import BillingAccount
from apps.billing.selectors import monthly_recurring_revenue_usd, plan_for_tenant
from apps.billing.services import billing_subscription_apply
from apps.tenants.models import Tenant
from tests.billing.factories import BillingAccountFactory
from tests.helpers import staff_signed_in

from .conftest import CUSTOMER_ID, subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff):
    return staff_signed_in("localhost")


def test_mrr_counts_paying_subscriptions_only(tenant, other_tenant):
    BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)
    billing_subscription_apply(subscription=subscription(plan="pro"))  # 99
    BillingAccountFactory(
        tenant=other_tenant, plan="starter", subscription_status="trialing"
    )  # trial: 0
    assert monthly_recurring_revenue_usd() == 99


def test_changelist_shows_mrr_and_counts_and_comps_a_tenant(staff_client, tenant):
    BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)
    billing_subscription_apply(subscription=subscription(plan="starter"))
    page = staff_client.get("/admin/billing/billingaccount/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="mrr">$29<' in html
    assert "<td>Starter</td><td>active</td><td>1</td>" in html

    account = BillingAccount.objects.get(tenant=tenant)
    confirm = staff_client.post(
        "/admin/billing/billingaccount/",
        {"action": "comp_onto_plan", "_selected_action": [account.pk]},
    )
    assert confirm.status_code == 200
    assert "Grant a plan without payment" in confirm.content.decode()
    done = staff_client.post(
        "/admin/billing/billingaccount/",
        {"action": "comp_onto_plan", "_selected_action": [account.pk], "plan": "enterprise"},
    )
    assert done.status_code == 302
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert plan_for_tenant(tenant=tenant).code == "enterprise"
    assert BillingAccount.objects.get(tenant=tenant).comped is True
