"""Stripe webhooks: signatures, the inbox (once per event id), order independence, each event."""

import json
import time

import pytest
from django.core import mail
from djstripe.models import WebhookEventTrigger

from apps.billing.models import BillingAccount, BillingInvoice
from apps.core.models import WebhookEvent
from tests.billing.factories import BillingAccountFactory

from .conftest import (
    CUSTOMER_ID,
    event,
    invoice,
    process,
    sign,
    stripe_object,
    stub_subscription,
    subscription,
)

pytestmark = pytest.mark.django_db


def test_a_valid_event_is_stored_once_and_applied_from_the_current_subscription(
    stripe_api, account, post_event
):
    current = subscription(plan="starter", status="trialing", trial_end=int(time.time()) + 86400)
    stub_subscription(stripe_api, current)
    payload = event("customer.subscription.created", current)

    response = post_event(payload)

    assert response.status_code == 200
    stored = WebhookEvent.objects.get(provider="stripe", event_id=payload["id"])
    assert (stored.event_type, stored.status, stored.schema_name) == (
        "customer.subscription.created",
        "received",
        "t_acme",
    )
    assert json.loads(bytes(stored.body)) == payload
    assert WebhookEventTrigger.objects.get(pk=int(response.content)).valid is True
    assert process(payload["id"]) == "processed"
    account.refresh_from_db()
    assert (account.plan, account.subscription_status, account.trial_used) == (
        "starter",
        "trialing",
        True,
    )
    assert account.stripe_subscription_id == "sub_strato1"


def test_a_tampered_body_is_refused_and_changes_nothing(stripe_api, account, post_event):
    payload = event("customer.subscription.created", subscription(plan="enterprise"))
    signature = sign(json.dumps(payload).encode())
    tampered = json.dumps({**payload, "id": "evt_forged"}).encode()

    response = post_event(payload, body=tampered, signature=signature)

    assert response.status_code == 400
    assert not WebhookEvent.objects.filter(provider="stripe").exists()
    assert WebhookEventTrigger.objects.get().valid is False  # kept for forensics, not applied
    account.refresh_from_db()
    assert (account.plan, account.subscription_status) == ("free", "")


def test_a_signature_with_another_secret_is_refused(stripe_api, account, post_event):
    payload = event("customer.subscription.created", subscription())
    response = post_event(
        payload, signature=sign(json.dumps(payload).encode(), secret="whsec_someone_else")
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_stale_signature_is_refused(stripe_api, account, post_event):
    payload = event("customer.subscription.created", subscription())
    body = json.dumps(payload).encode()

    stale = post_event(payload, signature=sign(body, timestamp=int(time.time()) - 301))
    fresh_enough = post_event(payload, signature=sign(body, timestamp=int(time.time()) - 290))

    assert stale.status_code == 400
    assert fresh_enough.status_code == 200
    assert WebhookEvent.objects.filter(provider="stripe").count() == 1


def test_a_missing_signature_or_unknown_endpoint_is_refused(public_client, webhook_endpoint):
    missing = public_client.post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/",
        data=b"{}",
        content_type="application/json",
    )
    unknown = public_client.post(
        "/stripe/webhook/00000000-0000-0000-0000-000000000000/",
        data=b"{}",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(b"{}"),
    )
    assert (missing.status_code, unknown.status_code) == (400, 404)


def test_a_duplicate_delivery_is_acknowledged_and_applied_once(
    stripe_api, account, post_event, send_emails
):
    current = subscription(plan="pro", status="past_due")
    stub_subscription(stripe_api, current)
    payload = event("invoice.payment_failed", invoice(status="open", amount=9900))

    with send_emails(execute=True):
        first = post_event(payload)
        second = post_event(payload)
        assert process(payload["id"]) == "processed"
        assert process(payload["id"]) == "processed"

    assert (first.status_code, second.status_code) == (200, 200)
    assert WebhookEvent.objects.filter(provider="stripe", event_id=payload["id"]).count() == 1
    assert WebhookEvent.objects.get(event_id=payload["id"]).attempts == 1
    failed = [m for m in mail.outbox if m.extra_headers["X-Strato-Email"] == "payment_failed"]
    assert len(failed) == 1
    assert failed[0].to == ["owner@acme.test"]


def test_updates_applied_out_of_order_end_in_stripes_current_state(stripe_api, account, post_event):
    """`updated` (to Pro) is delivered before `created` (Starter trial): the state is read
    from Stripe, so the late `created` does not roll the tenant back to Starter."""
    created_copy = subscription(
        plan="starter", status="trialing", trial_end=int(time.time()) + 86400
    )
    current = subscription(plan="pro", status="active")
    stub_subscription(stripe_api, current)
    updated_event = event("customer.subscription.updated", current, created=int(time.time()))
    created_event = event(
        "customer.subscription.created", created_copy, created=int(time.time()) - 600
    )

    post_event(updated_event)
    post_event(created_event)
    process(updated_event["id"])
    process(created_event["id"])

    account.refresh_from_db()
    assert (account.plan, account.subscription_status) == ("pro", "active")


def test_a_late_event_of_an_older_subscription_never_overrides_the_newer_one(
    stripe_api, account, post_event
):
    newer = subscription(sub_id="sub_new", plan="pro", created=int(time.time()) - 60)
    older = subscription(
        sub_id="sub_old", plan="starter", status="canceled", created=int(time.time()) - 86400 * 40
    )
    stub_subscription(stripe_api, newer)
    stub_subscription(stripe_api, older)
    first, late = (
        event("customer.subscription.created", newer),
        event("customer.subscription.deleted", older),
    )
    post_event(first)
    post_event(late)
    process(first["id"])
    process(late["id"])
    account.refresh_from_db()
    assert (account.stripe_subscription_id, account.plan, account.subscription_status) == (
        "sub_new",
        "pro",
        "active",
    )


def test_checkout_completed_links_the_tenant_and_confirms_once(
    stripe_api, tenant, owner, post_event, send_emails
):
    account = BillingAccountFactory(tenant=tenant)
    current = subscription(
        plan="starter", status="trialing", tenant=tenant, trial_end=int(time.time()) + 14 * 86400
    )
    stub_subscription(stripe_api, current)
    session = stripe_object(
        "checkout.session",
        mode="subscription",
        customer=CUSTOMER_ID,
        client_reference_id=str(tenant.public_id),
        subscription="sub_strato1",
        status="complete",
        payment_status="paid",
    )
    completed = event("checkout.session.completed", session)
    created = event("customer.subscription.created", current)

    with send_emails(execute=True):
        post_event(completed)
        post_event(created)
        process(completed["id"])
        process(created["id"])

    account.refresh_from_db()
    assert account.stripe_customer_id == CUSTOMER_ID
    assert (account.plan, account.subscription_status, account.trial_used) == (
        "starter",
        "trialing",
        True,
    )
    confirmed = [
        m for m in mail.outbox if m.extra_headers["X-Strato-Email"] == "subscription_confirmed"
    ]
    assert len(confirmed) == 1
    assert "Starter" in confirmed[0].subject
    assert "free trial runs until" in confirmed[0].body


def test_invoices_keep_their_final_status_whatever_the_order(stripe_api, account, post_event):
    stub_subscription(stripe_api, subscription(plan="starter"))
    paid = event("invoice.paid", invoice(status="paid"))
    failed_earlier = event("invoice.payment_failed", invoice(status="open"))

    post_event(paid)
    post_event(failed_earlier)
    process(paid["id"])
    process(failed_earlier["id"])

    record = BillingInvoice.objects.get(stripe_invoice_id="in_strato1")
    assert (record.status, record.amount_paid, record.amount_due) == ("paid", 2900, 2900)
    assert record.hosted_invoice_url == "https://invoice.stripe.com/i/in_strato1"
    assert record.tenant == account.tenant


def test_payment_action_required_emails_the_owners_the_invoice_link(
    stripe_api, account, post_event, send_emails
):
    stub_subscription(stripe_api, subscription(plan="starter", status="past_due"))
    payload = event("invoice.payment_action_required", invoice(status="open"))
    with send_emails(execute=True):
        post_event(payload)
        process(payload["id"])
    action = [
        m for m in mail.outbox if m.extra_headers["X-Strato-Email"] == "payment_action_required"
    ]
    assert len(action) == 1
    assert "https://invoice.stripe.com/i/in_strato1" in action[0].body
    assert "29.00 USD" in action[0].body


def test_trial_will_end_warns_the_owners(stripe_api, account, post_event, send_emails):
    ends = int(time.time()) + 3 * 86400
    payload = event(
        "customer.subscription.trial_will_end",
        subscription(plan="pro", status="trialing", trial_end=ends),
    )
    with send_emails(execute=True):
        post_event(payload)
        process(payload["id"])
    (warning,) = [m for m in mail.outbox if m.extra_headers["X-Strato-Email"] == "trial_ending"]
    assert "Pro" in warning.body
    assert warning.to == ["owner@acme.test"]


def test_an_unknown_customer_is_stored_for_replay_not_crashed_on(stripe_api, account, post_event):
    from apps.core.webhooks import WebhookProcessingFailed, webhook_replay

    stranger = subscription(customer="cus_unknown")
    stub_subscription(stripe_api, stranger)
    payload = event("customer.subscription.created", stranger)

    assert post_event(payload).status_code == 200
    with pytest.raises(WebhookProcessingFailed, match="cus_unknown"):
        process(payload["id"])
    stored = WebhookEvent.objects.get(event_id=payload["id"])
    assert stored.status == "failed"
    assert "No tenant has the Stripe customer 'cus_unknown'" in stored.last_error

    # Staff link the customer, then replay from the admin.
    BillingAccount.objects.filter(pk=account.pk).update(stripe_customer_id="cus_unknown")
    webhook_replay(event=stored)
    assert process(payload["id"]) == "processed"
    account.refresh_from_db()
    assert account.plan == "starter"


def test_an_unknown_price_fails_visibly(stripe_api, account, post_event):
    from apps.core.webhooks import WebhookProcessingFailed

    foreign = subscription()
    foreign["items"]["data"][0]["price"] = stripe_object("price")  # no Strato lookup key
    stub_subscription(stripe_api, foreign)
    payload = event("customer.subscription.updated", foreign)
    post_event(payload)
    with pytest.raises(WebhookProcessingFailed, match="not one of Strato's plans"):
        process(payload["id"])
    account.refresh_from_db()
    assert account.plan == "free"


def test_events_strato_does_not_handle_are_ignored(stripe_api, account, post_event):
    payload = stripe_object("event", id="evt_plan_created")  # Stripe's fixture: plan.created
    payload["api_version"] = "2026-05-27.dahlia"
    post_event(payload)
    assert process("evt_plan_created") == "ignored"
