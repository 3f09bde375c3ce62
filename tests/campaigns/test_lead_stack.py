"""A lead's analysed GitHub stack becomes `lead.stack.*` campaign variables."""

import pytest

from apps.campaigns.models import Lead
from apps.campaigns.services import template_create, template_preview
from apps.core.errors import ValidationFailed
from apps.repos.models import Analysis, Repository

pytestmark = pytest.mark.django_db

TEMPLATE = (
    "{{ lead.first_name }} builds with {{ lead.stack.primary_language|default:'code' }}"
    "{% if lead.stack.frameworks %} and {{ lead.stack.frameworks|join:', ' }}{% endif %}."
)


def analysed(owner: str, name: str, *, status: str, technologies: list, language: str) -> None:
    repository = Repository.objects.create(owner=owner, name=name)
    Analysis.objects.create(
        repository=repository,
        status=status,
        report={
            "languages": [{"name": language, "bytes": 100, "share": 1.0}],
            "technologies": technologies,
        },
    )


def django_stack() -> list[dict]:
    return [
        {"slug": "django", "name": "Django", "category": "framework"},
        {"slug": "postgresql", "name": "PostgreSQL", "category": "database"},
    ]


def preview(shop, lead: Lead) -> str:
    return template_preview(tenant=shop, subject="Hi", text=TEMPLATE, lead=lead)["text"]


def test_stack_of_a_leads_github_username(shop):
    analysed("Octocat", "api", status="succeeded", technologies=django_stack(), language="Python")
    lead = Lead.objects.create(email="ada@example.com", first_name="Ada", github_username="octocat")

    assert preview(shop, lead).startswith("Ada builds with Python and Django.")


def test_stack_of_the_owner_in_a_leads_repository_url(shop):
    analysed("octocat", "api", status="succeeded", technologies=django_stack(), language="Python")
    lead = Lead.objects.create(
        email="bob@example.com", first_name="Bob", github_url="https://github.com/octocat/api"
    )

    assert preview(shop, lead).startswith("Bob builds with Python and Django.")


def test_failed_analyses_and_unknown_owners_give_an_empty_stack(shop):
    analysed("octocat", "api", status="failed", technologies=django_stack(), language="Python")
    lead = Lead.objects.create(email="cy@example.com", first_name="Cy", github_username="octocat")
    stranger = Lead.objects.create(email="di@example.com", first_name="Di")

    assert preview(shop, lead).startswith("Cy builds with code.")
    assert preview(shop, stranger).startswith("Di builds with code.")


def test_unknown_stack_variables_are_refused_at_save_time(shop):
    template_create(name="ok", subject="Hi", text="{{ lead.stack.databases|join:', ' }}")
    with pytest.raises(ValidationFailed) as refused:
        template_create(name="bad", subject="Hi", text="{{ lead.stack.favourite_colour }}")
    assert "lead.stack.favourite_colour" in str(refused.value.errors)
