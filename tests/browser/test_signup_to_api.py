import pytest

from apps.accounts.models import ApiKey, Membership
from tests.accounts.support import signup_confirm_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_signup_dashboard_api_key_and_api_call(page, live_urls, tmp_path):
    public = live_urls["public"]
    page.goto(f"{public}/signup/")
    page.fill("#id_full_name", "Grace Hopper")
    page.fill("#id_email", "grace@example.com")
    page.fill("#id_password", "Compilers-Are-Fun-1952")
    page.fill("#id_organisation_name", "Hopper Labs")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Check your email"

    # The emailed link (read from the mail backend) shows what it creates; its button creates it.
    page.goto(signup_confirm_link("grace@example.com"))
    assert page.locator("h1").inner_text() == "Create Hopper Labs"
    page.click("button[type=submit]")

    # The handoff link signs the new owner in on the organisation's own host.
    page.wait_for_url(f"http://hopper-labs.localhost:{live_urls['port']}/")
    assert page.locator("h1").inner_text() == "Hopper Labs"
    assert "Welcome to Hopper Labs." in page.locator(".messages").inner_text()
    membership = Membership.objects.get(user__email="grace@example.com")
    assert membership.role == "owner"
    assert membership.tenant.slug == "hopper-labs"

    page.click("text=Settings")
    page.click("nav.tabs >> text=API keys")
    page.fill("#id_name", "CRM sync")
    page.click("text=Create key")
    key = page.locator("[data-testid=new-api-key]").inner_text().strip()
    assert ApiKey.objects.get(name="CRM sync").prefix == key.split(".")[0]
    page.screenshot(path=str(tmp_path / "api-keys.png"), full_page=True)
    assert "CRM sync" in page.locator("table").inner_text()

    # The browser itself calls the API with the key (same origin as the dashboard page).
    call_api = """async ([url, key]) => {
        const response = await fetch(url, {headers: {Authorization: `Api-Key ${key}`},
                                           credentials: "omit"});
        return {status: response.status, type: response.headers.get("content-type"),
                body: await response.json()};
    }"""
    profile = page.evaluate(call_api, ["/api/auth/profile", key])
    assert profile["status"] == 200
    assert profile["body"]["email"] == "grace@example.com"
    assert profile["body"]["role"] == "owner"

    wrong_key = page.evaluate(call_api, ["/api/auth/profile", key[:-1] + "x"])
    assert wrong_key["status"] == 401
    assert wrong_key["type"] == "application/problem+json"
    assert wrong_key["body"]["code"] == "api_key_invalid"
