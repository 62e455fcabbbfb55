"""Writes whose result nobody reads, sent with the next statement: fewer round trips per step.

A case step writes its history row (django-fsm-log), its audit row, the case row it holds
locked, closes its deadline and queues a notification, and reads nothing back from any of them.
Inside `batch()` those writes (`execute`, `insert`, `update`) wait on the connection and go to
the server in front of the next statement, as one multi-statement query (PostgreSQL with
psycopg's client-side binding, Django's default), or alone when the batch ends. The server runs
them in order, before that statement, in the same transaction: every later read sees them, a
failing one fails the step. What waits is never a row anyone needs the id or the count of.

Elsewhere (no batch open, another database, server-side binding) they run at once.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections, router, transaction
from django.db.models.signals import post_save, pre_save

from .bulk import row_params


def _pending(connection):
    return getattr(connection, "_engine_write_batch", None)


@contextmanager
def batch(using: str = "default"):
    """Hold back `execute` and `insert` writes until the next statement (or the end of the
    block). The block is atomic: if it fails, what waited is dropped with the rest of it."""
    connection = connections[using]
    with transaction.atomic(using=using, savepoint=False):
        if _pending(connection) is not None or not can_join(connection):
            yield  # nested, or a backend that cannot: write as usual
            return
        connection._engine_write_batch = []
        try:
            with connection.execute_wrapper(_carry):
                yield
                _flush(connection)
        finally:
            connection._engine_write_batch = None


def can_join(connection) -> bool:
    """Can several statements with parameters go in one query on `connection`?"""
    if connection.vendor != "postgresql":
        return False
    import psycopg

    connection.ensure_connection()
    return issubclass(connection.connection.cursor_factory, psycopg.ClientCursor)


def is_open(using: str = "default") -> bool:
    """Is a batch open on the connection (writes wait for the next statement)?"""
    return _pending(connections[using]) is not None


def execute(sql: str, params: list, using: str = "default") -> None:
    """Run a write whose row count and result nobody reads (`params` a list: %s placeholders)."""
    connection = connections[using]
    pending = _pending(connection)
    if pending is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    else:
        pending.append((sql, list(params)))


def _waiting_on(obj):
    """(the connection whose batch `obj`'s write may wait in, or None: no batch is open there,
    or the model has save signals, which a waiting write would skip; the database alias)."""
    model = type(obj)
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    if (
        _pending(connection) is None
        or pre_save.has_listeners(model)
        or post_save.has_listeners(model)
    ):
        return None, using
    return connection, using


def insert(obj) -> None:
    """Insert a new model instance nobody needs the primary key of (it stays None while the
    batch is open). A model with save signals is saved as usual: they would be skipped."""
    connection, using = _waiting_on(obj)
    if connection is None:
        obj.save(force_insert=True, using=using)
        return
    opts = type(obj)._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = row_params([obj], fields, connection, add=True)
    _pending(connection).append(
        (f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({placeholders})", params)  # noqa: S608 - names are quoted
    )


def update(obj, fields: list[str]) -> None:
    """Write `fields` of a saved instance whose row this transaction holds locked (SELECT … FOR
    UPDATE): nothing else can change it, so nobody needs the row count. A model with save signals
    is saved as usual."""
    connection, using = _waiting_on(obj)
    if connection is None:
        obj.save(update_fields=fields, using=using)
        return
    opts = type(obj)._meta
    written = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = %s" for f in written)
    params = row_params([obj], written, connection, add=False)
    _pending(connection).append(
        (
            f"UPDATE {quote(opts.db_table)} SET {sets} WHERE {quote(opts.pk.column)} = %s",  # noqa: S608 - names are quoted
            [*params, opts.pk.get_db_prep_save(obj.pk, connection)],
        )
    )


def _send(cursor, waiting) -> None:
    cursor.execute("; ".join(cursor.cursor.mogrify(sql, params) for sql, params in waiting))


def _flush(connection) -> None:
    pending = _pending(connection)
    if pending:
        waiting = list(pending)
        pending.clear()
        with connection.cursor() as cursor:
            _send(cursor, waiting)


def _carry(execute, sql, params, many, context):
    """The execute wrapper: what waits goes in front of this statement, in one query, and the
    cursor is left on this statement's result (its rows and row count)."""
    import psycopg

    connection = context["connection"]
    pending = _pending(connection)
    if not pending:
        return execute(sql, params, many, context)
    cursor = context["cursor"].cursor
    bound_here = isinstance(cursor, psycopg.ClientCursor) and isinstance(params, (list, tuple))
    if many or not bound_here:
        # executemany, SQL written without placeholders (a savepoint), a server-side cursor:
        # what waits goes first, on a cursor of its own
        _flush(connection)
        return execute(sql, params, many, context)
    waiting = list(pending)
    pending.clear()
    # each statement bound on its own (psycopg caches the parsing of statements up to 50
    # parameters, never of the joined one), then sent as one
    merged = "; ".join(cursor.mogrify(s, p) for s, p in [*waiting, (sql, params)])
    result = execute(merged, None, many, context)
    for _ in waiting:
        cursor.nextset()
    return result
