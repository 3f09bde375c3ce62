"""Checkout, portal, plan changes, cancel/resume: owners and admins through the API and the
dashboard, Stripe stubbed at the HTTP layer; members get 403 everywhere; outages explained."""

import json
import time
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.core import mail
from django.core.management import call_command

from apps.billing.models import BillingAccount
from apps.billing.services import billing_subscription_apply
from tests.accounts.support import register_and_confirm
from tests.billing.factories import BillingAccountFactory
from tests.helpers import assert_problem, signed_in

from .conftest import API, CUSTOMER_ID, price, stripe_object, stub_prices, subscription

pytestmark = pytest.mark.django_db


def form(request) -> dict:
    return {key: values[0] for key, values in parse_qs(request.body).items()}


def stub_customer_create(mock, tenant):
    customer = stripe_object(
        "customer",
        id=CUSTOMER_ID,
        email=tenant.billing_email,
        metadata={"djstripe_subscriber": str(tenant.pk)},
    )
    mock.add(responses.POST, f"{API}/v1/customers", json=customer)


def stub_checkout(mock):
    session = stripe_object("checkout.session", mode="subscription", customer=CUSTOMER_ID)
    mock.add(responses.POST, f"{API}/v1/checkout/sessions", json=session)
    return session


@pytest.fixture
def subscribed(tenant, owner):
    """acme on Starter, active, through a Stripe subscription."""
    BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)
    return billing_subscription_apply(subscription=subscription(plan="starter"))


def test_checkout_opens_a_subscription_session_with_trial_and_a_deterministic_key(
    stripe_api, api_client_for, tenant, owner
):
    stub_prices(stripe_api)
    stub_customer_create(stripe_api, tenant)
    session = stub_checkout(stripe_api)
    client = api_client_for(tenant, owner)

    first = client.post("/api/billing/checkout", {"plan": "starter"}, format="json")
    again = client.post("/api/billing/checkout", {"plan": "starter"}, format="json")
    assert again.json() == first.json()

    assert first.status_code == 201, first.content
    assert first.json() == {"url": session["url"]}
    checkout_calls = [c for c in stripe_api.calls if c.request.url.endswith("/checkout/sessions")]
    assert len(checkout_calls) == 2
    sent = form(checkout_calls[0].request)
    assert sent["mode"] == "subscription"
    assert sent["customer"] == CUSTOMER_ID
    assert sent["client_reference_id"] == str(tenant.public_id)
    assert sent["line_items[0][price]"] == "price_starter"
    assert sent["subscription_data[trial_period_days]"] == "14"
    assert sent["success_url"] == "http://acme.localhost/billing/?checkout=success"
    keys = {c.request.headers["Idempotency-Key"] for c in checkout_calls}
    assert len(keys) == 1
    assert keys.pop().startswith("strato-checkout-")
    assert checkout_calls[0].request.headers["Stripe-Version"] == "2026-05-27.dahlia"
    # One Stripe customer per tenant, created once.
    assert len([c for c in stripe_api.calls if c.request.url.endswith("/v1/customers")]) == 1
    assert BillingAccount.objects.get(tenant=tenant).stripe_customer_id == CUSTOMER_ID


def test_the_trial_is_for_the_first_paid_plan_only(stripe_api, api_client_for, tenant, owner):
    stub_prices(stripe_api)
    stub_checkout(stripe_api)
    BillingAccountFactory(
        tenant=tenant,
        stripe_customer_id=CUSTOMER_ID,
        trial_used=True,
        subscription_status="canceled",
        stripe_subscription_id="sub_old",
    )
    response = api_client_for(tenant, owner).post(
        "/api/billing/checkout", {"plan": "pro"}, format="json"
    )
    assert response.status_code == 201
    sent = form(stripe_api.calls[-1].request)
    assert "subscription_data[trial_period_days]" not in sent
    assert sent["line_items[0][price]"] == "price_pro"


def test_a_stripe_outage_during_checkout_gives_a_clear_retry_message(
    stripe_api, settings, api_client_for, tenant, owner
):
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    stub_prices(stripe_api)
    BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)
    stripe_api.add(
        responses.POST,
        f"{API}/v1/checkout/sessions",
        body=requests.ConnectionError("connection reset by peer"),
    )

    response = api_client_for(tenant, owner).post(
        "/api/billing/checkout", {"plan": "starter"}, format="json"
    )

    body = assert_problem(response, 503, "stripe_unavailable")
    assert "Nothing was charged" in body["detail"]
    assert "try again" in body["detail"]
    assert response["Retry-After"] == "60"
    # The stripe client retried once (max_network_retries=1) before giving up.
    assert len([c for c in stripe_api.calls if "checkout" in c.request.url]) == 2

    page = signed_in(tenant, owner).post("/billing/checkout/", {"plan": "starter"}, follow=True)
    assert page.status_code == 200
    assert "We could not reach our payment provider" in page.content.decode()


def test_stripe_refusing_a_request_is_a_502_problem(stripe_api, api_client_for, tenant, owner):
    stub_prices(stripe_api)
    BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)
    stripe_api.add(
        responses.POST,
        f"{API}/v1/checkout/sessions",
        status=400,
        json={
            "error": {"type": "invalid_request_error", "message": "No such price: 'price_starter'"}
        },
    )
    response = api_client_for(tenant, owner).post(
        "/api/billing/checkout", {"plan": "starter"}, format="json"
    )
    body = assert_problem(response, 502, "stripe_error")
    assert "No such price" in body["detail"]


def test_checkout_is_refused_when_a_subscription_exists(
    stripe_api, api_client_for, subscribed, tenant, owner
):
    response = api_client_for(tenant, owner).post(
        "/api/billing/checkout", {"plan": "pro"}, format="json"
    )
    assert_problem(response, 409, "subscription_exists")


def test_the_portal_opens_for_the_tenants_customer(
    stripe_api, api_client_for, subscribed, tenant, owner
):
    portal = stripe_object("billing_portal.session", customer=CUSTOMER_ID)
    stripe_api.add(responses.POST, f"{API}/v1/billing_portal/sessions", json=portal)
    response = api_client_for(tenant, owner).post("/api/billing/portal")
    assert response.status_code == 201
    assert response.json()["url"] == portal["url"]
    sent = form(stripe_api.calls[-1].request)
    assert sent == {"customer": CUSTOMER_ID, "return_url": "http://acme.localhost/billing/"}


def test_an_upgrade_shows_the_prorated_amount_then_applies_now(
    stripe_api, api_client_for, subscribed, tenant, owner
):
    stub_prices(stripe_api)
    preview_invoice = stripe_object("invoice", amount_due=4667, currency="usd")
    stripe_api.add(responses.POST, f"{API}/v1/invoices/create_preview", json=preview_invoice)
    upgraded = subscription(plan="pro")
    stripe_api.add(responses.POST, f"{API}/v1/subscriptions/sub_strato1", json=upgraded)
    client = api_client_for(tenant, owner)

    preview = client.post("/api/billing/plan/preview", {"plan": "pro"}, format="json")

    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["direction"], body["effective"], body["amount_due"]) == ("upgrade", "now", 4667)
    sent = form(stripe_api.calls[-1].request)
    assert sent["subscription_details[proration_behavior]"] == "always_invoice"
    assert sent["subscription_details[items][0][price]"] == "price_pro"

    changed = client.post(
        "/api/billing/plan",
        {"plan": "pro", "proration_date": body["proration_date"]},
        format="json",
    )

    assert changed.status_code == 200, changed.content
    assert changed.json()["plan"]["code"] == "pro"
    update = form(stripe_api.calls[-1].request)
    assert update["proration_behavior"] == "always_invoice"
    assert update["proration_date"] == str(body["proration_date"])
    assert update["items[0][id]"] == "si_sub_strato1"
    assert BillingAccount.objects.get(tenant=tenant).plan == "pro"


def test_a_downgrade_waits_for_the_period_end(
    stripe_api, api_client_for, subscribed, tenant, owner
):
    stub_prices(stripe_api)
    schedule = stripe_object("subscription_schedule", id="sub_sched_strato")
    schedule["phases"][0]["items"][0]["price"] = "price_starter"
    stripe_api.add(responses.POST, f"{API}/v1/subscription_schedules", json=schedule)
    stripe_api.add(
        responses.POST, f"{API}/v1/subscription_schedules/sub_sched_strato", json=schedule
    )
    client = api_client_for(tenant, owner)
    BillingAccount.objects.filter(tenant=tenant).update(plan="pro")

    preview = client.post("/api/billing/plan/preview", {"plan": "starter"}, format="json")
    changed = client.post("/api/billing/plan", {"plan": "starter"}, format="json")

    assert preview.json()["effective"] == "period_end"
    assert preview.json()["amount_due"] == 0
    assert changed.status_code == 200, changed.content
    assert changed.json()["plan"]["code"] == "pro"  # until the period ends
    assert changed.json()["pending_plan"]["code"] == "starter"
    phases = form(stripe_api.calls[-1].request)
    assert phases["phases[1][items][0][price]"] == "price_starter"
    assert phases["phases[0][items][0][price]"] == "price_starter"
    assert phases["end_behavior"] == "release"


def test_cancel_at_period_end_and_resume(stripe_api, api_client_for, subscribed, tenant, owner):
    canceling = subscription(plan="starter", cancel_at_period_end=True)
    stripe_api.add(responses.POST, f"{API}/v1/subscriptions/sub_strato1", json=canceling)
    client = api_client_for(tenant, owner)

    cancelled = client.post("/api/billing/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "canceling"
    assert cancelled.json()["plan"]["code"] == "starter"
    assert form(stripe_api.calls[-1].request) == {"cancel_at_period_end": "true"}

    stripe_api.replace(
        responses.POST, f"{API}/v1/subscriptions/sub_strato1", json=subscription(plan="starter")
    )
    resumed = client.post("/api/billing/resume")
    assert resumed.json()["state"] == "active"
    assert form(stripe_api.calls[-1].request) == {"cancel_at_period_end": "false"}


BILLING_API = [
    ("get", "/api/billing"),
    ("post", "/api/billing/checkout"),
    ("post", "/api/billing/portal"),
    ("post", "/api/billing/plan/preview"),
    ("post", "/api/billing/plan"),
    ("post", "/api/billing/cancel"),
    ("post", "/api/billing/resume"),
]
BILLING_PAGES = [
    ("get", "/billing/"),
    ("post", "/billing/checkout/"),
    ("post", "/billing/portal/"),
    ("get", "/billing/change/?plan=pro"),
    ("post", "/billing/change/"),
    ("post", "/billing/cancel/"),
    ("post", "/billing/resume/"),
]


@pytest.mark.parametrize(("method", "path"), BILLING_API)
def test_members_get_403_on_every_billing_api_action(
    stripe_api, api_client_for, subscribed, tenant, member, method, path
):
    response = getattr(api_client_for(tenant, member), method)(path, {"plan": "pro"}, format="json")
    assert_problem(response, 403, "permission_denied")
    assert not stripe_api.calls


@pytest.mark.parametrize(("method", "path"), BILLING_PAGES)
def test_members_get_403_on_every_billing_page(
    stripe_api, subscribed, tenant, member, method, path
):
    client = signed_in(tenant, member)
    response = getattr(client, method)(path, {"plan": "pro"} if method == "post" else None)
    assert response.status_code == 403
    assert not stripe_api.calls


def test_admins_see_billing_but_only_owners_change_it(
    stripe_api, api_client_for, subscribed, tenant, admin_user
):
    client = api_client_for(tenant, admin_user)
    assert client.get("/api/billing").status_code == 200
    denied = assert_problem(client.post("/api/billing/cancel"), 403, "permission_denied")
    assert (denied["capability"], denied["required_role"]) == ("billing.manage", "owner")
    browser = signed_in(tenant, admin_user)
    page = browser.get("/billing/").content.decode()
    assert 'data-testid="current-plan"' in page
    assert "/billing/cancel/" not in page
    assert "/billing/change/" not in page
    assert browser.post("/billing/cancel/").status_code == 403
    assert not stripe_api.calls


def test_billing_page_buttons_post_to_the_dashboard_not_to_the_api(
    stripe_api, subscribed, tenant, owner
):
    page = signed_in(tenant, owner).get("/billing/").content.decode()
    assert 'action="/billing/portal/"' in page
    assert 'action="/billing/cancel/"' in page
    assert 'href="/billing/change/?plan=pro"' in page
    assert "/api/billing" not in page


def test_billing_checkout_button_posts_to_the_dashboard(stripe_api, tenant, owner):
    page = signed_in(tenant, owner).get("/billing/").content.decode()
    assert 'action="/billing/checkout/"' in page
    assert "/api/billing" not in page


def test_the_plan_catalogue_is_public(public_client, client):
    response = public_client.get("/api/billing/plans")
    assert response.status_code == 200
    plans = {plan["code"]: plan for plan in response.json()}
    assert list(plans) == ["free", "starter", "pro", "enterprise"]
    assert plans["starter"] == {
        "code": "starter",
        "name": "Starter",
        "monthly_price_usd": 29,
        "seats": 3,
        "repositories": 25,
        "analyses_per_month": 500,
        "leads": 10000,
        "emails_per_month": 10000,
        "api_requests_per_minute": 300,
    }
    assert plans["enterprise"]["seats"] is None
    page = client.get("/pricing/", HTTP_HOST="localhost")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("$99", "Unlimited seats", "14-day trial"):
        assert text in html


def test_without_stripe_keys_the_page_explains_setup_and_nothing_crashes(
    settings, api_client_for, tenant, owner
):
    settings.STRIPE_SECRET_KEY = ""
    client = signed_in(tenant, owner)
    page = client.get("/billing/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stripe is not configured" in html
    assert "STRIPE_SECRET_KEY" in html
    assert "sync_plans_to_stripe" in html
    response = api_client_for(tenant, owner).post(
        "/api/billing/checkout", {"plan": "starter"}, format="json"
    )
    assert_problem(response, 503, "stripe_not_configured")
    redirected = client.post("/billing/checkout/", {"plan": "starter"}, follow=True)
    assert "Stripe is not configured on this server" in redirected.content.decode()


def test_sync_plans_to_stripe_creates_products_and_prices_from_the_catalogue(stripe_api, capsys):
    from djstripe.models import Price

    def product_update(request):
        return (
            404,
            {},
            json.dumps({"error": {"type": "invalid_request_error", "message": "No such product"}}),
        )

    def product_create(request):
        sent = form(request)
        return (
            200,
            {},
            json.dumps(
                stripe_object("product", id=sent["id"], name=sent["name"], default_price=None)
            ),
        )

    def price_create(request):
        sent = form(request)
        plan = sent["metadata[strato_plan]"]
        created = price(plan, price_id=f"price_new_{plan}")
        created["product"] = sent["product"]
        return 200, {}, json.dumps(created)

    import re

    stripe_api.add_callback(
        responses.POST, re.compile(rf"{API}/v1/products/strato_\w+"), callback=product_update
    )
    stripe_api.add_callback(responses.POST, f"{API}/v1/products", callback=product_create)
    stripe_api.add(
        responses.GET,
        re.compile(rf"{API}/v1/prices.*"),
        json={"object": "list", "data": [], "has_more": False, "url": "/v1/prices"},
    )
    stripe_api.add_callback(responses.POST, f"{API}/v1/prices", callback=price_create)
    # dj-stripe's mirror asks which account the key belongs to.
    stripe_api.add(responses.GET, f"{API}/v1/account", json=stripe_object("account"))

    call_command("sync_plans_to_stripe")

    created = [
        form(c.request)
        for c in stripe_api.calls
        if c.request.method == "POST" and c.request.url == f"{API}/v1/prices"
    ]
    assert [(p["lookup_key"], p["unit_amount"]) for p in created] == [
        ("strato_starter_monthly", "2900"),
        ("strato_pro_monthly", "9900"),
        ("strato_enterprise_monthly", "29900"),
    ]
    assert all(p["recurring[interval]"] == "month" for p in created)
    assert set(Price.objects.values_list("id", flat=True)) == {
        "price_new_starter",
        "price_new_pro",
        "price_new_enterprise",
    }
    assert "3 paid plans are in Stripe." in capsys.readouterr().out


def test_welcome_email_on_signup(public_client, send_emails):
    with send_emails(execute=True):
        response = register_and_confirm(
            public_client,
            email="grace@example.com",
            password="Compilers-Are-Fun-1952",
            organisation_name="Hopper Labs",
        )
    assert response.status_code == 201, response.content
    (welcome,) = [m for m in mail.outbox if m.extra_headers.get("X-Strato-Email") == "welcome"]
    assert welcome.to == ["grace@example.com"]
    assert welcome.subject == "Welcome to Strato, Hopper Labs"
    assert "14-day free trial" in welcome.body
    assert welcome.alternatives[0][1] == "text/html"


def test_trial_state_on_the_billing_page(tenant, owner):
    BillingAccountFactory(tenant=tenant, stripe_customer_id=CUSTOMER_ID)
    billing_subscription_apply(
        subscription=subscription(
            plan="pro", status="trialing", trial_end=int(time.time()) + 10 * 86400
        )
    )
    html = signed_in(tenant, owner).get("/billing/").content.decode()
    assert "Pro plan" in html
    assert "Trial until" in html


def test_billing_endpoints_are_documented_with_their_errors(tmp_path):
    import yaml

    out = tmp_path / "schema.yaml"
    call_command("spectacular", urlconf="strato.urls_tenant_api", file=str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    checkout = paths["/api/billing/checkout"]["post"]
    assert {"201", "400", "401", "403", "409", "502", "503"} <= set(checkout["responses"])
    for path in (
        "/api/billing",
        "/api/billing/plans",
        "/api/billing/portal",
        "/api/billing/plan/preview",
        "/api/billing/plan",
        "/api/billing/cancel",
        "/api/billing/resume",
    ):
        assert path in paths, path
    assert "403" in paths["/api/billing/cancel"]["post"]["responses"]
