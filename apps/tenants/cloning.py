"""Copy the template schema into a new tenant schema with plain SQL.

django-tenants' `clone_schema` SQL function inspects the catalogue object by object on every
call; with a few dozen tables that costs most of a second. The template only changes when
migrations run, so the DDL to rebuild it is read from the catalogue once, cached under a
fingerprint of the template's migration history, and replayed as one batch per clone:

1. tables with columns, defaults, identity and generated columns (`CREATE TABLE … LIKE`);
2. primary key, unique, check and exclusion constraints, then foreign keys, under their names;
3. the remaining indexes, under their names (later migrations drop and rename them by name);
4. the template's rows (migration records, content types), with identity sequences moved past
   them.

Templates holding anything else (views, functions, triggers, free sequences or serial
defaults) fall back to django-tenants' function, which copies every kind of object.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django_tenants.clone import CloneSchema

SCHEMA_PLACEHOLDER = "__strato_new_schema__"


@dataclass(frozen=True)
class ClonePlan:
    fingerprint: tuple
    sql: str | None  # None: the template needs django-tenants' generic function


_cached_plan: ClonePlan | None = None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fingerprint(cursor, template: str) -> tuple:
    cursor.execute(
        f"SELECT count(*), coalesce(max(id), 0) FROM {_quote(template)}.django_migrations"
    )
    return (template, *cursor.fetchone())


def _has_unsupported_objects(cursor, template: str) -> bool:
    cursor.execute(
        """
        SELECT
          EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = %(t)s::regnamespace
                  AND c.relkind IN ('v', 'm', 'f', 'p'))
          OR EXISTS (SELECT 1 FROM pg_class s WHERE s.relnamespace = %(t)s::regnamespace
                     AND s.relkind = 'S' AND NOT EXISTS (
                       SELECT 1 FROM pg_depend d WHERE d.objid = s.oid AND d.deptype = 'i'))
          OR EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = %(t)s::regnamespace)
          OR EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
                     WHERE c.relnamespace = %(t)s::regnamespace AND NOT g.tgisinternal)
          OR EXISTS (SELECT 1 FROM pg_attrdef a JOIN pg_class c ON c.oid = a.adrelid
                     WHERE c.relnamespace = %(t)s::regnamespace
                     AND pg_get_expr(a.adbin, a.adrelid) LIKE 'nextval(%%')
        """,
        {"t": template},
    )
    return cursor.fetchone()[0]


def _build_sql(cursor, template: str) -> str:
    source, target = _quote(template), SCHEMA_PLACEHOLDER
    # Definitions print unqualified names for the template's own tables and qualified ones for
    # anything else (public tables), which is exactly what replaying them in the new schema needs.
    cursor.execute(f"SET LOCAL search_path TO {source}")
    cursor.execute(
        "SELECT c.oid, c.relname FROM pg_class c WHERE c.relnamespace = %s::regnamespace "
        "AND c.relkind = 'r' ORDER BY c.relname",
        [template],
    )
    tables = cursor.fetchall()
    statements = [
        f"CREATE TABLE {target}.{_quote(name)} (LIKE {source}.{_quote(name)} "
        "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE)"
        for _, name in tables
    ]
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.connamespace = %s::regnamespace AND c.contype IN ('p', 'u', 'c', 'x', 'f')
        ORDER BY c.contype = 'f', c.conrelid::regclass::text, c.conname
        """,
        [template],
    )
    statements += [
        f"ALTER TABLE {target}.{table} ADD CONSTRAINT {_quote(name)} {definition}"
        for table, name, definition in cursor.fetchall()
    ]
    cursor.execute(
        """
        SELECT pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = %s::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
        ORDER BY c.relname
        """,
        [template],
    )
    for (definition,) in cursor.fetchall():
        # "CREATE [UNIQUE] INDEX name ON [schema.]table USING method (…)": re-home the table.
        head, _, tail = definition.partition(" ON ")
        table, _, rest = tail.partition(" USING ")
        statements.append(f"{head} ON {target}.{table.rsplit('.', 1)[-1]} USING {rest}")
    for oid, name in tables:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {source}.{_quote(name)})")
        if not cursor.fetchone()[0]:
            continue
        statements.append(
            f"INSERT INTO {target}.{_quote(name)} OVERRIDING SYSTEM VALUE "
            f"SELECT * FROM {source}.{_quote(name)}"
        )
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attidentity <> '' "
            "AND NOT attisdropped",
            [oid],
        )
        for (column,) in cursor.fetchall():
            statements.append(
                f"SELECT setval(pg_get_serial_sequence('{target}.{_quote(name)}', "
                f"'{column}'), coalesce(max({_quote(column)}), 0) + 1, false) "
                f"FROM {target}.{_quote(name)}"
            )
    cursor.execute("SET LOCAL search_path TO DEFAULT")
    return ";\n".join(statements)


def _plan(cursor, template: str) -> ClonePlan:
    global _cached_plan
    fingerprint = _fingerprint(cursor, template)
    if _cached_plan is None or _cached_plan.fingerprint != fingerprint:
        sql = None if _has_unsupported_objects(cursor, template) else _build_sql(cursor, template)
        _cached_plan = ClonePlan(fingerprint, sql)
    return _cached_plan


@transaction.atomic
def schema_clone(*, template: str, schema_name: str) -> None:
    """Create `schema_name` as a copy of `template`, in the caller's transaction if any."""
    with connection.cursor() as cursor:
        plan = _plan(cursor, template)
        if plan.sql is None:
            CloneSchema().clone_schema(template, schema_name, "DATA")
        else:
            target = _quote(schema_name)
            cursor.execute(f"CREATE SCHEMA {target}")
            # Unqualified names in the replayed definitions resolve to the new schema.
            cursor.execute(f"SET LOCAL search_path TO {target}")
            cursor.execute(plan.sql.replace(SCHEMA_PLACEHOLDER, target))
            cursor.execute("SET LOCAL search_path TO DEFAULT")
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
