"""API keys over HTTP: shown once, stored hashed, bound to one tenant, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiKey, Membership, Role
from tests.accounts.factories import add_member
from tests.helpers import assert_problem, host_of

pytestmark = pytest.mark.django_db


def create_key(client, name="CRM sync", **extra):
    response = client.post("/api/keys", {"name": name, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def key_client(tenant, key) -> APIClient:
    client = APIClient(HTTP_HOST=host_of(tenant))
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_create_returns_the_key_once_and_stores_only_a_hash(tenant, owner, api_client_for):
    client = api_client_for(tenant, owner)

    created = create_key(client)

    key = created["key"]
    prefix, _, secret = key.partition(".")
    assert created["prefix"] == prefix
    assert len(secret) >= 32
    assert created["name"] == "CRM sync"
    assert created["created_by"] == "owner@acme.test"
    assert created["expires_at"] is None
    assert created["last_used_at"] is None
    row = ApiKey.objects.filter(public_id=created["id"]).values().get()
    assert row["tenant_id"] == tenant.pk
    for column, value in row.items():
        assert key not in str(value), column
        assert secret not in str(value), column
    assert len(row["hashed_key"]) >= 64

    listing = client.get("/api/keys")
    assert listing.status_code == 200
    assert [item["id"] for item in listing.json()["results"]] == [created["id"]]
    assert listing.json()["next"] is None
    assert "key" not in listing.json()["results"][0]
    assert secret not in listing.content.decode()


def test_key_authenticates_as_its_creator_and_records_last_use(tenant, admin_user, api_client_for):
    created = create_key(api_client_for(tenant, admin_user))

    response = key_client(tenant, created["key"]).get("/api/auth/profile")

    assert response.status_code == 200
    assert (response.json()["email"], response.json()["role"]) == ("admin@acme.test", "admin")
    last_used = ApiKey.objects.get(public_id=created["id"]).last_used_at
    assert last_used is not None
    assert timezone.now() - last_used < timedelta(seconds=30)


def test_delete_revokes_the_key(tenant, owner, api_client_for):
    client = api_client_for(tenant, owner)
    created = create_key(client)
    assert key_client(tenant, created["key"]).get("/api/auth/profile").status_code == 200

    response = client.delete(f"/api/keys/{created['id']}")

    assert response.status_code == 204
    assert ApiKey.objects.get(public_id=created["id"]).revoked is True
    assert_problem(
        key_client(tenant, created["key"]).get("/api/auth/profile"), 401, "api_key_invalid"
    )
    assert client.get("/api/keys").json()["results"] == []
    assert_problem(client.delete(f"/api/keys/{created['id']}"), 404, "not_found")


def test_key_of_tenant_a_on_tenant_b_host(tenant, other_tenant, owner, api_client_for):
    add_member(other_tenant, owner.email, Role.OWNER)
    created = create_key(api_client_for(tenant, owner))

    response = key_client(other_tenant, created["key"]).get("/api/auth/profile")

    assert_problem(response, 401, "api_key_invalid")


def test_tenant_b_cannot_revoke_tenant_a_key(
    tenant, other_tenant, owner, other_owner, api_client_for
):
    created = create_key(api_client_for(tenant, owner))

    response = api_client_for(other_tenant, other_owner).delete(f"/api/keys/{created['id']}")

    assert_problem(response, 404, "not_found")
    assert ApiKey.objects.get(public_id=created["id"]).revoked is False


def test_expired_key(tenant, owner, api_client_for):
    expires = (timezone.now() + timedelta(days=1)).isoformat()
    created = create_key(api_client_for(tenant, owner), expires_at=expires)
    assert key_client(tenant, created["key"]).get("/api/auth/profile").status_code == 200

    ApiKey.objects.filter(public_id=created["id"]).update(
        expiry_date=timezone.now() - timedelta(seconds=1)
    )

    assert_problem(
        key_client(tenant, created["key"]).get("/api/auth/profile"), 401, "api_key_invalid"
    )


def test_expiry_in_the_past_is_refused(tenant, owner, api_client_for):
    response = api_client_for(tenant, owner).post(
        "/api/keys", {"name": "old", "expires_at": "2020-01-01T00:00:00Z"}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["expires_at"]
    assert not ApiKey.objects.filter(name="old").exists()


def test_blank_name_is_refused(tenant, owner, api_client_for):
    body = assert_problem(
        api_client_for(tenant, owner).post("/api/keys", {"name": "  "}, format="json"),
        400,
        "validation_error",
    )
    assert list(body["errors"]) == ["name"]


def test_forged_and_malformed_keys(tenant, owner, api_client_for):
    created = create_key(api_client_for(tenant, owner))
    prefix, _, secret = created["key"].partition(".")

    for bogus in (f"{prefix}.{'x' * len(secret)}", "nonsense", f"{prefix}."):
        assert_problem(key_client(tenant, bogus).get("/api/auth/profile"), 401, "api_key_invalid")
    empty = APIClient(HTTP_HOST=host_of(tenant), HTTP_AUTHORIZATION="Api-Key ")
    assert_problem(empty.get("/api/auth/profile"), 401, "api_key_invalid")


def test_key_of_a_removed_member_stops_working(tenant, owner, admin_user, api_client_for):
    created = create_key(api_client_for(tenant, admin_user))
    admin_membership = Membership.objects.get(user=admin_user, tenant=tenant)

    removed = api_client_for(tenant, owner).delete(f"/api/members/{admin_membership.public_id}")

    assert removed.status_code == 204
    assert_problem(
        key_client(tenant, created["key"]).get("/api/auth/profile"), 401, "api_key_invalid"
    )


def test_key_of_an_inactive_user_stops_working(tenant, owner, api_client_for):
    created = create_key(api_client_for(tenant, owner))
    type(owner).objects.filter(pk=owner.pk).update(is_active=False)

    assert_problem(
        key_client(tenant, created["key"]).get("/api/auth/profile"), 401, "api_key_invalid"
    )


def test_members_cannot_manage_keys(tenant, owner, member, api_client_for):
    created = create_key(api_client_for(tenant, owner))
    client = api_client_for(tenant, member)

    assert_problem(client.get("/api/keys"), 403, "permission_denied")
    assert_problem(
        client.post("/api/keys", {"name": "mine"}, format="json"), 403, "permission_denied"
    )
    assert_problem(client.delete(f"/api/keys/{created['id']}"), 403, "permission_denied")
    assert ApiKey.objects.filter(tenant=tenant).count() == 1


def test_member_key_cannot_reach_admin_endpoints(tenant, owner, member, api_client_for):
    # A key acts with its creator's role, now: demoting the creator demotes the key.
    created = create_key(api_client_for(tenant, owner))
    add_member(tenant, "second-owner@acme.test", Role.OWNER)
    Membership.objects.filter(user=owner, tenant=tenant).update(role=Role.MEMBER)

    response = key_client(tenant, created["key"]).get("/api/keys")

    assert_problem(response, 403, "permission_denied")


def test_key_listing_is_cursor_paginated(tenant, owner, api_client_for):
    client = api_client_for(tenant, owner)
    for name in ("first", "second", "third"):
        assert client.post("/api/keys", {"name": name}, format="json").status_code == 201

    page_one = client.get("/api/keys?page_size=2").json()
    assert [item["name"] for item in page_one["results"]] == ["third", "second"]
    assert page_one["previous"] is None
    page_two = client.get(page_one["next"]).json()
    assert [item["name"] for item in page_two["results"]] == ["first"]
    assert page_two["next"] is None
