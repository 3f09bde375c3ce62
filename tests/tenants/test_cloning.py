"""The SQL clone must rebuild the template exactly: same tables, columns, constraints and
indexes under the same names (later migrations address them by name), and the same rows."""

import pytest
from django.conf import settings
from django.db import connection

from apps.tenants.cloning import schema_clone

pytestmark = pytest.mark.django_db

CATALOGUE_QUERIES = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' AND a.attnum > 0
          AND NOT a.attisdropped
        ORDER BY c.relname, a.attnum""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = %s::regnamespace ORDER BY 1, 2""",
    "indexes": """
        SELECT c.relname,
               regexp_replace(pg_get_indexdef(i.indexrelid), ' ON \\S+ USING ', ' ON t USING ')
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = %s::regnamespace ORDER BY 1""",
}


def catalogue(schema: str) -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        # Unqualified names for the schema's own tables, as in the template's definitions.
        cursor.execute(f'SET search_path TO "{schema}"')
        result = {}
        for name, query in CATALOGUE_QUERIES.items():
            cursor.execute(query, [schema])
            result[name] = cursor.fetchall()
        cursor.execute("SET search_path TO public")
    return result


def test_clone_matches_the_template_object_for_object():
    template = settings.STRATO_TEMPLATE_SCHEMA
    schema_clone(template=template, schema_name="t_clone_check")

    expected, actual = catalogue(template), catalogue("t_clone_check")
    assert len(expected["columns"]) > 50
    assert any(kind == "f" for _, _, kind, _ in expected["constraints"])
    for part in ("columns", "constraints", "indexes"):
        assert actual[part] == expected[part], part


def test_clone_copies_the_rows_and_moves_identity_sequences_past_them():
    template = settings.STRATO_TEMPLATE_SCHEMA
    schema_clone(template=template, schema_name="t_clone_rows")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*), max(id) FROM "{template}".django_migrations')
        template_count, template_max = cursor.fetchone()
        cursor.execute('SELECT count(*) FROM "t_clone_rows".django_migrations')
        assert cursor.fetchone()[0] == template_count > 10
        cursor.execute(
            'INSERT INTO "t_clone_rows".django_migrations (app, name, applied) '
            "VALUES ('probe', '0001', now()) RETURNING id"
        )
        assert cursor.fetchone()[0] == template_max + 1
