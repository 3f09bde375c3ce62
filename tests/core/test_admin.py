import pytest
from django.test import Client

from tests.accounts.factories import PASSWORD
from tests.helpers import host_of, staff_signed_in

pytestmark = pytest.mark.django_db


def test_public_admin_manages_platform_data_only(staff, tenant):
    client = staff_signed_in("localhost")
    index = client.get("/admin/").content.decode()
    assert "/admin/tenants/tenant/" in index
    assert "/admin/accounts/user/" in index
    assert "/admin/accounts/membership/" in index
    tenants = client.get("/admin/tenants/tenant/")
    assert tenants.status_code == 200
    assert "Acme Analytics" in tenants.content.decode()


def test_tenant_admin_shows_that_tenants_data_not_the_platform(staff, tenant):
    client = staff_signed_in(host_of(tenant))
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
