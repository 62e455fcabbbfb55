"""Monitoring's human steps as step tables (engine.steps): a reading's approval, a warning's
acknowledgement, an improvement's submission and effectiveness sign-off, and the work each
stage of an improvement cycle waits for (cycle_steps)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, Role
from engine import calendar, steps

from . import cycle_steps
from .engine_bridge import DEADLINE_KIND
from .models import (
    NEXT_STAGE,
    Cycle,
    CycleDecision,
    DecisionStatus,
    Improvement,
    ImprovementStatus,
    Reading,
    ReadingStatus,
    Stage,
    Warning,
    WarningStatus,
)


def _approver(reading):
    indicator = reading.indicator
    return indicator.approver or steps.leader_seat(indicator.data_owner_unit)


def _signer(improvement):
    """The unit's leader checks the work, unless the leader is the one who did it and nobody
    else holds the seat (can_sign_off refuses one's own work): then the quality office, standing
    in for the unit (nobody there may sign it off)."""
    seat = steps.leader_seat(improvement.responsible_unit)
    holders = [u.pk for u in steps.seat_holders(seat)[:2]]
    if improvement.owner_id is not None and holders == [improvement.owner_id]:
        return steps.standing_in(steps.office_seat(Role.QUALITY_OFFICER), seat.unit)
    return seat


def responder(subject, unit: OrgUnit):
    """Who answers for a subject: the person for a personal subject, the team leader of a
    major or course, else the unit's leader (access_rules.can_respond says who else may)."""
    if subject.subject_user_id is not None:
        return subject.subject_user
    if unit.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
        seat = steps.nearest_seat(Role.TEAM_LEADER, unit)
        if seat is not None:
            return seat
    return steps.leader_seat(unit)


class ReadingFlow(steps.StepFlow):
    table = steps.StepTable(
        model=Reading,
        state_field="status",
        process_title=_("Reading approval"),
        summary=lambda r: f"{r.indicator} · {r.subject} · {r.period}",
        url=lambda r: reverse("monitoring:approvals"),
        unit=lambda r: r.indicator.data_owner_unit,
        related=("indicator__data_owner_unit", "indicator__approver", "subject", "period"),
        outcomes=dict(ReadingStatus.choices),
        steps=[
            steps.Step(
                state=ReadingStatus.PENDING,
                name="approve",
                title=_("Approve the reading"),
                who=_approver,
            )
        ],
    )


class WarningFlow(steps.StepFlow):
    table = steps.StepTable(
        model=Warning,
        state_field="status",
        process_title=_("Warning response"),
        summary=lambda w: f"{w.indicator} · {w.subject} · {w.get_level_display()}",
        unit=lambda w: w.responsible_unit,
        related=("indicator", "subject__subject_user", "responsible_unit"),
        outcomes=dict(WarningStatus.choices),
        steps=[
            steps.Step(
                state=WarningStatus.OPEN,
                name="acknowledge",
                title=_("Acknowledge the warning"),
                who=lambda w: responder(w.subject, w.responsible_unit),
                deadline_kind=DEADLINE_KIND,
            )
        ],
    )


class ImprovementFlow(steps.StepFlow):
    table = steps.StepTable(
        model=Improvement,
        state_field="status",
        process_title=_("Improvement"),
        summary=lambda i: f"{i.title} · {i.subject}",
        unit=lambda i: i.responsible_unit,
        related=("subject", "responsible_unit", "owner"),
        outcomes={
            ImprovementStatus.SUBMITTED: _("Submitted with evidence"),
            ImprovementStatus.OPEN: _("Sent back for more work"),
            ImprovementStatus.CLOSED: _("Judged effective and closed"),
        },
        steps=[
            steps.Step(
                state=ImprovementStatus.OPEN,
                name="submit",
                title=_("Carry out the measures and submit the evidence"),
                who=lambda i: i.owner,
                due=lambda i: calendar.end_of_day(i.deadline),
            ),
            steps.Step(
                state=ImprovementStatus.SUBMITTED,
                name="sign_off",
                title=_("Check the effectiveness"),
                who=_signer,
            ),
        ],
    )


# The cycle's large-loop decisions (workflows.monitoring.decisions: rewards, training taken,
# measures adopted); kept at the end of this file as their own table.
class CycleDecisionFlow(steps.StepFlow):
    table = steps.StepTable(
        model=CycleDecision,
        state_field="status",
        process_title=_("Cycle decision"),
        summary=lambda d: f"{d.kind} · {d.title} · {d.cycle.subject}",
        unit=lambda d: d.cycle.responsible_unit,
        related=("kind", "cycle__subject", "cycle__responsible_unit"),
        outcomes=dict(DecisionStatus.choices),
        steps=[
            steps.Step(
                state=DecisionStatus.PROPOSED,
                name="decide",
                title=_("Decide on the recommendation"),
                who=lambda d: _decider(d),
                # a reward is decided by the body the kind names, not handed on
                personal=True,
            )
        ],
    )


def _decider(decision):
    from .decisions import decider_seat

    return decider_seat(decision)


def _works(kind: str):
    return lambda cycle: cycle_steps.work_of(cycle) == kind


_FIRST, *_OTHERS = cycle_steps.WAITING_STAGES


class CycleFlow(steps.StepFlow):
    table = steps.StepTable(
        model=Cycle,
        state_field="stage",
        process_title=_("Improvement cycle"),
        summary=lambda c: f"{c.subject} · {c.period} · {c.get_stage_display()}",
        unit=lambda c: c.responsible_unit,
        related=("subject__subject_user", "period", "responsible_unit"),
        outcomes={
            "advance": _("Moved on to the next stage"),
            "warn": _("A warning was raised"),
            "start_improving": _("An improvement was opened"),
            "back_to_implementing": _("The last improvement closed"),
            "linked": _("Items in force linked"),
            "evidence": _("Evidence added"),
            "report": _("Self-diagnosis report approved"),
        },
        steps=[
            steps.Step(
                state=Stage.TARGET,
                also=(Stage.STANDARD,),
                name="fill_gap",
                title=_("Fill the gap: have the plan set targets and standards in force"),
                who=cycle_steps.owner,
                when=_works(cycle_steps.GAP),
                deadline_kind=cycle_steps.DEADLINE_KIND,
            ),
            steps.Step(
                state=_FIRST,
                also=tuple(_OTHERS),
                name="add_evidence",
                title=_("Add the evidence the stage needs"),
                who=cycle_steps.owner,
                when=_works(cycle_steps.EVIDENCE),
                deadline_kind=cycle_steps.DEADLINE_KIND,
            ),
            steps.Step(
                state=Stage.DIAGNOSE,
                name="write_report",
                title=_("Write the self-diagnosis report"),
                who=cycle_steps.owner,
                when=_works(cycle_steps.REPORT),
                deadline_kind=cycle_steps.DEADLINE_KIND,
            ),
            steps.Step(
                state=_FIRST,
                also=tuple(_OTHERS),
                name="decide",
                title=_("Decide and move the cycle on"),
                who=cycle_steps.owner,
                when=_works(cycle_steps.DECIDE),
                deadline_kind=cycle_steps.DEADLINE_KIND,
            ),
        ],
    )

    def outcome_label(self, task) -> str:
        code = (task.data or {}).get("outcome", "")
        transition, _sep, stage = code.partition(":")
        if transition == "advance" and stage in Stage.values:
            return _("Moved on to the stage “%(stage)s”") % {"stage": Stage(stage).label}
        return super().outcome_label(task)

    def steps_after(self, names, obj) -> list[str]:
        # the table's steps are the kinds of work a stage may wait for, not a track (a term
        # cycle never writes the year's report): what comes is the stages after this one
        ahead, stage = [], NEXT_STAGE.get(obj.stage)
        while stage is not None:
            ahead.append(str(Stage(stage).label))
            stage = NEXT_STAGE.get(stage)
        return ahead
