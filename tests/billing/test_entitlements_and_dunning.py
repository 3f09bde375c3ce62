"""Every limit at, below and above its value; the 402 problem; plan-based API rate; the dunning
path (grace, then Free limits, nothing deleted); a downgrade with usage above the new plan."""

import datetime
import time

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.models import Invitation, Membership
from apps.accounts.services import invitation_accept, invitation_create, invitation_token
from apps.billing.models import BillingAccount
from apps.billing.selectors import billing_status, plan_for_tenant, usage_summary
from apps.billing.services import (
    PlanLimitExceeded,
    billing_plan_set,
    billing_subscription_apply,
    entitlement_check,
    entitlement_consume,
)
from tests.accounts.factories import add_member
from tests.billing.factories import BillingAccountFactory
from tests.helpers import assert_problem, signed_in

from .conftest import CUSTOMER_ID, subscription

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("plan", "resource", "limit"),
    [
        ("free", "repositories", 3),
        ("free", "leads", 1000),
        ("free", "seats", 1),
        ("starter", "repositories", 25),
        ("starter", "leads", 10_000),
        ("starter", "seats", 3),
        ("pro", "repositories", 250),
        ("pro", "leads", 100_000),
        ("pro", "seats", 10),
    ],
)
def test_stock_limits_below_at_and_above(tenant, plan, resource, limit):
    billing_plan_set(tenant=tenant, plan_code=plan)
    entitlement_check(tenant=tenant, resource=resource, current=limit - 1)  # below: one more ok
    for held in (limit, limit + 1):  # at and above: refused
        with pytest.raises(PlanLimitExceeded) as refused:
            entitlement_check(tenant=tenant, resource=resource, current=held)
        assert refused.value.extra["limit"] == limit
        assert refused.value.extra["usage"] == held
        assert refused.value.extra["upgrade_url"] == "http://acme.localhost/billing/"


def test_enterprise_is_unlimited_where_the_catalogue_says_so(tenant):
    billing_plan_set(tenant=tenant, plan_code="enterprise")
    for resource in ("seats", "repositories", "leads"):
        entitlement_check(tenant=tenant, resource=resource, current=10_000_000)


@pytest.mark.parametrize(
    ("plan", "resource", "limit"),
    [
        ("free", "emails", 500),
        ("free", "analyses", 20),
        ("starter", "analyses", 500),
        ("enterprise", "analyses", 50_000),
    ],
)
def test_monthly_limits_below_at_and_above(tenant, plan, resource, limit):
    billing_plan_set(tenant=tenant, plan_code=plan)
    assert entitlement_consume(tenant=tenant, resource=resource, amount=limit - 1) == limit - 1
    assert entitlement_consume(tenant=tenant, resource=resource) == limit  # reaching it is fine
    with pytest.raises(PlanLimitExceeded) as refused:  # one above is not
        entitlement_consume(tenant=tenant, resource=resource)
    assert (refused.value.extra["usage"], refused.value.extra["limit"]) == (limit, limit)
    assert f"allows {limit}" in refused.value.detail
    assert "per month" in refused.value.detail
    with pytest.raises(PlanLimitExceeded):
        entitlement_check(tenant=tenant, resource=resource)


def test_seats_count_members_and_pending_invitations(tenant, owner):
    billing_plan_set(tenant=tenant, plan_code="starter")  # 3 seats
    actor = Membership.objects.get(user=owner, tenant=tenant)
    invitation_create(tenant=tenant, email="one@acme.test", role="member", invited_by=actor)
    invitation_create(tenant=tenant, email="two@acme.test", role="member", invited_by=actor)
    with pytest.raises(PlanLimitExceeded) as refused:
        invitation_create(tenant=tenant, email="three@acme.test", role="member", invited_by=actor)
    assert (refused.value.extra["usage"], refused.value.extra["limit"]) == (3, 3)
    # Re-inviting the same address replaces its invitation: it does not take another seat.
    invitation_create(tenant=tenant, email="two@acme.test", role="admin", invited_by=actor)


def test_the_api_answers_402_with_limit_usage_and_upgrade_url(api_client_for, tenant, owner):
    response = api_client_for(tenant, owner).post(
        "/api/invitations", {"email": "new@acme.test", "role": "member"}, format="json"
    )
    body = assert_problem(response, 402, "plan_limit_exceeded")
    assert body["limit"] == 1
    assert body["usage"] == 1
    assert body["resource"] == "seats"
    assert body["plan"] == "free"
    assert body["upgrade_url"] == "http://acme.localhost/billing/"
    assert body["detail"] == "Your Free plan allows 1 seat; you have used 1."
    assert not Invitation.objects.filter(email="new@acme.test").exists()


def test_the_dashboard_shows_the_upgrade_prompt_with_402(tenant, owner):
    response = signed_in(tenant, owner).post(
        "/settings/members/", {"email": "new@acme.test", "role": "member"}
    )
    assert response.status_code == 402
    html = response.content.decode()
    assert "Plan limit reached" in html
    assert 'href="http://acme.localhost/billing/"' in html
    assert "Upgrade your plan" in html


def test_the_api_rate_limit_follows_the_plan(api_client_for, tenant, owner):
    client = api_client_for(tenant, owner)
    statuses = [client.get("/api/auth/profile").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429

    billing_plan_set(tenant=tenant, plan_code="starter")  # 300 / min
    assert client.get("/api/auth/profile").status_code == 200


def test_a_downgrade_with_usage_above_the_new_plan_keeps_everything_read_only(tenant, owner):
    BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)
    billing_subscription_apply(subscription=subscription(plan="pro"))
    for n in range(4):
        add_member(tenant, f"colleague{n}@acme.test")
    assert Membership.objects.filter(tenant=tenant).count() == 5

    # The period ends and Stripe moves the subscription to Starter (3 seats).
    billing_subscription_apply(subscription=subscription(plan="starter"))

    assert plan_for_tenant(tenant=tenant).code == "starter"
    assert Membership.objects.filter(tenant=tenant).count() == 5  # nobody removed
    seats = next(line for line in usage_summary(tenant=tenant) if line.resource == "seats")
    assert (seats.used, seats.limit, seats.over_limit, seats.percent) == (5, 3, True, 100)
    actor = Membership.objects.get(user=owner, tenant=tenant)
    with pytest.raises(PlanLimitExceeded):
        invitation_create(tenant=tenant, email="six@acme.test", role="member", invited_by=actor)
    page = signed_in(tenant, owner).get("/billing/").content.decode()
    assert "5 / 3" in page
    assert "read-only" in page


def test_an_invitation_sent_before_a_downgrade_cannot_exceed_the_new_plan(tenant, owner):
    billing_plan_set(tenant=tenant, plan_code="starter")
    actor = Membership.objects.get(user=owner, tenant=tenant)
    invitation = invitation_create(
        tenant=tenant, email="late@acme.test", role="member", invited_by=actor
    )
    billing_plan_set(tenant=tenant, plan_code="free")
    with pytest.raises(PlanLimitExceeded):
        invitation_accept(
            token=invitation_token(invitation=invitation), password="Another-Sturdy-Pass-1"
        )
    assert not Membership.objects.filter(user__email="late@acme.test").exists()


# --- Dunning ------------------------------------------------------------------------------------


@pytest.fixture
def on_pro(tenant, owner):
    account = BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)
    billing_subscription_apply(subscription=subscription(plan="pro"))
    for n in range(3):
        add_member(tenant, f"colleague{n}@acme.test")
    return account


def test_past_due_keeps_the_plan_for_the_grace_period_with_banner_and_email(
    on_pro, tenant, owner, member, send_emails
):
    with send_emails(execute=True):
        billing_subscription_apply(subscription=subscription(plan="pro", status="past_due"))
        billing_subscription_apply(subscription=subscription(plan="pro", status="past_due"))

    standing = billing_status(tenant=tenant)
    assert (standing.state, standing.plan.code) == ("grace", "pro")
    expected_end = BillingAccount.objects.get(tenant=tenant).past_due_since + datetime.timedelta(
        days=7
    )
    assert standing.grace_ends_at == expected_end
    failed = [m for m in mail.outbox if m.extra_headers["X-Strato-Email"] == "payment_failed"]
    assert len(failed) == 1  # once per episode, to the owners
    assert failed[0].to == ["owner@acme.test"]
    assert "7-day grace period" in failed[0].body
    banner = signed_in(tenant, member).get("/").content.decode()
    assert "Your last payment failed" in banner
    assert "Ask an owner" in banner


def test_after_the_grace_period_free_limits_apply_and_nothing_is_deleted(on_pro, tenant, owner):
    billing_subscription_apply(subscription=subscription(plan="pro", status="past_due"))
    BillingAccount.objects.filter(tenant=tenant).update(
        past_due_since=timezone.now() - datetime.timedelta(days=7, seconds=1)
    )

    standing = billing_status(tenant=tenant)
    assert (standing.state, standing.plan.code, standing.subscribed_plan.code) == (
        "lapsed",
        "free",
        "pro",
    )
    assert Membership.objects.filter(tenant=tenant).count() == 4
    actor = Membership.objects.get(user=owner, tenant=tenant)
    with pytest.raises(PlanLimitExceeded):
        invitation_create(tenant=tenant, email="x@acme.test", role="member", invited_by=actor)
    page = signed_in(tenant, owner).get("/billing/").content.decode()
    assert "Free limits apply" in page
    assert "Nothing was deleted" in page


def test_grace_is_measured_from_the_first_failure(on_pro, tenant):
    billing_subscription_apply(subscription=subscription(plan="pro", status="past_due"))
    first = BillingAccount.objects.get(tenant=tenant).past_due_since
    billing_subscription_apply(subscription=subscription(plan="pro", status="past_due"))
    assert BillingAccount.objects.get(tenant=tenant).past_due_since == first
    BillingAccount.objects.filter(tenant=tenant).update(
        past_due_since=timezone.now() - datetime.timedelta(days=6, hours=23)
    )
    assert plan_for_tenant(tenant=tenant).code == "pro"


@pytest.mark.parametrize("status", ["unpaid", "canceled", "incomplete_expired"])
def test_unpaid_canceled_or_expired_drop_to_free_at_once(on_pro, tenant, status, send_emails):
    with send_emails(execute=True):
        billing_subscription_apply(subscription=subscription(plan="pro", status=status))
    standing = billing_status(tenant=tenant)
    assert (standing.state, standing.plan.code) == ("lapsed", "free")
    assert Membership.objects.filter(tenant=tenant).count() == 4
    changed = [m for m in mail.outbox if m.extra_headers["X-Strato-Email"] == "plan_changed"]
    assert len(changed) == 1
    assert "from the Pro plan to the Free plan" in changed[0].body


def test_paying_again_restores_the_plan(on_pro, tenant):
    billing_subscription_apply(subscription=subscription(plan="pro", status="past_due"))
    BillingAccount.objects.filter(tenant=tenant).update(
        past_due_since=timezone.now() - datetime.timedelta(days=10)
    )
    assert plan_for_tenant(tenant=tenant).code == "free"

    billing_subscription_apply(subscription=subscription(plan="pro", status="active"))

    account = BillingAccount.objects.get(tenant=tenant)
    assert (account.subscription_status, account.past_due_since) == ("active", None)
    assert plan_for_tenant(tenant=tenant).code == "pro"


def test_a_comped_tenant_keeps_its_plan_whatever_stripe_says(tenant, owner):
    from apps.billing.services import billing_comp_end, billing_plan_comp

    BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)
    billing_plan_comp(tenant=tenant, plan_code="enterprise")
    billing_subscription_apply(
        subscription=subscription(plan="starter", status="unpaid", created=int(time.time()))
    )
    assert plan_for_tenant(tenant=tenant).code == "enterprise"
    assert billing_status(tenant=tenant).state == "comped"
    billing_comp_end(tenant=tenant)
    assert plan_for_tenant(tenant=tenant).code == "free"
