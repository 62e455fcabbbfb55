"""The one way a cycle changes stage: its FSM transition, then one save, state log and audit.

A person's advance and the batched paths (an evaluation run raising warnings for thousands of
subjects) go through the same function, so every move is checked by the transition's source
states, written to django-fsm-log's StateLog and to the audit trail, set-based: the cycles are
locked in one query, saved in one bulk update, logged and audited with one insert each.
The cycle's step (flows.CycleFlow) follows in the same transaction: one cycle through
`steps.advance` (its open task completed by the actor), a batch set-wise (engine.step_rows);
so does the stage deadline (cycle_steps.sync_deadlines).
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.audit import request_ip
from accounts.models import AuditEntry
from engine import bulk, step_rows, steps

from . import cycle_steps
from .models import Cycle

BATCH = 1000


def cycles_move(cycles, transition: str, *, actor=None, reason: str = "", args=()) -> list[Cycle]:
    """Fire `transition` on each cycle (locked by the caller, or passed as a queryset that this
    locks) and persist the moves. A cycle the transition does not leave raises
    TransitionNotAllowed: callers select only the cycles the move applies to."""
    if hasattr(cycles, "select_for_update"):
        cycles = list(
            cycles.select_related("subject__subject_user", "period", "responsible_unit")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
    if not cycles:
        return []
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(Cycle)
    by = actor if actor is not None and actor.is_authenticated else None
    ip = request_ip.get()
    logs, audits = [], []
    for cycle in cycles:
        source = cycle.stage
        getattr(cycle, transition)(*args)
        cycle.stage_changed_at = now
        logs.append(
            StateLog(
                timestamp=now,
                by=by,
                source_state=source,
                state=cycle.stage,
                transition=transition,
                content_type=content_type,
                object_id=cycle.pk,
                description=reason or None,
            )
        )
        audits.append(
            AuditEntry(
                actor=by,
                action=f"cycle.{transition}",
                content_type=content_type,
                object_id=str(cycle.pk),
                object_repr=str(cycle)[:200],
                before={"stage": source},
                after={"stage": cycle.stage, "reason": reason},
                ip=ip,
            )
        )
    with transaction.atomic():
        # one UPDATE … FROM (VALUES …) per batch: bulk_update's CASE per row costs a
        # millisecond of Python per cycle
        bulk.update_rows(Cycle, cycles, ["stage"], same={"stage_changed_at": now})
        StateLog.objects.bulk_create(logs, batch_size=BATCH)
        AuditEntry.objects.bulk_create(audits, batch_size=BATCH)
        _follow(cycles, transition, by)
    return cycles


def _outcome(cycle, transition: str) -> str:
    # a move by hand names the stage it reached on the progress line (CycleFlow.outcome_label)
    return f"{transition}:{cycle.stage}" if transition == "advance" else transition


def _follow(cycles, transition: str, actor) -> None:
    """Close the step each cycle waited for and open the one its new stage waits for."""
    for start in range(0, len(cycles), BATCH):
        batch = cycles[start : start + BATCH]
        cycle_steps.prime(batch)
        if len(cycles) == 1:
            steps.advance(batch[0], actor=actor, outcome=_outcome(batch[0], transition))
        else:
            by_outcome = defaultdict(list)
            for cycle in batch:
                by_outcome[_outcome(cycle, transition)].append(cycle.pk)
            for outcome, pks in by_outcome.items():
                step_rows.close_many(Cycle, pks, actor=actor, outcome=outcome)
            waiting = [c for c in batch if c._work]
            if waiting:
                step_rows.open_many(waiting)
        cycle_steps.sync_deadlines(batch)
