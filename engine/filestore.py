"""Files that belong to a database row live only as long as the row: a file written inside a
transaction that rolls back (a submission refused after its first file was stored) is deleted.

Files are written at once, so the rest of the transaction (and a test) can read them; each one
registers an on_commit marker. Django has no rollback hook, but a rolled-back transaction or
savepoint drops its on_commit callbacks: a file whose marker neither ran nor is still queued
belongs to a transaction that rolled back. That is checked when a request or a Celery task
finishes, and before each new file is written."""

from __future__ import annotations

import threading

from django.db import DEFAULT_DB_ALIAS, transaction

_local = threading.local()


class _Committed:
    __slots__ = ("done",)

    def __init__(self):
        self.done = False

    def __call__(self):
        self.done = True


def _pending() -> list:
    if not hasattr(_local, "pending"):
        _local.pending = []
    return _local.pending


def save(field_file, name: str, content, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write `content` into a FileField's file (without saving the row), to be removed again
    if the surrounding transaction does not commit."""
    discard_rolled_back()
    field_file.save(name, content, save=False)
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return  # autocommit: the row is saved right after, nothing to roll back
    marker = _Committed()
    transaction.on_commit(marker, using=using)
    _pending().append((connection, field_file.storage, field_file.name, marker))


def discard_rolled_back(**_signal_kwargs) -> int:
    """Delete the files of transactions that rolled back; returns how many."""
    pending = _pending()
    if not pending:
        return 0
    keep, deleted = [], 0
    for entry in pending:
        connection, storage, name, marker = entry
        if marker.done:
            continue
        if any(func is marker for _sids, func, _robust in connection.run_on_commit):
            keep.append(entry)  # its transaction is still open
            continue
        storage.delete(name)
        deleted += 1
    _local.pending = keep
    return deleted
