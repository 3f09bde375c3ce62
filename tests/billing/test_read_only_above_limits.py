"""Data kept above a lower plan's limit stays, read-only, until the tenant pays again."""

import pytest
from django.db import connection

from apps.billing.services import PlanLimitExceeded, billing_plan_set
from apps.campaigns.models import Lead
from apps.campaigns.services import lead_erase, lead_update
from apps.repos.services import analysis_queue
from tests.campaigns.factories import create_leads
from tests.repos.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_tenant(tenant):
    connection.set_tenant(tenant)
    yield tenant
    connection.set_schema_to_public()


def test_leads_above_the_free_limit_cannot_be_edited_but_can_be_erased(in_tenant):
    billing_plan_set(tenant=in_tenant, plan_code="free")  # 1,000 leads
    leads = create_leads(1001)

    with pytest.raises(PlanLimitExceeded) as refused:
        lead_update(lead=leads[0], company="Initech")
    assert refused.value.extra["limit"] == 1000
    assert refused.value.extra["usage"] == 1001

    lead_erase(lead=leads[0])
    updated = lead_update(lead=leads[1], company="Initech")
    assert Lead.objects.get(pk=updated.pk).company == "Initech"


def test_leads_are_editable_again_after_an_upgrade(in_tenant):
    billing_plan_set(tenant=in_tenant, plan_code="free")
    leads = create_leads(1001)
    billing_plan_set(tenant=in_tenant, plan_code="starter")  # 10,000 leads

    assert lead_update(lead=leads[0], company="Hooli").company == "Hooli"


def test_repositories_above_the_limit_are_not_re_analysed(in_tenant):
    billing_plan_set(tenant=in_tenant, plan_code="free")  # 3 repositories
    repositories = RepositoryFactory.create_batch(4)

    with pytest.raises(PlanLimitExceeded) as refused:
        analysis_queue(tenant=in_tenant, repository=repositories[0], trigger="api")
    assert refused.value.extra["resource"] == "repositories"

    repositories[3].delete()
    analysis = analysis_queue(tenant=in_tenant, repository=repositories[0], trigger="api")
    assert analysis.status == "queued"
