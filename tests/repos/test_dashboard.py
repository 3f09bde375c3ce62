import pytest
from django_tenants.utils import schema_context

from apps.billing.services import billing_plan_set
from apps.repos.models import Repository
from apps.repos.routing.models import RepositoryRoute
from tests.helpers import signed_in
from tests.repos.support import SHA_1, committed, stub_metadata, stub_repository

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean(tenant, other_tenant, fast_github):
    for item in (tenant, other_tenant):
        billing_plan_set(tenant=item, plan_code="pro")
        with schema_context(item.schema_name):
            Repository.objects.all().delete()
    RepositoryRoute.objects.all().delete()


def test_analyse_a_url_and_read_the_report(
    tenant, member, github_api, eager_celery, django_capture_on_commit_callbacks
):
    stub_repository(github_api)
    client = signed_in(tenant, member)
    assert "No repositories analysed yet" in client.get("/repositories/").content.decode()

    with committed(django_capture_on_commit_callbacks):
        response = client.post("/repositories/", {"url": "git@github.com:octo/hello.git"})
    with schema_context(tenant.schema_name):
        repository = Repository.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/repositories/{repository.public_id}/"

    page = client.get(response["Location"]).content.decode()
    assert "octo/hello" in page
    assert 'data-slug="django"' in page
    assert "requirements.txt" in page  # evidence
    assert "Python" in page
    assert "100%" in page
    assert SHA_1[:7] in page

    listing = client.get("/repositories/").content.decode()
    assert "octo/hello" in listing
    assert "Analysed" in listing


def test_a_bad_url_is_a_form_error(tenant, member):
    client = signed_in(tenant, member)
    response = client.post("/repositories/", {"url": "https://gitlab.com/octo/hello"})
    assert response.status_code == 400
    assert "Only github.com repositories can be analysed" in response.content.decode()


def test_another_tenants_repository_page_is_a_404(
    tenant, other_tenant, member, other_owner, github_api, django_capture_on_commit_callbacks
):
    stub_metadata(github_api)
    client = signed_in(tenant, member)
    client.post("/repositories/", {"url": "octo/hello"})
    with schema_context(tenant.schema_name):
        repository = Repository.objects.get()
    other = signed_in(other_tenant, other_owner)
    assert other.get(f"/repositories/{repository.public_id}/").status_code == 404
    assert "octo/hello" not in other.get("/repositories/").content.decode()


def test_members_cannot_open_the_github_settings(tenant, member):
    assert signed_in(tenant, member).get("/repositories/github/").status_code == 403
