"""Process-local copies of small tables that every transaction reads and administrators rarely
change (the separation-of-duties rules, who holds which seat), kept correct across processes
without a round trip per read.

A `SharedMemo` holds what `load()` returned. On PostgreSQL the process's database connection
LISTENs on one channel (from the first read of any memo on that connection); a change to a
table (post_save/post_delete → `changed`) sends `pg_notify` in the changing transaction, which
PostgreSQL delivers to every listening session when, and only if, that transaction commits.
psycopg reads the notice with the next result on the connection and the memo forgets its copy,
so the next read loads the committed rows. Nothing is asked per read: no query, no cache round
trip.

LISTEN takes effect when its transaction commits: until then (a first read inside a
transaction) the table is read every time, and a connection that starts listening forgets every
copy (notices sent while nobody listened are lost). The process that made a change reads the
table itself until it commits (it sees its own uncommitted rows; a rollback leaves it reading
the table: correct, only slower). Elsewhere than on PostgreSQL the table is read every time.

A batch (`with memo.one_copy():`, as `engine.step_rows.open_many` resolves the seats of
thousands of objects) reads each table at most once even where a copy cannot be kept (inside a
transaction whose LISTEN has not committed): the batch is decided against one copy, as one
statement sees one snapshot, instead of reading the table again per object. A change inside the
batch sends the next read to the table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection as default_connection
from django.db import transaction

CHANNEL = "engine_memo"
MEMOS: dict[str, SharedMemo] = {}
# per thread (a gthread worker serves several requests at once): the copies of one_copy()
_batch = threading.local()


class SharedMemo:
    def __init__(self, name: str, load: Callable[[], Any]):
        self.name = name
        self.load = load
        self._value: Any = None
        self._loaded = False
        self._bypass = False
        MEMOS[name] = self

    def get(self) -> Any:
        if self._bypass and not default_connection.in_atomic_block:
            # the changing transaction is over: committed (settled already) or rolled back
            self._settle()
        if self._bypass or not _listening():
            copies = getattr(_batch, "copies", None)
            if copies is None:
                return self.load()
            if self.name not in copies:
                copies[self.name] = self.load()
            return copies[self.name]
        if not self._loaded:
            self._value, self._loaded = self.load(), True
        return self._value

    def forget(self) -> None:
        self._value, self._loaded = None, False
        copies = getattr(_batch, "copies", None)
        if copies is not None:
            copies.pop(self.name, None)

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


@contextmanager
def one_copy() -> Iterator[None]:
    """Within the block every memo reads its table at most once (see the module's note)."""
    if getattr(_batch, "copies", None) is not None:
        yield  # nested: the outer batch's copies serve
        return
    _batch.copies = {}
    try:
        yield
    finally:
        _batch.copies = None


def _forget_all() -> None:
    for memo in MEMOS.values():
        memo.forget()


def _listening() -> bool:
    """Is this connection listening (its LISTEN committed)? If not, start: the caller reads the
    table this time."""
    if default_connection.vendor != "postgresql":
        return False
    default_connection.ensure_connection()
    conn = default_connection.connection
    state = getattr(conn, "_engine_memo", None)
    if state == "listening":
        return True
    if state == "asked" and default_connection.in_atomic_block:
        return False  # LISTEN waits for this transaction's commit
    # never asked, or asked in a transaction that ended without committing: ask (again)
    conn._engine_memo = "asked"
    with default_connection.cursor() as cursor:
        cursor.execute(f"LISTEN {CHANNEL}")
    if state is None:
        conn.add_notify_handler(_on_notice)

    def listening():
        conn._engine_memo = "listening"
        _forget_all()

    if default_connection.in_atomic_block:
        transaction.on_commit(listening, robust=True)
        return False
    listening()
    return True


def _on_notice(notice) -> None:
    if notice.channel == CHANNEL:
        memo = MEMOS.get(notice.payload)
        if memo is not None:
            memo.forget()
