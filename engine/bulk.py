"""Set-based writes of many rows.

Django's `bulk_update` writes `CASE WHEN pk=… THEN …` for every field of every row: 2,000
deadlines of eight fields make ~16,000 expressions for the database to parse and plan (~2.8 s).
`update_rows` sends each batch as one `UPDATE … FROM (VALUES …)` joined on the primary key, which
PostgreSQL and SQLite (3.33+) both plan as a plain join.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connections, router
from django.db.models import Model


def update_rows(
    model: type[Model],
    objs: Iterable[Model],
    fields: list[str],
    *,
    same: Mapping[str, Any] | None = None,
) -> int:
    """Write `fields` of each saved instance in `objs`, and the values in `same` (field name →
    value, one for every row), in one statement per batch. Returns the rows updated."""
    objs = list(objs)
    if not objs:
        return 0
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    per_row = [opts.pk, *(opts.get_field(name) for name in fields)]
    constant = [(opts.get_field(name), value) for name, value in (same or {}).items()]
    quote = connection.ops.quote_name
    # PostgreSQL types a column of VALUES from its literals: an all-NULL column would be text
    typed = connection.vendor == "postgresql"

    def placeholder(field) -> str:
        return f"CAST(%s AS {field.cast_db_type(connection)})" if typed else "%s"

    row_sql = "(" + ", ".join(placeholder(f) for f in per_row) + ")"
    assignments = [
        f"{quote(f.column)} = v.column{i}" for i, f in enumerate(per_row[1:], start=2)
    ] + [f"{quote(f.column)} = {placeholder(f)}" for f, _value in constant]
    constant_params = [f.get_db_prep_save(value, connection) for f, value in constant]
    table = quote(opts.db_table)
    limit = connection.features.max_query_params
    size = len(objs) if limit is None else max(1, (limit - len(constant)) // len(per_row))
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params = row_params(batch, per_row, connection, add=False)
            cursor.execute(
                f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608 - names are quoted
                f"FROM (VALUES {', '.join([row_sql] * len(batch))}) AS v "
                f"WHERE {table}.{quote(opts.pk.column)} = v.column1",
                constant_params + params,
            )
            updated += cursor.rowcount
    return updated


def row_params(objs, fields, connection, *, add: bool) -> list:
    """The values of `fields` of each object, row after row, as the database takes them (what
    Django's own save writes: `pre_save`, then `get_db_prep_save`)."""
    return [
        field.get_db_prep_save(field.pre_save(obj, add=add), connection)
        for obj in objs
        for field in fields
    ]


def insert_new(model: type[Model], objs: Iterable[Model], *, unique: list[str]) -> int:
    """Insert the instances whose `unique` fields (a unique constraint) are not taken yet, in one
    `INSERT … ON CONFLICT DO NOTHING RETURNING` per batch (PostgreSQL, SQLite 3.35+); returns how
    many were inserted. `bulk_create(ignore_conflicts=True)` cannot tell, so callers read the
    existing rows first: one more round trip in every notifying transaction."""
    inserted = 0
    for connection, sql, params in _inserts(model, objs, unique, returning=True):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            inserted += len(cursor.fetchall())
    return inserted


def insert_new_unread(model: type[Model], objs: Iterable[Model], *, unique: list[str]) -> None:
    """`insert_new` for a caller that does not ask how many were new: inside a step's write batch
    the statements go with the next one (engine.write_batch)."""
    from . import write_batch

    for connection, sql, params in _inserts(model, objs, unique, returning=False):
        write_batch.execute(sql, params, using=connection.alias)


def _inserts(model, objs, unique, *, returning: bool):
    objs = list(objs)
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    limit = connection.features.max_query_params
    size = len(objs) if limit is None else max(1, limit // len(fields))
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(opts.get_field(name).column) for name in unique)
    tail = f" RETURNING {quote(opts.pk.column)}" if returning else ""
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        params = row_params(batch, fields, connection, add=True)
        sql = (
            f"INSERT INTO {quote(opts.db_table)} ({columns}) "  # noqa: S608 - quoted names
            f"VALUES {', '.join([row_sql] * len(batch))} ON CONFLICT ({conflict}) DO NOTHING{tail}"
        )
        yield connection, sql, params
