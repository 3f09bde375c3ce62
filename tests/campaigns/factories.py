"""Leads, lists, segments, templates, campaigns and messages (tenant schema).

They build in the schema the connection is on: the `shop` fixture sets it (see
tests/support/factories.py). Sequences restart in every test, so the leads of a test are
lead0@example.com, lead1@example.com, … (first name Name0, company Co0, …).
"""

from __future__ import annotations

import factory
from django.utils import timezone

from apps.campaigns.models import Campaign, EmailTemplate, Lead, LeadList, Message, Segment
from tests.support.factories import TenantSchemaFactory, require_tenant_schema


class LeadFactory(TenantSchemaFactory):
    class Meta:
        model = Lead
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    first_name = factory.Sequence(lambda n: f"Name{n}")
    company = factory.Sequence(lambda n: f"Co{n}")

    @factory.post_generation
    def lists(lead, create, extracted, **kwargs):
        """`LeadFactory(lists=[lead_list])` puts the lead in those lists."""
        if create and extracted:
            lead.lists.add(*extracted)


def create_leads(count: int, **fields) -> list[Lead]:
    """`count` leads from `LeadFactory` in one INSERT: some tests need a thousand or more."""
    require_tenant_schema("create_leads")
    return Lead.objects.bulk_create(LeadFactory.build_batch(count, **fields))


class LeadListFactory(TenantSchemaFactory):
    class Meta:
        model = LeadList

    name = factory.Sequence(lambda n: f"List {n}")


class SegmentFactory(TenantSchemaFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    filters = factory.LazyFunction(lambda: {"tags_any": ["python"]})


class EmailTemplateFactory(TenantSchemaFactory):
    """A saved template as `services.template_create` leaves it (sanitised, text part given)."""

    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    subject = "Hello {{ lead.first_name }}"
    html = "<p>Hi {{ lead.first_name }} from {{ lead.company }}.</p>"
    text = "Hi {{ lead.first_name }} from {{ lead.company }}."
    variables = factory.LazyFunction(lambda: ["lead.company", "lead.first_name"])


class CampaignFactory(TenantSchemaFactory):
    """A draft to every lead, with its own template."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    template = factory.SubFactory(EmailTemplateFactory)
    from_email = "Acme <news@acme.example>"


class MessageFactory(TenantSchemaFactory):
    """One recipient of a campaign, sent (accepted by the ESP) just now."""

    class Meta:
        model = Message

    campaign = factory.SubFactory(CampaignFactory)
    lead = factory.SubFactory(LeadFactory)
    email = factory.LazyAttribute(lambda message: message.lead.email)
    status = Message.Status.SENT
    sent_at = factory.LazyFunction(timezone.now)
