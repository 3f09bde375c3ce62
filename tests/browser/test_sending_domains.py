"""Real Chromium: add a sending domain, read its DNS records, verify it, then use it as a
campaign's sender. Resend's domains API is stubbed at the HTTP layer (the live server runs in
this process)."""

import pytest
import responses
from django_tenants.utils import schema_context

from apps.campaigns.models import Campaign, SendingDomain
from tests.accounts.factories import PASSWORD
from tests.campaigns.factories import EmailTemplateFactory
from tests.campaigns.support import RESEND_ID, resend_domain, wipe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESEND = "https://api.resend.test"


def test_add_read_records_verify_and_send_as_a_domain(page, live_urls, tenant, owner, settings):
    settings.RESEND_API_URL = RESEND
    settings.ANYMAIL = {**settings.ANYMAIL, "RESEND_API_KEY": "re_test_key"}
    settings.RESEND_RATE_PER_SECOND = 1000.0
    wipe(tenant)
    host = f"http://acme.localhost:{live_urls['port']}"

    page.goto(f"{host}/login/")
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{host}/")

    with responses.RequestsMock(assert_all_requests_are_fired=True) as resend:
        resend.add(responses.POST, f"{RESEND}/domains", json=resend_domain("mail.shop.example"))
        page.goto(f"{host}/settings/sending-domains/")
        page.fill("input[name=name]", "Mail.Shop.Example")
        page.click("[data-testid=sending-domain-add] button")
        page.wait_for_selector("[data-testid=dns-records]")
        records = page.inner_text("[data-testid=dns-records]")
        assert "feedback-smtp.us-east-1.amazonses.com" in records
        assert "resend._domainkey" in records
        assert page.inner_text("[data-testid=domain-status]") == "Not started"

        resend.add(responses.POST, f"{RESEND}/domains/{RESEND_ID}/verify", json={"id": RESEND_ID})
        resend.add(
            responses.GET,
            f"{RESEND}/domains/{RESEND_ID}",
            json=resend_domain("mail.shop.example", "verified"),
        )
        page.click("button[value=verify]")
        page.wait_for_selector("text=Resend is checking mail.shop.example: verified.")
        assert page.inner_text("[data-testid=domain-status]") == "Verified"

    # The verified domain is offered in the campaign wizard, and a sender on it is accepted.
    with schema_context(tenant.schema_name):
        EmailTemplateFactory(name="Hello")
    page.goto(f"{host}/campaigns/new/")
    page.fill("input[name=name]", "From our domain")
    page.check("input[name=audience][value=all]")
    page.click("[data-testid=wizard-next]")
    page.wait_for_selector("[data-testid=wizard-step][data-step=template]")
    assert "mail.shop.example" in page.inner_text("[data-testid=sender-domains]")
    page.select_option("select[name=template]", label="Hello")
    page.fill("input[name=from_email]", "Shop <hi@mail.shop.example>")
    page.click("[data-testid=wizard-next]")
    page.wait_for_selector("[data-testid=wizard-step][data-step=schedule]")

    with schema_context(tenant.schema_name):
        assert SendingDomain.objects.get(name="mail.shop.example").status == "verified"
        campaign = Campaign.objects.get(name="From our domain")
    assert campaign.from_email == "Shop <hi@mail.shop.example>"
