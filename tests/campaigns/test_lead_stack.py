"""A lead's analysed GitHub stack becomes `lead.stack.*` campaign variables."""

import pytest

from apps.campaigns.models import Lead
from apps.campaigns.services import template_create, template_preview
from apps.core.errors import ValidationFailed
from tests.campaigns.factories import LeadFactory
from tests.repos.factories import AnalysisFactory

pytestmark = pytest.mark.django_db

TEMPLATE = (
    "{{ lead.first_name }} builds with {{ lead.stack.primary_language|default:'code' }}"
    "{% if lead.stack.frameworks %} and {{ lead.stack.frameworks|join:', ' }}{% endif %}."
)


def django_stack() -> list[dict]:
    return [
        {"slug": "django", "name": "Django", "category": "framework"},
        {"slug": "postgresql", "name": "PostgreSQL", "category": "database"},
    ]


def preview(shop, lead: Lead) -> str:
    return template_preview(tenant=shop, subject="Hi", text=TEMPLATE, lead=lead)["text"]


def test_stack_of_a_leads_github_username(shop):
    AnalysisFactory(
        repository__owner="Octocat", repository__name="api", technologies=django_stack()
    )
    lead = LeadFactory(email="ada@example.com", first_name="Ada", github_username="octocat")

    assert preview(shop, lead).startswith("Ada builds with Python and Django.")


def test_stack_of_the_owner_in_a_leads_repository_url(shop):
    AnalysisFactory(
        repository__owner="octocat", repository__name="api", technologies=django_stack()
    )
    lead = LeadFactory(
        email="bob@example.com", first_name="Bob", github_url="https://github.com/octocat/api"
    )

    assert preview(shop, lead).startswith("Bob builds with Python and Django.")


def test_failed_analyses_and_unknown_owners_give_an_empty_stack(shop):
    AnalysisFactory(
        repository__owner="octocat",
        repository__name="api",
        status="failed",
        technologies=django_stack(),
    )
    lead = LeadFactory(email="cy@example.com", first_name="Cy", github_username="octocat")
    stranger = LeadFactory(email="di@example.com", first_name="Di")

    assert preview(shop, lead).startswith("Cy builds with code.")
    assert preview(shop, stranger).startswith("Di builds with code.")


def test_unknown_stack_variables_are_refused_at_save_time(shop):
    template_create(name="ok", subject="Hi", text="{{ lead.stack.databases|join:', ' }}")
    with pytest.raises(ValidationFailed) as refused:
        template_create(name="bad", subject="Hi", text="{{ lead.stack.favourite_colour }}")
    assert "lead.stack.favourite_colour" in str(refused.value.errors)
