"""Querysets compiled once, run many times: the row locks every case step starts with.

Compiling a wide `select_related` queryset to SQL costs the ORM more CPU than the database
spends answering it (about a millisecond each for the case row and its open tasks, on every
step). `Prepared` compiles the queryset once per thread with a marker in place of its one
parameter, then runs the same SQL with the real value and builds the instances the way Django's
ModelIterable does (select_related included).
"""

from __future__ import annotations

import threading

from django.db.models.query import get_related_populators

from engine import write_batch

_MARKER = -918_273_645


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
            klass_info, select = compiler.klass_info, compiler.select
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            state = {
                "db": queryset.db,
                "connection": compiler.connection,
                "sql": sql,
                "params": params,
                "slot": params.index(_MARKER),
                "converters": compiler.get_converters([s[0] for s in select]),
                "model": klass_info["model"],
                "start": start,
                "end": end,
                "init_list": [f[0].target.attname for f in select[start:end]],
                "populators": get_related_populators(klass_info, select, queryset.db),
            }
            self._local.state = state
        return state

    def fetch(self, value) -> list:
        return fetch_together((self, value))[0]

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
            objects.append(obj)
        return objects


def fetch_together(*fetches) -> list[list]:
    """Run `(prepared, value)` fetches of one database in order, in one round trip where the
    driver allows it (each statement's row locks are taken in that order, as one by one)."""
    states = [(prepared, prepared._state(), value) for prepared, value in fetches]
    connection = states[0][1]["connection"]
    statements = []
    for _prepared, state, value in states:
        params = list(state["params"])
        params[state["slot"]] = value
        statements.append((state["sql"], params))
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
