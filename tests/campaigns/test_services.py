"""Campaign rules through the services: state machine, pre-send checks, leads, templates."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.campaigns import services
from apps.campaigns.models import Campaign, Lead, Message, Suppression
from apps.campaigns.services.lifecycle import _snapshot
from apps.core.errors import Conflict, NotFound, ValidationFailed
from apps.tenants.models import Tenant
from tests.campaigns.factories import MessageFactory, create_leads
from tests.repos.factories import AnalysisFactory

pytestmark = pytest.mark.django_db


def test_lead_email_is_unique_case_insensitively(shop):
    services.lead_create(tenant=shop, email="Ada@Example.com", tags=["Python", " django "])
    with pytest.raises(Conflict) as info:
        services.lead_create(tenant=shop, email="ada@example.COM")
    assert info.value.code == "lead_exists"
    assert Lead.objects.get().tags == ["django", "python"]


def test_template_text_part_is_generated_and_html_sanitised(shop):
    template = services.template_create(
        name="T", subject="Hi", html='<p onclick="x">Hello <a href="https://a.example">a</a></p>'
    )
    assert template.html == '<p>Hello <a href="https://a.example">a</a></p>'
    assert template.text == "Hello a (https://a.example)"
    assert template.text_generated is True


def test_unknown_variable_refused_at_save(shop):
    with pytest.raises(ValidationFailed) as info:
        services.template_create(name="T", subject="Hi {{ lead.nickname }}", html="<p>x</p>")
    assert info.value.code == "template_invalid"
    assert "lead.nickname" in info.value.errors["subject"][0]


def test_preview_personalises_and_carries_the_footer(shop, template):
    lead = services.lead_create(
        tenant=shop, email="grace@example.com", first_name="Grace", company="Navy"
    )
    preview = services.template_preview(tenant=shop, template=template, lead=lead)
    assert preview["subject"] == "Hello Grace"
    assert "<p>Hi Grace from Navy.</p>" in preview["html"]
    assert "1 Analytical Way<br>London N1" in preview["html"]
    assert "Unsubscribe: http" in preview["text"]
    assert preview["text"].startswith(
        "Hi Grace from Navy.\nSee the offer (https://acme.example/offer?a=1&b=2)"
    )


def test_illegal_transitions_are_refused_with_a_code(shop, campaign):
    with pytest.raises(Conflict) as info:
        services.campaign_pause(campaign=campaign)
    assert info.value.code == "campaign_invalid_transition"
    assert info.value.detail == "Cannot pause a campaign that is draft."
    Campaign.objects.filter(pk=campaign.pk).update(status="sent")
    for action in (
        lambda c: services.campaign_send_now(campaign=c, tenant=shop),
        lambda c: services.campaign_resume(campaign=c, tenant=shop),
        lambda c: services.campaign_cancel(campaign=c),
    ):
        with pytest.raises(Conflict) as info:
            action(campaign)
        assert info.value.code == "campaign_invalid_transition"


def test_postal_address_is_required_before_sending(shop, campaign):
    create_leads(1)
    Tenant.objects.filter(pk=shop.pk).update(postal_address="")
    shop.refresh_from_db()
    with pytest.raises(ValidationFailed) as info:
        services.campaign_send_now(campaign=campaign, tenant=shop)
    assert info.value.code == "postal_address_required"
    assert Campaign.objects.get(pk=campaign.pk).status == "draft"


def test_empty_audience_and_past_schedule_are_refused(shop, campaign):
    with pytest.raises(ValidationFailed) as info:
        services.campaign_send_now(campaign=campaign, tenant=shop)
    assert info.value.code == "campaign_audience_empty"
    create_leads(1)
    services.suppression_add(email="LEAD0@example.com", reason="manual")
    with pytest.raises(ValidationFailed) as info:
        services.campaign_send_now(campaign=campaign, tenant=shop)
    assert info.value.code == "campaign_audience_empty"  # the only lead is suppressed
    with pytest.raises(ValidationFailed) as info:
        services.campaign_schedule(
            campaign=campaign, tenant=shop, send_at=timezone.now() - timedelta(minutes=1)
        )
    assert info.value.code == "schedule_in_past"


def test_schedule_reads_naive_times_in_the_tenant_time_zone(shop, campaign):
    create_leads(1)
    Tenant.objects.filter(pk=shop.pk).update(timezone="Europe/Paris")
    shop.refresh_from_db()
    year = timezone.now().year + 1
    scheduled = services.campaign_schedule(
        campaign=campaign, tenant=shop, send_at=datetime(year, 7, 1, 9, 0)
    )
    assert scheduled.status == "scheduled"
    assert scheduled.send_at.isoformat() == f"{year}-07-01T07:00:00+00:00"


def test_spam_check_blocks_with_reasons(shop):
    create_leads(1)
    spammy = services.template_create(
        name="Spam",
        subject="FREE MONEY NOW!!!",
        html='<p>Act now, 100% free, click here: <a href="https://bit.ly/x">win</a></p>',
    )
    campaign = services.campaign_create(name="Spam", template=spammy)
    with pytest.raises(ValidationFailed) as info:
        services.campaign_schedule(
            campaign=campaign, tenant=shop, send_at=timezone.now() + timedelta(hours=1)
        )
    assert info.value.code == "campaign_spam_blocked"
    reasons = info.value.errors["content"]
    assert "Subject is mostly capital letters (+2)" in reasons
    assert "URL shorteners: bit.ly (+3)" in reasons
    assert any(r.startswith("Spammy phrases: 100% free, act now, click here") for r in reasons)


def test_editing_while_sending_and_deleting_while_sending_are_refused(shop, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    with pytest.raises(Conflict) as info:
        services.campaign_update(campaign=campaign, name="Other")
    assert info.value.code == "campaign_not_editable"
    with pytest.raises(Conflict) as info:
        services.campaign_delete(campaign=campaign)
    assert info.value.code == "campaign_sending"


def test_soft_delete_restores_within_30_days_only(shop, campaign):
    services.campaign_delete(campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).deleted_at is not None
    services.campaign_restore(campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).deleted_at is None
    services.campaign_delete(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    with pytest.raises(NotFound) as info:
        services.campaign_restore(campaign=campaign)
    assert info.value.code == "campaign_restore_expired"
    assert services.campaigns_purge_deleted() == 1


def test_test_send_goes_to_at_most_five(shop, campaign):
    with pytest.raises(ValidationFailed) as info:
        services.campaign_test_send(
            campaign=campaign, tenant=shop, emails=[f"t{i}@example.com" for i in range(6)]
        )
    assert info.value.code == "test_send_limit"
    assert (
        services.campaign_test_send(campaign=campaign, tenant=shop, emails=["me@acme.example"]) == 1
    )
    assert mail.outbox[-1].subject == "[Test] Hello Ada"
    assert mail.outbox[-1].to == ["me@acme.example"]


def test_duplicate_makes_a_draft_copy(shop, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status="sent")
    campaign.refresh_from_db()
    copy = services.campaign_duplicate(campaign=campaign)
    assert (copy.name, copy.status, copy.template_id) == (
        "Launch (copy)",
        "draft",
        campaign.template_id,
    )


def test_expansion_is_keyset_and_skips_suppressed(shop, campaign, settings):
    settings.CAMPAIGN_BATCH_SIZE = 2
    create_leads(5)
    services.suppression_add(email="lead3@EXAMPLE.com", reason="manual")
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    state, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=3)
    assert state == "more"
    assert [len(b) for b in batches] == [2, 1]
    state, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=3)
    assert (state, [len(b) for b in batches]) == ("more", [1])
    assert services.campaign_expand_step(campaign_pk=campaign.pk, chunk=3) == ("done", [])
    assert sorted(Message.objects.values_list("email", flat=True)) == [
        "lead0@example.com",
        "lead1@example.com",
        "lead2@example.com",
        "lead4@example.com",
    ]
    # Running the same expansion again from an old cursor creates nothing twice.
    Campaign.objects.filter(pk=campaign.pk).update(expanded_through=0, expansion_done=False)
    services.campaign_expand_step(campaign_pk=campaign.pk, chunk=10)
    assert Message.objects.count() == 4


def test_sending_with_the_local_backend_is_exactly_once(shop, campaign):
    create_leads(3)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign.refresh_from_db()
    _snapshot(campaign)
    campaign.save()
    _, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=10)
    ids = batches[0]
    assert (
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=ids, batch_key="k1")
        == "sent"
    )
    assert (
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=ids, batch_key="k2")
        == "skipped"
    )
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lead0@example.com",
        "lead1@example.com",
        "lead2@example.com",
    ]
    sent = mail.outbox[0]
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent.extra_headers["List-Unsubscribe"].startswith("<http://localhost/u/")
    assert "1 Analytical Way" in sent.body
    assert Message.objects.filter(status="sent").count() == 3


def test_allowance_exhausted_keeps_messages_queued(shop, campaign):
    from apps.billing.plans import PLANS
    from apps.billing.selectors import plan_for_tenant
    from apps.billing.services import entitlement_consume

    limit = plan_for_tenant(tenant=shop).emails_per_month
    assert limit is not None, PLANS
    entitlement_consume(tenant=shop, resource="emails", amount=limit - 1)
    create_leads(3)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign.refresh_from_db()
    _snapshot(campaign)
    campaign.save()
    _, batches = services.campaign_expand_step(campaign_pk=campaign.pk, chunk=10)
    with pytest.raises(services.AllowanceExhausted):
        services.messages_send_batch(campaign_pk=campaign.pk, message_ids=batches[0], batch_key="k")
    assert Message.objects.filter(status="queued").count() == 3
    assert mail.outbox == []
    assert "monthly email allowance" in Campaign.objects.get(pk=campaign.pk).status_reason


def test_bounce_rate_pauses_sending(shop, campaign, settings):
    settings.CAMPAIGN_HEALTH_MIN_SENT = 10
    leads = create_leads(20)
    now = timezone.now()
    for i, lead in enumerate(leads):
        MessageFactory(campaign=campaign, lead=lead, sent_at=now, bounced_at=now if i < 2 else None)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    assert services.tenant_sending_health_check() == 1
    paused = Campaign.objects.get(pk=campaign.pk)
    assert paused.status == "paused"
    assert paused.status_reason.startswith(
        "Sending paused automatically: the bounce rate over the last 30 days is 10.0% (limit 5.0%)"
    )
    with pytest.raises(Conflict) as info:
        services.campaign_resume(campaign=paused, tenant=shop)
    assert info.value.code == "tenant_sending_paused"


def test_erasure_removes_the_lead_and_scrubs_messages(shop, campaign):
    lead = services.lead_create(tenant=shop, email="gone@example.com")
    MessageFactory(campaign=campaign, lead=lead)
    services.lead_erase(lead=lead)
    assert not Lead.objects.filter(email="gone@example.com").exists()
    assert list(Message.objects.values_list("email", "lead")) == [("erased@invalid", None)]
    assert not Suppression.objects.exists()


def test_segment_by_detected_technology(shop):
    from apps.campaigns import selectors

    AnalysisFactory(
        repository__owner="GraceH",
        repository__name="compiler",
        report={"technologies": [{"slug": "django", "version": "5.2"}]},
    )
    AnalysisFactory(
        repository__owner="ada",
        repository__name="engine",
        report={"technologies": [{"slug": "rails"}]},
    )
    AnalysisFactory(
        repository__owner="bob",
        repository__name="x",
        status="failed",
        report={"technologies": [{"slug": "django"}]},
    )
    for email, login in (
        ("grace@example.com", "graceh"),
        ("ada@example.com", "ada"),
        ("bob@example.com", "bob"),
        ("nobody@example.com", ""),
    ):
        services.lead_create(tenant=shop, email=email, github_username=login)
    segment = services.segment_create(name="Django shops", filters={"technologies": ["Django"]})
    matched = selectors.leads_matching(filters=segment.filters)
    assert list(matched.values_list("email", flat=True)) == ["grace@example.com"]
