"""Shared fixtures: real PostgreSQL (schemas per tenant) and real Redis.

Tenants are provisioned once and reused; transactional tests (browser, Celery) flush the public
tables, so the tenant fixtures re-provision whatever a flush removed.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists
from rest_framework.test import APIClient

from apps.accounts.models import Role, User
from apps.tenants import services as tenant_services
from apps.tenants.models import Tenant
from scripts.schema_snapshot import BackgroundMigrate
from tests.accounts.factories import UserFactory, add_member
from tests.helpers import STAFF_EMAIL, host_of
from tests.support.factories import restart_sequences

# Fixtures that several test directories use (GitHub stubs, Celery).
pytest_plugins = ["tests.support.github", "tests.support.celery"]


SESSION_TENANTS = {"acme": "Acme Analytics", "globex": "Globex"}

MIGRATED_FROM_SCRATCH = pytest.StashKey[BackgroundMigrate]()


def pytest_collection_modifyitems(config, items):
    """Tests marked `migrations` run after the others, and the from-scratch migrate they compare
    with starts now in a child process, so its minute of work overlaps the rest of the suite.
    Tests that stop the test PostgreSQL come last, once that migrate is over."""

    def position(item) -> int:
        if item.get_closest_marker("stops_database"):
            return 2
        return 1 if item.get_closest_marker("migrations") else 0

    items.sort(key=position)  # stable: the order within each group is kept
    if config.option.collectonly or not any(position(item) == 1 for item in items):
        return
    config.stash[MIGRATED_FROM_SCRATCH] = BackgroundMigrate("strato_test_migrated")


def pytest_unconfigure(config):
    background = config.stash.get(MIGRATED_FROM_SCRATCH, None)
    if background is not None:
        background.close()


@pytest.fixture
def migrated_from_scratch(request):
    return request.config.stash[MIGRATED_FROM_SCRATCH]


@pytest.fixture(scope="session")
def _test_database_from_snapshot(django_db_blocker, django_db_modify_db_settings):
    """The test database starts as a copy (`CREATE DATABASE … TEMPLATE`) of the committed schema
    snapshot instead of replaying every migration; `migrate` then runs and finds nothing to do.
    With an out-of-date snapshot it migrates from scratch as before."""
    from scripts.schema_snapshot import template_database

    with django_db_blocker.unblock():
        template = template_database()
    if template is not None:
        connection.settings_dict.setdefault("TEST", {})["TEMPLATE"] = template


@pytest.fixture(scope="session")
def django_db_setup(_test_database_from_snapshot, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        tenant_services.tenancy_bootstrap()
        # Committed once, so tests (each in a rolled-back transaction) never clone a schema
        # just to get `tenant` / `other_tenant`. pytest-django runs transactional tests last;
        # their flush removes these rows and `ensure_tenant` then provisions again.
        for slug, name in SESSION_TENANTS.items():
            ensure_tenant(slug, name=name)


@pytest.fixture(autouse=True)
def _public_schema_and_clean_cache():
    connection.set_schema_to_public()
    cache.clear()
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _factory_sequences_from_zero():
    restart_sequences()


def ensure_tenant(slug: str, *, name: str | None = None) -> Tenant:
    """The ready tenant `slug`, provisioned if a flush removed it."""
    with schema_context(get_public_schema_name()):
        tenant_services.tenancy_bootstrap()
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is not None:
            return tenant
        schema = "t_" + slug.replace("-", "_")
        if schema_exists(schema):
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
        return tenant_services.tenant_provision(name=name or slug.title(), slug=slug)


@pytest.fixture
def tenant(db) -> Tenant:
    return ensure_tenant("acme", name=SESSION_TENANTS["acme"])


@pytest.fixture
def other_tenant(db) -> Tenant:
    return ensure_tenant("globex", name=SESSION_TENANTS["globex"])


@pytest.fixture
def owner(tenant) -> User:
    return add_member(tenant, "owner@acme.test", Role.OWNER)


@pytest.fixture
def admin_user(tenant) -> User:
    return add_member(tenant, "admin@acme.test", Role.ADMIN)


@pytest.fixture
def member(tenant) -> User:
    return add_member(tenant, "member@acme.test", Role.MEMBER)


@pytest.fixture
def other_owner(other_tenant) -> User:
    return add_member(other_tenant, "owner@globex.test", Role.OWNER)


@pytest.fixture
def staff(db) -> User:
    """A platform staff member (superuser), for the staff admin."""
    return UserFactory(email=STAFF_EMAIL, superuser=True)


@pytest.fixture
def public_client() -> APIClient:
    return APIClient(HTTP_HOST="localhost")


@pytest.fixture
def api_client_for():
    """An API client on `tenant`'s host; authenticated with a fresh JWT when `user` is given."""
    from apps.accounts.services import tokens_issue

    def make(tenant: Tenant, user: User | None = None) -> APIClient:
        client = APIClient(HTTP_HOST=host_of(tenant))
        if user is not None:
            access = tokens_issue(user=user, tenant=tenant)["access"]
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client

    return make
