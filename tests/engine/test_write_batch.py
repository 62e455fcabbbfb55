"""engine.write_batch: writes nobody reads back go with the next statement, in order, and are
never lost (a savepoint after them, a failure among them)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.audit import audit_record
from accounts.models import AuditEntry
from engine import write_batch

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="batches need PostgreSQL (elsewhere: at once)"
)


@postgres_only
def test_waiting_writes_go_with_the_next_statement_which_sees_them(cast):
    unit = cast.units.rj
    ContentType.objects.get_for_model(unit)  # cached, as in a warm process
    with CaptureQueriesContext(connection) as captured, write_batch.batch():
        audit_record(actor=cast.quality_officer, action="test.one", obj=unit)
        entry = audit_record(actor=cast.quality_officer, action="test.two", obj=unit)
        assert entry.pk is None  # waiting: nobody may need its id
        seen = AuditEntry.objects.filter(action__startswith="test.").count()
    assert seen == 2
    assert len(captured) == 1, [q["sql"] for q in captured.captured_queries]


@postgres_only
def test_what_waits_at_the_end_of_the_batch_is_written(cast):
    with write_batch.batch():
        audit_record(actor=None, action="test.end", obj=cast.units.rj)
    assert AuditEntry.objects.filter(action="test.end").count() == 1


def test_outside_a_batch_a_write_runs_at_once(cast):
    entry = audit_record(actor=None, action="test.now", obj=cast.units.rj)
    assert entry.pk is not None


@postgres_only
def test_a_savepoint_after_waiting_writes_does_not_take_them_with_its_rollback(cast):
    with write_batch.batch():
        audit_record(actor=None, action="test.before", obj=cast.units.rj)
        try:
            with transaction.atomic():
                audit_record(actor=None, action="test.inside", obj=cast.units.rj)
                raise RuntimeError
        except RuntimeError:
            pass
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {"test.before"}
    assert not AuditEntry.objects.filter(action="test.inside").exists()


@postgres_only
def test_a_failing_waiting_write_fails_the_block_and_nothing_of_it_stays(cast):
    with pytest.raises(DatabaseError), transaction.atomic(), write_batch.batch():
        audit_record(actor=None, action="test.lost", obj=cast.units.rj)
        write_batch.execute("UPDATE no_such_table SET x = %s", [1])
        cast.units.rj.refresh_from_db()
    assert not AuditEntry.objects.filter(action="test.lost").exists()
