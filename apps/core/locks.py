"""Transaction-scoped PostgreSQL advisory locks, for "check, then insert" rules.

A unique constraint keeps the data right, but two concurrent requests that both find nothing and
both insert would make one of them fail with an IntegrityError (a 500). Taking the same advisory
lock first makes the second wait for the first's commit, then find its row.
"""

from __future__ import annotations

from django.db import connection


def advisory_lock(*parts: object) -> None:
    """Hold a lock named by `parts` (and the current schema) until the transaction ends."""
    schema = getattr(connection, "schema_name", "public")  # django-tenants sets it
    name = ":".join([schema, *(str(part) for part in parts)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
