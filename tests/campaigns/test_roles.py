"""Campaign rules that are more than a role: members test-send only to their own address, and
the pages offer members no button that needs `campaign.send` or `lead.export`."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection

from tests.campaigns.factories import create_leads
from tests.helpers import assert_problem, signed_in

pytestmark = pytest.mark.django_db


def test_members_test_send_to_their_own_address_only(campaign, shop, member, api_client_for):
    client = api_client_for(shop, member)
    url = f"/api/campaigns/{campaign.public_id}/test-send"

    own = client.post(url, {"emails": ["Member@acme.test"]}, format="json")
    assert own.json() == {"sent": 1}
    assert [message.to for message in mail.outbox] == [["Member@acme.test"]]

    mail.outbox.clear()
    for emails in (["lead@elsewhere.example"], ["member@acme.test", "lead@elsewhere.example"]):
        denied = assert_problem(
            client.post(url, {"emails": emails}, format="json"), 403, "permission_denied"
        )
        assert (denied["capability"], denied["required_role"]) == (
            "campaign.test_send_any",
            "admin",
        )
    assert mail.outbox == []


def test_admins_test_send_to_any_address(campaign, shop, admin_user, api_client_for):
    response = api_client_for(shop, admin_user).post(
        f"/api/campaigns/{campaign.public_id}/test-send",
        {"emails": ["lead@elsewhere.example", "boss@acme.example"]},
        format="json",
    )
    assert response.json() == {"sent": 2}


def test_a_members_dashboard_test_send_to_another_address_is_refused(campaign, shop, member):
    browser = signed_in(shop, member)
    page = browser.post(
        f"/campaigns/{campaign.public_id}/action/",
        {"action": "test-send", "emails": "lead@elsewhere.example"},
        follow=True,
    ).content.decode()
    assert "needs the admin role" in page
    assert mail.outbox == []

    browser.post(
        f"/campaigns/{campaign.public_id}/action/",
        {"action": "test-send", "emails": "member@acme.test"},
    )
    assert [message.to for message in mail.outbox] == [["member@acme.test"]]


def test_members_cannot_send_a_campaign_from_the_dashboard(campaign, shop, member):
    create_leads(2)
    response = signed_in(shop, member).post(
        f"/campaigns/{campaign.public_id}/action/", {"action": "send-now"}
    )
    assert response.status_code == 403
    assert "capability `campaign.send`" in response.content.decode()
    connection.set_tenant(shop)
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_a_members_pages_offer_no_send_or_export_button(campaign, shop, member, admin_user):
    as_member, as_admin = signed_in(shop, member), signed_in(shop, admin_user)
    report = f"/campaigns/{campaign.public_id}/"
    review = f"/campaigns/{campaign.public_id}/edit/review/"

    member_report = as_member.get(report).content.decode()
    assert 'data-testid="send-now"' not in member_report
    assert 'data-testid="test-send-form"' in member_report
    member_review = as_member.get(review).content.decode()
    assert 'data-testid="send-needs-admin"' in member_review
    assert 'data-testid="send-now"' not in member_review
    assert "/api/leads/export" not in as_member.get("/leads/").content.decode()

    assert 'data-testid="send-now"' in as_admin.get(report).content.decode()
    assert 'data-testid="send-now"' in as_admin.get(review).content.decode()
    assert "/api/leads/export" in as_admin.get("/leads/").content.decode()
