"""The dashboard's campaign wizard, step by step over HTTP: audience → template → schedule →
review. The draft is saved after step 1; each step validates its own fields."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client

from apps.campaigns import services
from apps.campaigns.models import Campaign
from apps.tenants.models import Tenant
from tests.campaigns.factories import LeadFactory, create_leads
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(shop, admin_user) -> Client:
    """An admin's browser: the wizard ends in scheduling or sending, which needs `campaign.send`
    (what a member sees there is in tests/campaigns/test_roles.py)."""
    return signed_in(shop, admin_user)


def _step(campaign: Campaign, step: str) -> str:
    return f"/campaigns/{campaign.public_id}/edit/{step}/"


def _page(response) -> str:
    return response.content.decode()


def _draft(shop) -> Campaign:
    connection.set_tenant(shop)
    return Campaign.objects.get()


def test_audience_step_validates_then_saves_the_draft(browser, shop):
    lead_list = services.list_create(name="Django shops")
    services.list_leads_add(lead_list=lead_list, leads=create_leads(2))

    page = _page(browser.get("/campaigns/new/"))
    assert 'data-step="audience"' in page
    assert "List: Django shops (2 leads)" in page

    blank = browser.post("/campaigns/new/", {"name": "  ", "audience": "all"})
    assert blank.status_code == 400
    assert "Enter a name." in _page(blank)
    unknown = browser.post(
        "/campaigns/new/", {"name": "Launch", "audience": f"list:{uuid.uuid4()}"}
    )
    assert unknown.status_code == 400
    assert "Select a valid choice." in _page(unknown)
    connection.set_tenant(shop)
    assert not Campaign.objects.exists()

    saved = browser.post(
        "/campaigns/new/", {"name": "Launch", "audience": f"list:{lead_list.public_id}"}
    )
    campaign = _draft(shop)
    assert saved.status_code == 302
    assert saved["Location"] == _step(campaign, "template")
    assert (campaign.name, campaign.status, campaign.lead_list_id) == (
        "Launch",
        "draft",
        lead_list.pk,
    )
    # Reloading step 1 shows what was saved.
    again = _page(browser.get(_step(campaign, "audience")))
    assert 'value="Launch"' in again
    assert f'value="list:{lead_list.public_id}" checked' in again


def test_template_step_needs_a_template_and_a_valid_sender(browser, shop, template):
    campaign = services.campaign_create(name="Launch")
    url = _step(campaign, "template")

    missing = browser.post(url, {"template": "", "from_email": "news@acme.example"})
    assert missing.status_code == 400
    assert "Choose a template." in _page(missing)
    bad_sender = browser.post(
        url, {"template": str(template.public_id), "from_email": "Acme news at acme"}
    )
    assert bad_sender.status_code == 400
    assert "Enter a sender address like ada@example.com" in _page(bad_sender)
    campaign.refresh_from_db()
    assert (campaign.template_id, campaign.from_email) == (None, "")

    # Back with invalid input goes back without saving it, and says so.
    back = browser.post(url, {"template": "", "from_email": "x", "nav": "back"}, follow=True)
    assert back.redirect_chain[-1][0] == _step(campaign, "audience")
    assert "Not saved: Choose a template." in _page(back)

    saved = browser.post(
        url, {"template": str(template.public_id), "from_email": "Acme <news@acme.example>"}
    )
    assert saved["Location"] == _step(campaign, "schedule")
    campaign.refresh_from_db()
    assert (campaign.template_id, campaign.from_email) == (template.pk, "Acme <news@acme.example>")
    page = _page(browser.get(url))
    assert f'value="{template.public_id}" selected' in page
    assert 'value="Acme &lt;news@acme.example&gt;"' in page


def test_back_saves_a_valid_step(browser, shop, template):
    campaign = services.campaign_create(name="Launch")
    response = browser.post(
        _step(campaign, "template"),
        {"template": str(template.public_id), "from_email": "", "nav": "back"},
    )
    assert response["Location"] == _step(campaign, "audience")
    campaign.refresh_from_db()
    assert campaign.template_id == template.pk


def test_schedule_step_reads_the_organisations_clock_and_refuses_the_past(browser, shop):
    Tenant.objects.filter(pk=shop.pk).update(timezone="Europe/Paris")
    cache.clear()  # the tenant host lookup is cached
    campaign = services.campaign_create(name="Launch")
    url = _step(campaign, "schedule")

    empty = browser.post(url, {"when": "later", "send_at": ""})
    assert (empty.status_code, "Enter a date and time." in _page(empty)) == (400, True)
    past = browser.post(url, {"when": "later", "send_at": "2001-01-01T10:00"})
    assert (past.status_code, "The time is in the past." in _page(past)) == (400, True)

    later = browser.post(url, {"when": "later", "send_at": "2099-07-01T10:00"})
    assert later["Location"] == _step(campaign, "review")
    campaign.refresh_from_db()
    assert campaign.send_at == datetime(2099, 7, 1, 8, 0, tzinfo=UTC)  # 10:00 in Paris (CEST)
    assert campaign.status == "draft"
    page = _page(browser.get(url))
    assert 'value="2099-07-01T10:00"' in page
    assert 'value="later" checked' in page

    browser.post(url, {"when": "now", "send_at": "2099-07-01T10:00"})
    campaign.refresh_from_db()
    assert campaign.send_at is None


def test_review_shows_recipients_and_content_check_then_test_sends_and_schedules(
    browser, shop, template
):
    leads = create_leads(3)
    services.suppression_add(email=leads[0].email, reason="unsubscribed")
    campaign = services.campaign_create(
        name="Launch", template=template, from_email="news@acme.example"
    )
    services.campaign_draft_send_at(
        campaign=campaign, tenant=shop, send_at=datetime(2099, 1, 1, 10, 0, tzinfo=UTC)
    )
    url = _step(campaign, "review")

    page = _page(browser.get(url))
    assert '<dd data-testid="recipient-count">2</dd>' in page
    assert "Content check: 1.0 / 5.0 (ok)" in page
    assert "<li>No plain-text part (+1)</li>" in page
    assert "Schedule for 2099-01-01T10:00" in page

    tested = browser.post(url, {"action": "test-send", "emails": "me@acme.example"}, follow=True)
    assert tested.redirect_chain[-1][0] == url
    assert "Test sent to 1 address." in _page(tested)
    assert mail.outbox[-1].subject == "[Test] Hello Ada"
    assert mail.outbox[-1].to == ["me@acme.example"]

    scheduled = browser.post(url, {"action": "schedule"})
    assert scheduled["Location"] == f"/campaigns/{campaign.public_id}/"
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    assert campaign.send_at == datetime(2099, 1, 1, 10, tzinfo=UTC)
    # No longer a draft: the wizard sends you to the report.
    report = f"/campaigns/{campaign.public_id}/"
    assert browser.get(_step(campaign, "template"))["Location"] == report


def test_review_send_now_and_its_refusals(browser, shop, template):
    campaign = services.campaign_create(name="Launch", template=template)
    url = _step(campaign, "review")

    empty = browser.post(url, {"action": "send-now"}, follow=True)
    assert "The audience is empty" in _page(empty)
    campaign.refresh_from_db()
    assert campaign.status == "draft"

    create_leads(2)
    sent = browser.post(url, {"action": "send-now"}, follow=True)
    assert sent.redirect_chain[-1][0] == f"/campaigns/{campaign.public_id}/"
    assert "Sending started." in _page(sent)
    campaign.refresh_from_db()
    assert campaign.status == "sending"


def test_a_draft_whose_list_was_deleted_must_choose_again(browser, shop, template):
    lead_list = services.list_create(name="Old list")
    campaign = services.campaign_create(name="Launch", template=template, lead_list=lead_list)
    services.list_delete(lead_list=lead_list)
    LeadFactory(email="a@example.com")

    audience = _page(browser.get(_step(campaign, "audience")))
    assert "list &quot;Old list&quot; (deleted)" in audience
    assert " checked" not in audience  # no choice is pre-selected
    review = _page(browser.post(_step(campaign, "review"), {"action": "send-now"}, follow=True))
    assert "The audience of this campaign was deleted" in review

    browser.post(_step(campaign, "audience"), {"name": "Launch", "audience": "all"})
    campaign.refresh_from_db()
    assert campaign.audience_removed == ""


def test_unknown_step_or_campaign_is_404(browser, shop):
    campaign = services.campaign_create(name="Launch")
    assert browser.get(_step(campaign, "payment")).status_code == 404
    assert browser.get(f"/campaigns/{uuid.uuid4()}/edit/audience/").status_code == 404
