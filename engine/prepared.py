"""Querysets compiled once, run many times: the row locks every case step starts with, the
cases tied to a person that every page's inbox count asks for, a person's own cycle on the home
page.

Compiling a wide `select_related` queryset (or a union of annotated ones) to SQL costs the ORM
more CPU than the database spends answering it (about a millisecond each for the case row and
its open tasks, on every step; ~3 ms for the person's cases). `Prepared` compiles the queryset
once per thread with a marker in place of its one parameter (wherever it appears), then runs
the same SQL with the real value: `fetch` builds the instances the way Django's ModelIterable
does (select_related included), `rows` returns the rows of a values_list query as they come.

On PostgreSQL a build may filter on `<field>__any_of=value`: `field = ANY(%s)`, a list of any
length in one parameter, so rows by their ids (the inbox's page, the objects its steps are about)
are one compiled query whatever their number (`ByIds`).
"""

from __future__ import annotations

import threading

from django.db import connection
from django.db.models import Field, ForeignObject, Lookup, Q
from django.db.models.query import get_related_populators

from . import write_batch

_MARKER = -918_273_645


@Field.register_lookup
class AnyOf(Lookup):
    """`field = ANY(%s)` with the list as one parameter (PostgreSQL only)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [value]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


# a foreign key's lookups stop at ForeignObject (not Field's): `<fk>_id__any_of` needs its own
ForeignObject.register_lookup(AnyOf)


def any_of(field: str, values) -> Q:
    """`field` among `values`: one array parameter on PostgreSQL whatever their number (a long
    IN list is a parameter each to send and to plan), an IN list elsewhere."""
    lookup = "any_of" if connection.vendor == "postgresql" else "in"
    return Q(**{f"{field}__{lookup}": list(values)})


class ByIds:
    """{pk: object} of `queryset()` for a list of ids: one query compiled once per process on
    PostgreSQL (`pk = ANY(%s)`), the ORM's in_bulk elsewhere."""

    def __init__(self, queryset):
        self.queryset = queryset
        self._prepared = Prepared(lambda ids: queryset().filter(pk__any_of=ids))

    def fetch(self, ids) -> dict:
        ids = list(ids)
        if not ids:
            return {}
        if connection.vendor == "postgresql":
            return {obj.pk: obj for obj in self._prepared.fetch(ids)}
        return self.queryset().in_bulk(ids)


class Prepared:
    def __init__(self, build):
        """`build(value)` returns the queryset for one value of its single parameter."""
        self.build = build
        self._local = threading.local()

    def _state(self):
        state = getattr(self._local, "state", None)
        if state is None:
            queryset = self.build(_MARKER)
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            params = list(params)
            state = {
                "db": queryset.db,
                "connection": compiler.connection,
                "sql": sql,
                "params": params,
                "slots": [i for i, p in enumerate(params) if p == _MARKER],
            }
            klass_info, select = compiler.klass_info, compiler.select
            if klass_info is not None:  # a query of model instances (not values, not a union)
                start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
                state |= {
                    "converters": compiler.get_converters([s[0] for s in select]),
                    "model": klass_info["model"],
                    "start": start,
                    "end": end,
                    "init_list": [f[0].target.attname for f in select[start:end]],
                    "populators": get_related_populators(klass_info, select, queryset.db),
                    "annotations": list(compiler.annotation_col_map.items()),
                }
            self._local.state = state
        return state

    def fetch(self, value) -> list:
        return fetch_together((self, value))[0]

    def rows(self, value) -> list[tuple]:
        """The rows as the database returns them (no converters: for plain columns)."""
        state = self._state()
        with state["connection"].cursor() as cursor:
            cursor.execute(state["sql"], _params(state, value))
            return cursor.fetchall()

    def _objects(self, state, rows) -> list:
        connection = state["connection"]
        converters = state["converters"].items()
        model, db, start, end = state["model"], state["db"], state["start"], state["end"]
        objects = []
        for row in rows:
            row = list(row)
            for pos, (functions, expression) in converters:
                value = row[pos]
                for function in functions:
                    value = function(value, expression, connection)
                row[pos] = value
            obj = model.from_db(db, state["init_list"], row[start:end])
            for populator in state["populators"]:
                populator.populate(row, obj)
            for name, pos in state["annotations"]:
                setattr(obj, name, row[pos])
            objects.append(obj)
        return objects


def _params(state, value) -> list:
    params = list(state["params"])
    for slot in state["slots"]:
        params[slot] = value
    return params


def fetch_together(*fetches) -> list[list]:
    """Run `(prepared, value)` fetches of one database in order, in one round trip where the
    driver allows it (each statement's row locks are taken in that order, as one by one)."""
    states = [(prepared, prepared._state(), value) for prepared, value in fetches]
    connection = states[0][1]["connection"]
    statements = []
    for _prepared, state, value in states:
        statements.append((state["sql"], _params(state, value)))
    results = []
    with connection.cursor() as cursor:
        if len(statements) > 1 and write_batch.can_join(connection):
            cursor.execute(
                "; ".join(sql for sql, _ in statements), [p for _, ps in statements for p in ps]
            )
            for i, (prepared, state, _value) in enumerate(states):
                if i:
                    cursor.cursor.nextset()
                results.append(prepared._objects(state, cursor.fetchall()))
        else:
            for (prepared, state, _value), (sql, params) in zip(states, statements, strict=True):
                cursor.execute(sql, params)
                results.append(prepared._objects(state, cursor.fetchall()))
    return results
