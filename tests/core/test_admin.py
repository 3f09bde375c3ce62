import pytest
from django.test import Client

from apps.accounts.models import User
from tests.conftest import PASSWORD, host_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return User.objects.create_superuser(email="staff@strato.test", password=PASSWORD)


def staff_client(host: str) -> Client:
    client = Client(HTTP_HOST=host)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "staff@strato.test", "password": PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    return client


def test_public_admin_manages_platform_data_only(staff, tenant):
    client = staff_client("localhost")
    index = client.get("/admin/").content.decode()
    assert "/admin/tenants/tenant/" in index
    assert "/admin/accounts/user/" in index
    assert "/admin/accounts/membership/" in index
    tenants = client.get("/admin/tenants/tenant/")
    assert tenants.status_code == 200
    assert "Acme Analytics" in tenants.content.decode()


def test_tenant_admin_shows_that_tenants_data_not_the_platform(staff, tenant):
    client = staff_client(host_of(tenant))
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/tenants/tenant/" not in index.content.decode()
    assert client.get("/admin/tenants/tenant/").status_code == 404
    assert client.get("/admin/accounts/user/").status_code == 404


def test_tenant_admin_refuses_non_staff_members(tenant, owner):
    client = Client(HTTP_HOST=host_of(tenant))
    response = client.post(
        "/admin/login/?next=/admin/", {"username": owner.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert client.get("/admin/").status_code == 302
