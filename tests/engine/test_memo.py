"""The separation-of-duties rules are read from memory on the hot path (engine.memo) and still
follow every change: another process's committed change through PostgreSQL's NOTIFY, this
process's own change at once."""

from unittest import mock

import psycopg
import pytest
from django.db import connection

from engine import duties, memo
from engine.models import DutyRule


def _rule(**fields):
    return DutyRule.objects.create(
        process="memo-test", earlier_step="a", later_step="b", description="test", **fields
    )


def test_a_change_in_this_process_counts_at_once(db):
    assert duties.rules_for("memo-test", "b") == []
    rule = _rule()
    assert duties.rules_for("memo-test", "b") == [rule]
    rule.is_active = False
    rule.save()
    assert duties.rules_for("memo-test", "b") == []


@pytest.fixture
def memo_reset():
    yield
    # the flush after a transactional test empties the table without a signal: read it again
    duties._rules.forget()
    duties._rules._bypass = True


@pytest.mark.django_db(transaction=True)
def test_another_processes_committed_change_counts_without_a_query_per_read(
    django_assert_num_queries, memo_reset
):
    if connection.vendor != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    duties._rules._bypass = False  # as in a process that changed nothing
    rule = _rule(is_active=False)
    duties._rules._bypass = False
    duties._rules.forget()
    assert duties.rules_for("memo-test", "b") == []
    with django_assert_num_queries(0):
        assert duties.rules_for("memo-test", "b") == []
    # another process (its own connection) activates the rule and commits
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=False) as other:
        other.execute("UPDATE engine_dutyrule SET is_active = true WHERE id = %s", [rule.pk])
        other.execute("SELECT pg_notify(%s, %s)", [memo.CHANNEL, "duty-rules"])
        assert duties.rules_for("memo-test", "b") == []  # not committed: not seen
        other.commit()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # any statement brings the notice in
    assert [r.pk for r in duties.rules_for("memo-test", "b")] == [rule.pk]


def test_a_batch_reads_a_table_once_and_again_after_a_change_in_it(db):
    loads = []
    counted = memo.SharedMemo("memo-test-batch", lambda: loads.append(1) or len(loads))
    try:
        with memo.one_copy():
            assert counted.get() == counted.get() == 1
            with memo.one_copy():
                assert counted.get() == 1
            counted.changed()
            assert counted.get() == counted.get() == 2  # changed here: read once again
            counted.changed()
            assert counted.get() == 3
        assert counted.get() == 4  # outside the batch, in the changing transaction: every read
    finally:
        del memo.MEMOS["memo-test-batch"]


def test_a_change_rolled_back_stops_the_reading_once_the_transaction_is_over(db):
    """A changing transaction reads its table itself until it commits; a rollback never commits,
    so the memo settles at its first read outside any transaction instead."""
    loads = []
    counted = memo.SharedMemo("memo-test-rollback", lambda: loads.append(1) or len(loads))
    try:
        counted.changed()
        # the test's transaction is the changing one: it reads the table on every lookup
        counted.get()
        counted.get()
        assert len(loads) == 2
        with mock.patch.object(connection, "in_atomic_block", False):
            counted.get()
        assert not counted._bypass
    finally:
        del memo.MEMOS["memo-test-rollback"]
