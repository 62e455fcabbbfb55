"""Every step table's hand-over costs no more queries than the case step's (issue 14: "the other
processes' steps add at most the queries the case step costs"), measured in the same test on
the seeded demo: completing the open task and opening the next is one locking read and one
write (engine.task_writes), and seats come from memory (engine.memo). What a table's own `who`
reads to decide who acts next (a separation-of-duties look-up, a seat's holders) is the domain's
rule (as is a step's `when`, the table's own condition for waiting), measured apart and
printed."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from accounts.models import User
from cases import flows as case_flows
from cases.models import Case
from engine import memo, steps

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def _queries(step) -> int:
    """The queries of `step()` once warm (a server process is), rolled back after."""
    try:
        with transaction.atomic():
            step()
            with CaptureQueriesContext(connection) as captured:
                step()
            raise _Undo(len(captured))
    except _Undo as done:
        return done.args[0]


def test_every_step_tables_advance_costs_at_most_the_case_steps_queries(seeded):
    # as on a server connection whose LISTEN has committed (inside the test's transaction it
    # cannot): the memos keep what they read, nothing else changes them here
    if connection.vendor != "postgresql":
        pytest.skip("the memos listen for PostgreSQL's NOTIFY")
    connection.ensure_connection()
    connection.connection._engine_memo = "listening"
    memo._forget_all()
    for held in memo.MEMOS.values():
        held._bypass = False
    actor = User.objects.get(username="zgb")
    case = Case.objects.filter(status="submitted", processes__status="NEW").first()
    case_step = _queries(lambda: case_flows.advance(case, actor, "accept", fired=True))
    assert case_step <= 2, "the case step's hand-over: one locking read, one write"
    measured = {}
    for model, flow in steps.REGISTRY.items():
        task = (
            Task.objects.filter(process__flow_class=flow, process__status="NEW")
            .filter(status__in=steps.OPEN)
            .order_by("pk")
            .first()
        )
        assert task is not None, f"the demo has no open {flow.__name__} task to measure"
        obj = model.objects.get(pk=task.process.coerced.artifact_object_id)
        step = flow.table.waiting_step(obj)
        advance = _queries(lambda obj=obj: steps.advance(obj, actor=actor, outcome="done"))
        # the table's rule: which step waits (a step's `when`) and who does it
        who = _queries(
            lambda obj=obj, step=step, table=flow.table: (table.waiting_step(obj), step.who(obj))
        )
        measured[f"{flow.__module__}.{flow.__name__}"] = (advance, who)
    print(f"\ncase step: {case_step} queries")
    for name, (advance, who) in sorted(measured.items()):
        print(f"{name}: {advance} queries, of which {who} the table's own when/who")
    over = {
        name: advance - who
        for name, (advance, who) in measured.items()
        if advance - who > case_step
    }
    assert not over, f"hand-overs dearer than the case step's {case_step} queries: {over}"
    connection.connection._engine_memo = None  # the next test's transaction asks again
