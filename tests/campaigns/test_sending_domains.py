"""Sending domains: a tenant sends only as a domain it verified through Resend.

Resend is stubbed at the HTTP boundary (`responses`) with the shapes its domains API answers
(https://resend.com/docs/api-reference/domains); sending goes through the stub Resend server
(`stub_resend`) or the locmem backend. The `shop` fixture has `acme.example` verified.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import responses
from django.core import mail
from django.db import connection
from django.utils import timezone

from apps.campaigns import services, tasks
from apps.campaigns.domain_claims.models import SendingDomainClaim
from apps.campaigns.models import Campaign, Message, SendingDomain
from apps.campaigns.services.lifecycle import _snapshot
from apps.core.errors import ValidationFailed
from tests.accounts.factories import add_member
from tests.campaigns.factories import create_leads
from tests.campaigns.support import RESEND_ID, resend_domain, verified_sending_domain
from tests.helpers import assert_problem, signed_in

RESEND = "https://api.resend.test"


@pytest.fixture
def resend_api(settings):
    """Resend's domains API stubbed at the HTTP layer; any call not registered fails the test."""
    settings.RESEND_API_URL = RESEND
    settings.ANYMAIL = {**settings.ANYMAIL, "RESEND_API_KEY": "re_test_key"}
    settings.RESEND_RATE_PER_SECOND = 1000.0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        yield stub


def _calls(stub) -> list[tuple[str, str]]:
    return [(c.request.method, c.request.url.removeprefix(RESEND)) for c in stub.calls]


def _add_domain(stub, api, name: str = "mail.shop.example", **kwargs):
    stub.add(responses.POST, f"{RESEND}/domains", json=resend_domain(name, **kwargs), status=200)
    return api.post("/api/sending-domains", {"name": name}, format="json")


# --- Adding a domain ------------------------------------------------------------------------


def test_adding_a_domain_registers_it_with_resend_and_answers_its_dns_records(
    shop, api, resend_api
):
    response = _add_domain(resend_api, api, "mail.shop.example")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "mail.shop.example"
    assert body["status"] == "not_started"
    assert [(r["record"], r["type"], r["name"]) for r in body["records"]] == [
        ("SPF", "MX", "send"),
        ("SPF", "TXT", "send"),
        ("DKIM", "TXT", "resend._domainkey"),
    ]
    assert body["records"][0]["priority"] == 10
    call = resend_api.calls[0].request
    assert json.loads(call.body) == {"name": "mail.shop.example"}
    assert call.headers["Authorization"] == "Bearer re_test_key"
    domain = SendingDomain.objects.get(public_id=body["id"])
    assert (domain.resend_id, domain.region) == (RESEND_ID, "us-east-1")
    assert SendingDomainClaim.objects.get(name="mail.shop.example").tenant_id == shop.pk
    assert api.get(f"/api/sending-domains/{body['id']}").json()["records"] == body["records"]
    listed = api.get("/api/sending-domains").json()["results"]
    assert {d["name"] for d in listed} == {"mail.shop.example", "acme.example"}


def test_a_domain_name_is_stored_lowercase_in_idna_form(shop, resend_api):
    resend_api.add(
        responses.POST, f"{RESEND}/domains", json=resend_domain("mail.xn--bcher-kva.example")
    )

    domain = services.sending_domain_create(name=" Mail.Bücher.Example. ", tenant=shop)

    assert domain.name == "mail.xn--bcher-kva.example"
    assert json.loads(resend_api.calls[0].request.body) == {"name": "mail.xn--bcher-kva.example"}


@pytest.mark.parametrize(
    "name",
    [
        "strato.localhost",
        "news.strato.localhost",
        "acme.strato.app",  # a tenant host name
        "gmail.com",
        "Outlook.com",
    ],
)
def test_the_platform_domain_its_subdomains_and_public_mailboxes_are_reserved(
    shop, api, resend_api, settings, name
):
    settings.PLATFORM_SENDING_DOMAIN = "strato.localhost"
    settings.STRATO_BASE_DOMAIN = "strato.app"

    body = assert_problem(
        api.post("/api/sending-domains", {"name": name}, format="json"),
        400,
        "sending_domain_reserved",
    )

    assert "name" in body["errors"]
    assert len(resend_api.calls) == 0
    assert not SendingDomainClaim.objects.filter(name=name.lower()).exists()


def test_the_platform_domain_defaults_to_the_default_from_address(shop, resend_api, settings):
    settings.PLATFORM_SENDING_DOMAIN = ""
    settings.DEFAULT_FROM_EMAIL = "Strato <hello@mail.strato.example>"

    with pytest.raises(ValidationFailed) as refused:
        services.sending_domain_create(name="mail.strato.example", tenant=shop)

    assert refused.value.code == "sending_domain_reserved"


MALFORMED = ["", "0", "ada@acme.example", "https://acme.example/", "localhost", "-bad-.example"]


@pytest.mark.parametrize("name", [*MALFORMED, "a..b", " acme.example", "acme.example."])
def test_a_malformed_domain_is_refused_before_resend_is_called(shop, api, resend_api, name):
    """The API takes what its documented pattern allows, and nothing else."""
    assert_problem(
        api.post("/api/sending-domains", {"name": name or " "}, format="json"),
        400,
        "validation_error",
    )
    assert len(resend_api.calls) == 0


@pytest.mark.parametrize("name", MALFORMED)
def test_the_service_refuses_a_malformed_domain_too(shop, resend_api, name):
    with pytest.raises(ValidationFailed) as refused:
        services.sending_domain_create(name=name, tenant=shop)

    assert refused.value.code == "sending_domain_invalid"
    assert len(resend_api.calls) == 0


def test_the_api_documents_the_domain_name_pattern(api):
    schema = api.get("/api/schema/?format=json").json()
    name = schema["components"]["schemas"]["SendingDomainInputRequest"]["properties"]["name"]

    assert re.fullmatch(name["pattern"], "mail.acme.example")
    assert not re.fullmatch(name["pattern"], "0")


def test_a_domain_belongs_to_one_tenant_only(
    shop, api, resend_api, other_tenant, other_owner, api_client_for
):
    assert _add_domain(resend_api, api, "mail.shop.example").status_code == 201
    assert_problem(
        api.post("/api/sending-domains", {"name": "MAIL.shop.example"}, format="json"),
        409,
        "sending_domain_exists",
    )

    other = api_client_for(other_tenant, other_owner)
    body = assert_problem(
        other.post("/api/sending-domains", {"name": "mail.shop.example"}, format="json"),
        409,
        "sending_domain_taken",
    )

    assert "another organisation" in body["detail"]
    assert _calls(resend_api) == [("POST", "/domains")]  # the refused ones never reached Resend
    connection.set_tenant(other_tenant)
    assert not SendingDomain.objects.exists()


def test_when_resend_refuses_the_domain_nothing_is_kept(shop, api, resend_api):
    resend_api.add(
        responses.POST,
        f"{RESEND}/domains",
        status=422,
        json={"statusCode": 422, "name": "validation_error", "message": "Invalid domain name."},
    )

    body = assert_problem(
        api.post("/api/sending-domains", {"name": "mail.shop.example"}, format="json"),
        400,
        "sending_domain_rejected",
    )

    assert body["errors"]["name"] == ["Resend refused the domain: Invalid domain name."]
    assert not SendingDomainClaim.objects.filter(name="mail.shop.example").exists()
    assert not SendingDomain.objects.filter(name="mail.shop.example").exists()


def test_when_resend_is_down_the_claim_is_released_and_the_answer_is_503(
    shop, api, resend_api, monkeypatch
):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    resend_api.add(responses.POST, f"{RESEND}/domains", status=503, json={"message": "down"})

    assert_problem(
        api.post("/api/sending-domains", {"name": "mail.shop.example"}, format="json"),
        503,
        "resend_unavailable",
    )

    assert len(resend_api.calls) == 3  # retried, then gave up
    assert not SendingDomainClaim.objects.filter(name="mail.shop.example").exists()


def test_without_a_resend_key_domains_cannot_be_added(shop, api, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "RESEND_API_KEY": ""}

    assert_problem(
        api.post("/api/sending-domains", {"name": "mail.shop.example"}, format="json"),
        503,
        "resend_not_configured",
    )
    assert not SendingDomainClaim.objects.filter(name="mail.shop.example").exists()


# --- Verifying, refreshing, removing --------------------------------------------------------


def test_verify_asks_resend_to_check_then_reports_its_status(shop, api, resend_api):
    domain_id = _add_domain(resend_api, api).json()["id"]
    resend_api.add(
        responses.POST,
        f"{RESEND}/domains/{RESEND_ID}/verify",
        json={"object": "domain", "id": RESEND_ID},
    )
    resend_api.add(
        responses.GET,
        f"{RESEND}/domains/{RESEND_ID}",
        json=resend_domain("mail.shop.example", "verified"),
    )

    response = api.post(f"/api/sending-domains/{domain_id}/verify")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "verified"
    assert {r["status"] for r in response.json()["records"]} == {"verified"}
    assert _calls(resend_api)[1:] == [
        ("POST", f"/domains/{RESEND_ID}/verify"),
        ("GET", f"/domains/{RESEND_ID}"),
    ]
    domain = SendingDomain.objects.get(public_id=domain_id)
    assert domain.verified_at is not None
    assert domain.last_checked_at is not None
    campaign = services.campaign_create(name="Hi", from_email="Shop <hi@mail.shop.example>")
    assert campaign.from_email == "Shop <hi@mail.shop.example>"


def test_removing_a_domain_deletes_it_at_resend_and_frees_the_name(
    shop, api, resend_api, other_tenant
):
    domain_id = _add_domain(resend_api, api).json()["id"]
    resend_api.add(
        responses.DELETE,
        f"{RESEND}/domains/{RESEND_ID}",
        json={"object": "domain", "id": RESEND_ID, "deleted": True},
    )

    assert api.delete(f"/api/sending-domains/{domain_id}").status_code == 204

    assert _calls(resend_api)[-1] == ("DELETE", f"/domains/{RESEND_ID}")
    assert not SendingDomain.objects.filter(public_id=domain_id).exists()
    assert not SendingDomainClaim.objects.filter(name="mail.shop.example").exists()
    connection.set_tenant(other_tenant)
    resend_api.add(
        responses.POST, f"{RESEND}/domains", json=resend_domain("mail.shop.example", domain_id="d2")
    )
    taken = services.sending_domain_create(name="mail.shop.example", tenant=other_tenant)
    assert taken.resend_id == "d2"


def test_removing_a_domain_resend_no_longer_knows_still_removes_it(shop, api, resend_api):
    domain_id = _add_domain(resend_api, api).json()["id"]
    resend_api.add(
        responses.DELETE,
        f"{RESEND}/domains/{RESEND_ID}",
        status=404,
        json={"statusCode": 404, "name": "not_found", "message": "Domain not found"},
    )

    assert api.delete(f"/api/sending-domains/{domain_id}").status_code == 204
    assert not SendingDomain.objects.filter(public_id=domain_id).exists()


def test_the_beat_job_refreshes_domains_being_verified_and_leaves_fresh_ones(shop, resend_api):
    resend_api.add(responses.POST, f"{RESEND}/domains", json=resend_domain("mail.shop.example"))
    pending = services.sending_domain_create(name="mail.shop.example", tenant=shop)
    resend_api.add(
        responses.GET,
        f"{RESEND}/domains/{RESEND_ID}",
        json=resend_domain("mail.shop.example", "verified"),
    )

    assert tasks.refresh_sending_domains() == 1

    pending.refresh_from_db()
    assert pending.status == "verified"
    # acme.example (verified, checked just now) was not asked about.
    assert _calls(resend_api) == [("POST", "/domains"), ("GET", f"/domains/{RESEND_ID}")]


# --- Permissions and isolation --------------------------------------------------------------


def test_managing_sending_domains_is_for_admins(shop, tenant, api_client_for, resend_api):
    member = add_member(tenant, "member-domains@example.com", role="member")
    client = api_client_for(tenant, member)
    domain = SendingDomain.objects.get(name="acme.example")

    assert_problem(client.get("/api/sending-domains"), 403, "permission_denied")
    assert_problem(
        client.post("/api/sending-domains", {"name": "mail.shop.example"}, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(
        client.post(f"/api/sending-domains/{domain.public_id}/verify"), 403, "permission_denied"
    )
    assert len(resend_api.calls) == 0


def test_another_tenant_cannot_see_verify_or_remove_a_domain(
    shop, api, resend_api, other_tenant, other_owner, api_client_for
):
    domain_id = _add_domain(resend_api, api).json()["id"]
    other = api_client_for(other_tenant, other_owner)

    assert other.get("/api/sending-domains").json()["results"] == []
    assert_problem(other.get(f"/api/sending-domains/{domain_id}"), 404, "sending_domain_not_found")
    assert_problem(
        other.post(f"/api/sending-domains/{domain_id}/verify"), 404, "sending_domain_not_found"
    )
    assert_problem(
        other.delete(f"/api/sending-domains/{domain_id}"), 404, "sending_domain_not_found"
    )
    assert _calls(resend_api) == [("POST", "/domains")]
    connection.set_tenant(shop)
    assert SendingDomain.objects.filter(public_id=domain_id).exists()


# --- Campaign senders -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "from_email",
    [
        "news@unclaimed.example",
        "Acme <news@mail.acme.example>",  # a subdomain needs its own verification
        "ceo@gmail.com",
    ],
)
def test_a_campaign_cannot_be_saved_with_a_sender_off_its_verified_domains(
    shop, api, template, from_email
):
    body = assert_problem(
        api.post("/api/campaigns", {"name": "Hi", "from_email": from_email}, format="json"),
        400,
        "sending_domain_unverified",
    )
    assert list(body["errors"]) == ["from_email"]
    assert not Campaign.objects.filter(name="Hi").exists()


def test_a_pending_domain_is_not_enough_to_send_as_it(shop, api, resend_api, campaign):
    _add_domain(resend_api, api, "mail.shop.example", status="pending")

    body = assert_problem(
        api.put(
            f"/api/campaigns/{campaign.public_id}",
            {"from_email": "hi@mail.shop.example"},
            format="json",
        ),
        400,
        "sending_domain_unverified",
    )

    assert "mail.shop.example" in body["errors"]["from_email"][0]
    campaign.refresh_from_db()
    assert campaign.from_email == "Acme <news@acme.example>"


def test_another_tenants_verified_domain_is_not_this_tenants(shop, api, other_tenant, template):
    verified_sending_domain(other_tenant, "globex.example")
    connection.set_tenant(shop)

    assert_problem(
        api.post(
            "/api/campaigns", {"name": "Hi", "from_email": "ceo@globex.example"}, format="json"
        ),
        400,
        "sending_domain_unverified",
    )


def test_an_empty_sender_goes_out_from_the_platform_under_the_tenants_name(
    shop, template, settings
):
    settings.DEFAULT_FROM_EMAIL = "Strato <no-reply@strato.localhost>"
    campaign = services.campaign_create(
        name="Plain", template=template, from_email="", reply_to="team@acme.example"
    )

    sender = services.campaign_sender(campaign=campaign, tenant=shop)

    assert sender == services.Sender(
        from_email="Acme Analytics via Strato <no-reply@strato.localhost>",
        reply_to="team@acme.example",
    )


def _send_all(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign.refresh_from_db()
    _snapshot(campaign)
    campaign.save()
    _, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=10)
    for ids in batches:
        assert (
            services.messages_send_batch(campaign_pk=campaign.pk, message_ids=ids, batch_key="k1")
            == "sent"
        )


def test_a_verified_domain_sends_as_the_campaigns_own_sender(shop, campaign, stub_resend):
    create_leads(2)

    _send_all(campaign)

    assert {e["from"] for e in stub_resend.delivered} == {"Acme <news@acme.example>"}
    assert all("reply_to" not in e for e in stub_resend.delivered)


def test_when_the_domain_is_no_longer_verified_the_send_falls_back_to_the_platform_sender(
    shop, campaign, stub_resend, settings
):
    settings.DEFAULT_FROM_EMAIL = "Strato <no-reply@strato.localhost>"
    create_leads(2)
    # Resend reports the DNS records gone after the campaign was saved.
    SendingDomain.objects.filter(name="acme.example").update(status="failed")

    _send_all(campaign)

    assert len(stub_resend.delivered) == 2
    for email in stub_resend.delivered:
        assert email["from"] == "Acme Analytics via Strato <no-reply@strato.localhost>"
        assert email["reply_to"] == ["news@acme.example"]
    assert Message.objects.filter(campaign=campaign, status="sent").count() == 2


def test_a_removed_domain_falls_back_too_and_an_explicit_reply_to_wins(shop, template, settings):
    settings.DEFAULT_FROM_EMAIL = "Strato <no-reply@strato.localhost>"
    campaign = services.campaign_create(
        name="Launch",
        template=template,
        from_email="Acme <news@acme.example>",
        reply_to="support@acme.example",
    )
    SendingDomain.objects.filter(name="acme.example").delete()
    create_leads(1)

    _send_all(campaign)  # EMAIL_BACKEND is locmem in tests

    [sent] = mail.outbox
    assert sent.from_email == "Acme Analytics via Strato <no-reply@strato.localhost>"
    assert sent.reply_to == ["support@acme.example"]


def test_a_test_send_uses_the_same_sender_rule(shop, campaign, settings):
    settings.DEFAULT_FROM_EMAIL = "Strato <no-reply@strato.localhost>"
    SendingDomain.objects.filter(name="acme.example").update(status="temporary_failure")

    services.campaign_test_send(campaign=campaign, tenant=shop, emails=["me@acme.example"])

    [sent] = mail.outbox
    assert sent.from_email == "Acme Analytics via Strato <no-reply@strato.localhost>"
    assert sent.reply_to == ["news@acme.example"]


# --- Dashboard ------------------------------------------------------------------------------


def test_dashboard_adds_a_domain_shows_its_records_and_verifies_it(
    shop, tenant, admin_user, resend_api
):
    connection.set_schema_to_public()
    browser = signed_in(tenant, admin_user)
    resend_api.add(responses.POST, f"{RESEND}/domains", json=resend_domain("mail.shop.example"))

    added = browser.post("/settings/sending-domains/", {"name": "mail.shop.example"}, follow=True)

    assert added.status_code == 200
    page = added.content.decode()
    assert "mail.shop.example" in page
    assert '<code class="copy">feedback-smtp.us-east-1.amazonses.com</code>' in page
    assert '<code class="copy">resend._domainkey</code>' in page
    assert "removes a domain not verified within 14 days" in page
    connection.set_tenant(shop)
    domain = SendingDomain.objects.get(name="mail.shop.example")
    connection.set_schema_to_public()
    resend_api.add(responses.POST, f"{RESEND}/domains/{RESEND_ID}/verify", json={"id": RESEND_ID})
    resend_api.add(
        responses.GET,
        f"{RESEND}/domains/{RESEND_ID}",
        json=resend_domain("mail.shop.example", "pending"),
    )

    verified = browser.post(
        f"/settings/sending-domains/{domain.public_id}/", {"action": "verify"}, follow=True
    )

    assert "Resend is checking mail.shop.example: pending." in verified.content.decode()
    listing = browser.get("/settings/sending-domains/").content.decode()
    assert "mail.shop.example" in listing
    assert "acme.example" in listing


def test_dashboard_shows_why_a_domain_is_refused(shop, tenant, admin_user, resend_api):
    connection.set_schema_to_public()
    browser = signed_in(tenant, admin_user)

    response = browser.post("/settings/sending-domains/", {"name": "gmail.com"})

    assert response.status_code == 400
    assert "gmail.com is a public mailbox provider" in response.content.decode()
    assert len(resend_api.calls) == 0


def test_dashboard_sending_domains_are_for_admins(shop, tenant):
    member = add_member(tenant, "member-domains@example.com", role="member")
    connection.set_schema_to_public()
    browser = signed_in(tenant, member)

    assert browser.get("/settings/sending-domains/").status_code == 403


def test_the_wizard_names_the_domains_a_campaign_may_send_from(shop, tenant, member, campaign):
    connection.set_schema_to_public()
    browser = signed_in(tenant, member)

    page = browser.get(f"/campaigns/{campaign.public_id}/edit/template/").content.decode()

    assert "Send from an address on acme.example;" in page
    refused = browser.post(
        f"/campaigns/{campaign.public_id}/edit/template/",
        {"template": str(campaign.template.public_id), "from_email": "ceo@gmail.com"},
    )
    assert "gmail.com is not a verified sending domain" in refused.content.decode()


def test_a_domain_never_verified_in_time_is_removed_and_its_name_freed(shop, resend_api, settings):
    settings.SENDING_DOMAIN_UNVERIFIED_DAYS = 14
    resend_api.add(responses.POST, f"{RESEND}/domains", json=resend_domain("squat.example"))
    squatted = services.sending_domain_create(name="squat.example", tenant=shop)
    resend_api.add(
        responses.POST,
        f"{RESEND}/domains",
        json=resend_domain("late.example", domain_id="late-id"),
    )
    late = services.sending_domain_create(name="late.example", tenant=shop)
    fifteen_days_ago = timezone.now() - timedelta(days=15)
    SendingDomain.objects.filter(pk__in=[squatted.pk, late.pk]).update(created_at=fifteen_days_ago)
    resend_api.add(
        responses.GET,
        f"{RESEND}/domains/{RESEND_ID}",
        json=resend_domain("squat.example", "failed"),
    )
    resend_api.add(
        responses.DELETE, f"{RESEND}/domains/{RESEND_ID}", json={"id": RESEND_ID, "deleted": True}
    )
    resend_api.add(
        responses.GET,
        f"{RESEND}/domains/late-id",
        json=resend_domain("late.example", "verified", domain_id="late-id"),
    )

    tasks.refresh_sending_domains()

    assert not SendingDomain.objects.filter(name="squat.example").exists()
    assert not SendingDomainClaim.objects.filter(name="squat.example").exists()
    assert SendingDomain.objects.get(name="late.example").status == "verified"
    assert ("DELETE", f"/domains/{RESEND_ID}") in _calls(resend_api)
    assert ("DELETE", "/domains/late-id") not in _calls(resend_api)
