"""Process-local copies of small tables that every transaction reads and administrators rarely
change (the separation-of-duties rules), kept correct across processes without a round trip.

A `SharedMemo` holds what `load()` returned. On PostgreSQL every database connection of the
process LISTENs on one channel; a change to the table (post_save/post_delete → `changed`) sends
`pg_notify` in the changing transaction, which PostgreSQL delivers to every listening session when,
and only if, that transaction commits. psycopg reads the notice with the next result on the
connection and the memo forgets its copy, so the next read loads the committed rows. Nothing is
asked per read: no query, no cache round trip.

The process that made the change reads the table itself until it commits (it sees its own
uncommitted rows; a rollback leaves it reading the table: correct, only slower). A new connection
forgets every copy (notices sent while nobody listened are lost). Elsewhere than on PostgreSQL
the table is read every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.signals import connection_created

CHANNEL = "engine_memo"
MEMOS: dict[str, SharedMemo] = {}


class SharedMemo:
    def __init__(self, name: str, load: Callable[[], Any]):
        self.name = name
        self.load = load
        self._value: Any = None
        self._loaded = False
        self._bypass = False
        MEMOS[name] = self

    def get(self) -> Any:
        if self._bypass or not _listening(default_connection):
            return self.load()
        if not self._loaded:
            self._value, self._loaded = self.load(), True
        return self._value

    def forget(self) -> None:
        self._value, self._loaded = None, False

    def changed(self, **kwargs) -> None:
        """Connect to post_save/post_delete of the table: every process forgets its copy when
        this transaction commits."""
        self.forget()
        self._bypass = True
        if default_connection.vendor == "postgresql":
            with default_connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, self.name])
        transaction.on_commit(self._settle, robust=True)

    def _settle(self) -> None:
        self.forget()
        self._bypass = False


def _listening(connection) -> bool:
    conn = connection.connection
    return conn is not None and getattr(conn, "_engine_memo_listening", False)


def _on_notice(notice) -> None:
    if notice.channel == CHANNEL:
        memo = MEMOS.get(notice.payload)
        if memo is not None:
            memo.forget()


def listen(sender, connection, **kwargs) -> None:
    """connection_created: listen for changes, and forget what may have changed unheard."""
    if connection.vendor != "postgresql" or connection.alias != default_connection.alias:
        return
    for memo in MEMOS.values():
        memo.forget()
    conn = connection.connection
    if getattr(conn, "_engine_memo_listening", False):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LISTEN {CHANNEL}")
    conn.add_notify_handler(_on_notice)
    conn._engine_memo_listening = True


connection_created.connect(listen, dispatch_uid="engine.memo.listen")
