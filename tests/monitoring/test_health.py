"""Liveness answers on any host without the database; readiness times every dependency and only
critical failures turn it into a 503."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django_tenants.utils import get_public_schema_name, schema_context

from apps.monitoring.checks import WORKER_HEARTBEAT_KEY, record_worker_heartbeat
from tests.helpers import host_of, signed_in, staff_signed_in

ROOMY = {"HEALTH_MIN_FREE_DISK_MB": 0, "HEALTH_MIN_FREE_MEMORY_MB": 0}


def checks_by_name(body) -> dict[str, dict]:
    return {check["name"]: check for check in body["checks"]}


@pytest.mark.parametrize(
    "host", ["localhost", "acme.localhost", "nobody.localhost", "10.0.0.7", "evil.example.com"]
)
def test_liveness_on_any_host_without_the_database(host):
    # No `db` fixture: any database access here would fail the test.
    response = Client(HTTP_HOST=host).get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@override_settings(**ROOMY)
def test_readiness_without_a_worker_is_degraded_but_200(staff):
    response = staff_signed_in("localhost").get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    checks = checks_by_name(body)
    assert list(checks) == ["database", "redis", "celery_worker", "disk", "memory"]
    assert checks["database"] | {"duration_ms": 0} == {
        "name": "database",
        "status": "ok",
        "critical": True,
        "duration_ms": 0,
        "detail": "SELECT 1 answered",
    }
    assert (checks["redis"]["status"], checks["redis"]["critical"]) == ("ok", True)
    assert checks["celery_worker"] | {"duration_ms": 0} == {
        "name": "celery_worker",
        "status": "fail",
        "critical": False,
        "duration_ms": 0,
        "detail": "RuntimeError: no worker heartbeat recorded yet",
    }
    for check in body["checks"]:
        assert isinstance(check["duration_ms"], float | int)
        assert 0 <= check["duration_ms"] < 5000
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
@override_settings(**ROOMY)
def test_readiness_with_a_fresh_heartbeat_is_ok(staff):
    record_worker_heartbeat()

    response = staff_signed_in("localhost").get("/api/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert checks_by_name(response.json())["celery_worker"]["detail"].startswith(
        "last heartbeat 0s ago"
    )


@pytest.mark.django_db
@override_settings(**ROOMY)
def test_readiness_on_a_tenant_host_sees_the_same_worker(tenant):
    record_worker_heartbeat()

    response = Client(HTTP_HOST=host_of(tenant)).get("/api/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok", response.json()


@pytest.mark.django_db
@override_settings(**ROOMY)
def test_stale_heartbeat_is_degraded(staff):
    with schema_context(get_public_schema_name()):
        cache.set(WORKER_HEARTBEAT_KEY, time.time() - 600)

    body = staff_signed_in("localhost").get("/api/health").json()

    assert body["status"] == "degraded"
    assert checks_by_name(body)["celery_worker"]["detail"] == (
        "RuntimeError: last worker heartbeat 600s ago"
    )


@pytest.mark.django_db
@override_settings(**ROOMY)
def test_readiness_shows_check_details_to_staff_only(tenant, owner):
    anonymous = Client(HTTP_HOST="localhost").get("/api/health").json()
    member = signed_in(tenant, owner).get("/api/health").json()

    for body in (anonymous, member):
        assert checks_by_name(body)["celery_worker"] == {
            "name": "celery_worker",
            "status": "fail",
            "critical": False,
            "duration_ms": checks_by_name(body)["celery_worker"]["duration_ms"],
        }
        assert all("detail" not in check for check in body["checks"])


@pytest.mark.django_db
@override_settings(HEALTH_MIN_FREE_DISK_MB=10**12, HEALTH_MIN_FREE_MEMORY_MB=0)
def test_low_disk_is_not_critical():
    record_worker_heartbeat()

    response = Client(HTTP_HOST="localhost").get("/api/health")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert checks_by_name(response.json())["disk"]["status"] == "fail"


@pytest.mark.django_db
def test_redis_down_is_critical(settings):
    broken = {
        **settings.CACHES["default"],
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            "IGNORE_EXCEPTIONS": True,
        },
    }
    settings.CACHES = {"default": broken}

    response = Client(HTTP_HOST="localhost").get("/api/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    checks = checks_by_name(body)
    assert (checks["redis"]["status"], checks["redis"]["critical"]) == ("fail", True)
    assert checks["database"]["status"] == "ok"
