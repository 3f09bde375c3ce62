import pytest

from tests.accounts.support import register_and_confirm


@pytest.mark.django_db
def test_register_then_call_profile_with_jwt(public_client, api_client_for):
    response = register_and_confirm(
        public_client,
        email="Ada@Example.com",
        password="correct-horse-battery",
        organisation_name="Initech Labs",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tenant"]["slug"] == "initech-labs"
    assert body["tenant"]["url"] == "http://initech-labs.localhost/"
    assert body["user"]["email"] == "ada@example.com"

    from apps.tenants.models import Tenant

    tenant = Tenant.objects.get(slug="initech-labs")
    client = api_client_for(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    profile = client.get("/api/auth/profile")
    assert profile.status_code == 200
    assert profile.json()["role"] == "owner"
