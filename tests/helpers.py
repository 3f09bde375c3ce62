"""Small helpers shared by the test directories: hosts, signed-in clients, assertions."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.test import Client

from apps.tenants.models import Tenant
from tests.accounts.factories import PASSWORD

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
STAFF_EMAIL = "staff@strato.test"


def host_of(tenant: Tenant) -> str:
    return f"{tenant.slug}.localhost"


def signed_in(tenant: Tenant, user) -> Client:
    """A browser-like client signed in on the tenant's host through the login form."""
    client = Client(HTTP_HOST=host_of(tenant))
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def staff_signed_in(host: str) -> Client:
    """A client signed in to the staff admin on `host` as the `staff` fixture's user."""
    client = Client(HTTP_HOST=host)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": STAFF_EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    return client


def wait_for(predicate: Callable[[], object], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not true within {seconds}s")


def assert_problem(response, status: int, code: str) -> dict:
    """`response` is an application/problem+json answer with `status` and the stable `code`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"] == f"https://docs.strato.dev/errors/{code}"
    assert body["title"]
    assert body["detail"]
    return body


def waiting_on_a_lock(backend_pid: int) -> bool:
    """Whether the database session `backend_pid` is waiting for a lock another one holds."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [backend_pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def race(first: Callable[[], object], second: Callable[[], object], *, schema: str) -> list:
    """Run `first` in a transaction kept open until `second`, in another thread, waits on a
    database lock; then let `first` commit. How two concurrent requests that check, then insert
    the same row meet. Returns what either raised."""
    import threading

    from django.db import connection, transaction

    errors: list[BaseException] = []
    first_inserted = threading.Event()
    second_backend: list[int] = []

    def run_first() -> None:
        try:
            connection.set_schema(schema)
            with transaction.atomic():
                first()
                first_inserted.set()
                deadline = time.monotonic() + 10
                while not (second_backend and waiting_on_a_lock(second_backend[0])):
                    assert time.monotonic() < deadline, "the second never waited for the first"
                    time.sleep(0.02)
        except BaseException as exc:
            errors.append(exc)
        finally:
            first_inserted.set()
            connection.close()

    def run_second() -> None:
        try:
            connection.set_schema(schema)
            first_inserted.wait(10)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_backend.append(cursor.fetchone()[0])
            second()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors
