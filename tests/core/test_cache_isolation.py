"""Cache keys carry the current schema: one tenant never reads another's entries."""

from __future__ import annotations

from django.core.cache import cache
from django_redis import get_redis_connection
from django_tenants.utils import schema_context


def test_cache_entries_are_per_schema():
    with schema_context("t_acme"):
        cache.set("k", 1)

    with schema_context("t_globex"):
        assert cache.get("k") is None
        cache.set("k", 2)
    with schema_context("t_acme"):
        assert cache.get("k") == 1
    with schema_context("t_globex"):
        assert cache.get("k") == 2
    assert cache.get("k") is None  # public schema


def test_the_schema_is_in_the_redis_key():
    with schema_context("t_acme"):
        cache.set("report", "acme's")

    keys = sorted(key.decode() for key in get_redis_connection("default").keys("*report*"))

    # django_tenants.cache.make_key: "<schema>:<KEY_PREFIX>:<version>:<key>".
    assert keys == ["t_acme::1:report"]


def test_deleting_in_one_schema_leaves_the_other():
    for schema in ("t_acme", "t_globex"):
        with schema_context(schema):
            cache.set("shared-name", schema)

    with schema_context("t_acme"):
        cache.delete("shared-name")
        assert cache.get("shared-name") is None
    with schema_context("t_globex"):
        assert cache.get("shared-name") == "t_globex"
