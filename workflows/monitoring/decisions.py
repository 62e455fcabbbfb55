"""Decisions on a cycle's large loop: rewards (评优 recommendations) on 激励, training taken on
学习, measures adopted on 创新 (seed 001 图11–14: 诊断 → 激励 → 学习 → 创新 → 改进).

Who recommends: whoever answers for the subject (the person, for a teacher's or a student's own
cycle; the unit's staff; a student's class adviser). Who decides: the kind says (data: the
committee, recorded by its chair; the department leader; the quality office). Nobody decides
their own proposal or a matter about themselves (engine.duties rules, process
"monitoring.decision"). An approved decision meets its stage's gate (selectors.cycle_links).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from accounts import access
from accounts.audit import audit_record
from accounts.models import Role
from engine import attachments, duties, steps

from . import access_rules, engine_bridge
from .models import (
    Cycle,
    CycleDecision,
    Decider,
    DecisionKind,
    DecisionStatus,
    Stage,
)

PROCESS = "monitoring.decision"
STEPS = {
    "propose": gettext_lazy("Proposed the decision"),
    "subject": gettext_lazy("Is the person the decision is about"),
    "decide": gettext_lazy("Decide"),
}


def _people(decision, step: str):
    if step == "propose":
        return {decision.proposed_by_id}
    if step == "subject":
        person = decision.cycle.subject.subject_user_id
        return {person} if person else set()
    if step == "decide":
        return {decision.decided_by_id} if decision.decided_by_id else set()
    return set()


def register():
    duties.register(
        duties.Process(
            key=PROCESS, label=gettext_lazy("Cycle decision"), steps=STEPS, people=_people
        )
    )
    # a decision's documents (a certificate, the measure's write-up) are read as its cycle is
    attachments.register_access(
        CycleDecision,
        can_view=lambda user, d: access_rules.can_view(user, d.cycle) or may_decide(user, d),
    )


def kinds_for(cycle: Cycle):
    return DecisionKind.objects.filter(is_active=True).filter(Q(level="") | Q(level=cycle.level))


def can_propose(user, cycle: Cycle) -> bool:
    return cycle.stage != Stage.IMPROVED and (
        access_rules.can_run_cycle(user, cycle) or access_rules.can_respond(user, cycle)
    )


def decider_seat(decision: CycleDecision) -> steps.Seat:
    decider = decision.kind.decider
    if decider == Decider.COMMITTEE:
        return steps.office_seat(Role.COMMITTEE_CHAIR)
    if decider == Decider.DEPARTMENT_LEADER:
        return steps.leader_seat(decision.cycle.responsible_unit)
    return steps.office_seat(Role.QUALITY_OFFICER)


def may_decide(user, decision: CycleDecision) -> bool:
    if not access.is_active_user(user):
        return False
    seat = decider_seat(decision)
    if not steps.holds(user, seat.permission, seat.unit.pk):
        return False
    return duties.refusal(process_key=PROCESS, step="decide", actor=user, obj=decision) is None


@transaction.atomic
def cycle_decision_propose(
    *, actor, cycle: Cycle, kind: DecisionKind, title: str, grounds: str, file=None
) -> CycleDecision:
    cycle = Cycle.objects.select_related("subject", "responsible_unit").get(pk=cycle.pk)
    if not access_rules.can_view(actor, cycle) or not can_propose(actor, cycle):
        raise PermissionDenied
    if not kinds_for(cycle).filter(pk=kind.pk).exists():
        raise ValidationError({"kind": _("This kind of decision does not apply to this level.")})
    title, grounds = (title or "").strip(), (grounds or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("Say what is recommended or recorded.")
    if not grounds:
        errors["grounds"] = _("Give the grounds.")
    if errors:
        raise ValidationError(errors)
    if file:
        engine_bridge.validate_upload(file)
    decision = CycleDecision.objects.create(
        cycle=cycle,
        kind=kind,
        stage=kind.stage,
        title=title[:200],
        grounds=grounds,
        proposed_by=actor,
    )
    if file:
        engine_bridge.attach_file(actor=actor, obj=decision, upload=file)
    steps.start(decision)
    audit_record(
        actor=actor,
        action="cycle.decision.propose",
        obj=decision,
        after={"cycle": cycle.pk, "kind": kind.name, "title": title[:200], "grounds": grounds},
    )
    return decision


@transaction.atomic
def cycle_decision_decide(
    *, actor, decision: CycleDecision, approve: bool, note: str = ""
) -> CycleDecision:
    decision = (
        CycleDecision.objects.select_for_update(of=("self",))
        .select_related("kind", "cycle__subject", "cycle__responsible_unit")
        .get(pk=decision.pk)
    )
    rule = duties.refusal(process_key=PROCESS, step="decide", actor=actor, obj=decision)
    seat = decider_seat(decision)
    if not access.is_active_user(actor) or not steps.holds(actor, seat.permission, seat.unit.pk):
        raise PermissionDenied
    if rule is not None:
        raise duties.DutyRefused(rule)
    transition = decision.approve if approve else decision.reject
    if not can_proceed(transition):
        raise ValidationError(
            _("This decision was already taken: %(status)s.")
            % {"status": decision.get_status_display()}
        )
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why it is not approved.")})
    transition(by=actor)
    decision.note = note[:500]
    decision.save()
    steps.advance(decision, actor=actor, outcome=decision.status)
    if approve and decision.cycle.stage == decision.stage:
        # the gate it meets may be the last one the cycle's own step waited for
        from .cycle_steps import refresh

        refresh(decision.cycle, actor=actor, outcome="evidence")
    audit_record(
        actor=actor,
        action="cycle.decision.approve" if approve else "cycle.decision.reject",
        obj=decision,
        before={"status": DecisionStatus.PROPOSED},
        after={"status": decision.status, "note": decision.note},
    )
    return decision
