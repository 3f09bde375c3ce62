"""The billing page in real Chromium: usage bars, and the 402 upgrade prompt after a limit."""

import pytest

from apps.billing.services import entitlement_consume
from tests.accounts.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_usage_bars_and_the_upgrade_prompt_at_a_limit(page, live_urls, tenant, owner, tmp_path):
    entitlement_consume(tenant=tenant, resource="emails", amount=250)  # half of Free's 500
    base = f"http://acme.localhost:{live_urls['port']}"
    page.goto(f"{base}/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.click("nav.sidenav >> text=Billing")
    page.wait_for_url(f"{base}/billing/")
    assert "Free plan" in page.locator("[data-testid=current-plan] h2").inner_text()
    emails = page.locator(".usage-line[data-resource=emails]")
    assert "250 / 500" in emails.locator(".figures").inner_text()
    assert emails.locator("[role=progressbar]").get_attribute("aria-valuenow") == "50"
    bar = emails.locator(".bar > span").evaluate(
        "el => el.getBoundingClientRect().width / el.parentElement.getBoundingClientRect().width"
    )
    assert 0.49 < bar < 0.51
    seats = page.locator(".usage-line[data-resource=seats]")
    assert "1 / 1" in seats.locator(".figures").inner_text()
    assert "at-limit" in seats.get_attribute("class")
    assert page.locator("[data-testid=stripe-setup]").is_visible()  # no keys on this server
    page.screenshot(path=str(tmp_path / "billing.png"), full_page=True)

    # The one Free seat is taken: inviting someone answers 402 with the upgrade prompt.
    page.goto(f"{base}/settings/members/")
    page.fill("#id_email", "colleague@example.com")
    with page.expect_response(
        lambda r: r.url.endswith("/settings/members/") and r.request.method == "POST"
    ) as answer:
        page.click("text=Send invitation")
    assert answer.value.status == 402
    prompt = page.locator("[data-testid=limit-reached]")
    assert "Your Free plan allows 1 seat; you have used 1." in prompt.inner_text()
    assert page.locator("[data-testid=limit-figures]").inner_text() == "1 / 1"
    page.screenshot(path=str(tmp_path / "limit.png"), full_page=True)
    page.click("[data-testid=upgrade-button]")
    page.wait_for_url(f"{base}/billing/")
    assert page.locator(".plan[data-plan=starter]").is_visible()
