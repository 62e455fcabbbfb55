"""The human work a cycle waits for at its stage, for its step table (flows.CycleFlow).

At each stage a person may leave by hand the subject's owner (the person of a teacher's or a
student's cycle, else the leader seat of its unit) has one thing to do, in this order:
fill the gap (target and standard stages: no item in force linked; the plan must set one),
write the self-diagnosis report (diagnose: its document gate unmet), add the evidence the
stage's gates still miss (documents and decisions; data comes from approved readings), or
decide to move on. 预警 and 改进 wait for the warnings' and improvements' own steps; 改进 (the
end of the large loop) waits for nothing: the next cycle has opened.

`prime(cycles)` works this out for a batch of cycles in a constant number of queries (the
batched stage moves and the opening of a period call it); the table's conditions read the
result. The gates met by linked objects are those of `selectors.cycle_links`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from engine import deadlines, steps
from workflows.review.models import (
    PersonalReport,
    PersonalStatus,
    ReviewConclusion,
    SelfDiagnosisReport,
)

from .models import (
    DECISION_STAGES,
    NEXT_STAGE,
    Cycle,
    CycleDecision,
    CycleEvidence,
    CycleStandard,
    CycleTarget,
    DecisionStatus,
    EvidenceKind,
    Period,
    PeriodKind,
    Stage,
    StageGate,
)

GAP, REPORT, EVIDENCE, DECIDE = "gap", "report", "evidence", "decide"
# the stages a person moves on from by hand: each waits for one of the kinds of work above
WAITING_STAGES = tuple(NEXT_STAGE)
DEADLINE_KIND = "cycle.stage"
deadlines.register_kind(DEADLINE_KIND, label=_("Improvement cycle stage"))


def _diagnosed_states():
    from .selectors import DIAGNOSED_STATES

    return DIAGNOSED_STATES


def prime(cycles) -> None:
    """Set `_work` on each cycle (None: nothing human waits at its stage). The cycles come with
    their subject (select_related). Nine queries at most (the ninth: the periods' kinds when
    a gate holds for one kind and the periods did not come with the cycles), however many cycles."""
    cycles = list(cycles)
    waiting = [c for c in cycles if c.stage in NEXT_STAGE]
    for c in cycles:
        c._work = None
    if not waiting:
        return
    ids = [c.pk for c in waiting]
    stages = {c.stage for c in waiting}
    with_targets = with_standards = set()
    if Stage.TARGET in stages:
        with_targets = set(
            CycleTarget.objects.filter(cycle_id__in=ids).values_list("cycle_id", flat=True)
        )
    if Stage.STANDARD in stages:
        with_standards = set(
            CycleStandard.objects.filter(cycle_id__in=ids).values_list("cycle_id", flat=True)
        )
    gates: dict[tuple[str, str], list[StageGate]] = {}
    for gate in StageGate.objects.filter(
        level__in={c.level for c in waiting}, stage__in=stages
    ).exclude(kind=EvidenceKind.DATA):
        gates.setdefault((gate.level, gate.stage), []).append(gate)
    # a gate of one kind of period (a personal report's: the year's) needs the cycles' kinds
    kinds = {}
    if any(g.period_kind for found in gates.values() for g in found):
        unread = {c.period_id for c in waiting if not Cycle.period.is_cached(c)}
        if unread:
            kinds = dict(Period.objects.filter(pk__in=unread).values_list("pk", "kind"))

    def kind_of(cycle):
        return cycle.period.kind if Cycle.period.is_cached(cycle) else kinds.get(cycle.period_id)

    given = set(CycleEvidence.objects.filter(cycle_id__in=ids).values_list("cycle_id", "gate_id"))
    # the unit's own report and the review's conclusion meet the diagnose and incentive gates
    reviewed = [
        c
        for c in waiting
        if c.stage in (Stage.DIAGNOSE, Stage.INCENTIVE) and c.subject.subject_unit_id is not None
    ]
    diagnosed = concluded = set()
    if reviewed:
        units = {c.subject.subject_unit_id for c in reviewed}
        codes = {c.period.code for c in reviewed}
        diagnosed = set(
            SelfDiagnosisReport.objects.filter(
                org_unit_id__in=units, period__in=codes, status__in=_diagnosed_states()
            ).values_list("org_unit_id", "period")
        )
        concluded = set(
            ReviewConclusion.objects.filter(
                report__org_unit_id__in=units, report__period__in=codes
            ).values_list("report__org_unit_id", "report__period")
        )
    # a teacher's or a student's approved personal report meets their diagnose gate
    personally = set()
    if Stage.DIAGNOSE in stages:
        personally = set(
            PersonalReport.objects.filter(
                cycle_id__in=ids, status=PersonalStatus.APPROVED
            ).values_list("cycle_id", flat=True)
        )
    # approved decisions (rewards, training taken, measures adopted) meet the large loop's
    decided = set()
    if stages & set(DECISION_STAGES):
        decided = set(
            CycleDecision.objects.filter(
                cycle_id__in=ids, status=DecisionStatus.APPROVED
            ).values_list("cycle_id", "stage")
        )
    for c in waiting:
        key = (c.subject.subject_unit_id, c.period.code)
        by_links = {
            (Stage.TARGET, EvidenceKind.DECISION): c.pk in with_targets,
            (Stage.STANDARD, EvidenceKind.DOCUMENT): c.pk in with_standards,
            (Stage.DIAGNOSE, EvidenceKind.DOCUMENT): key in diagnosed or c.pk in personally,
            (Stage.INCENTIVE, EvidenceKind.DECISION): key in concluded
            or (c.pk, Stage.INCENTIVE) in decided,
            (Stage.LEARN, EvidenceKind.DECISION): (c.pk, Stage.LEARN) in decided,
            (Stage.INNOVATE, EvidenceKind.DECISION): (c.pk, Stage.INNOVATE) in decided,
        }
        missing = [
            g
            for g in gates.get((c.level, c.stage), [])
            if g.applies_to(kind_of(c))
            and (c.pk, g.pk) not in given
            and not by_links.get((g.stage, g.kind))
        ]
        # a person's report is written on their yearly cycle alone (workflows.review.personal):
        # a term's diagnosis is evidence added to the term's cycle
        reports = c.subject.subject_user_id is None or kind_of(c) == PeriodKind.YEAR
        if (c.stage == Stage.TARGET and c.pk not in with_targets) or (
            c.stage == Stage.STANDARD and c.pk not in with_standards
        ):
            c._work = GAP
        elif (
            c.stage == Stage.DIAGNOSE
            and reports
            and any(g.kind == EvidenceKind.DOCUMENT for g in missing)
        ):
            c._work = REPORT
        elif missing:
            c._work = EVIDENCE
        else:
            c._work = DECIDE


def work_of(cycle) -> str | None:
    if not hasattr(cycle, "_work"):
        prime([cycle])
    return cycle._work


def owner(cycle):
    """Who does a cycle's work: the person of a personal cycle, the team leader's seat of a
    major or course (专业带头人 / 课程负责人), else the leader seat of its unit."""
    from .flows import responder

    return responder(cycle.subject, cycle.responsible_unit)


def sync_deadlines(cycles) -> None:
    """A stage that waits for its owner runs the stage deadline (the stuck threshold, in
    working days) from the move; any other stage has none. Two statements per batch."""
    waiting = [c for c in cycles if getattr(c, "_work", None)]
    idle = [c.pk for c in cycles if not getattr(c, "_work", None)]
    if idle:
        deadlines.deadline_cancel_many(model=Cycle, object_ids=idle, kind=DEADLINE_KIND)
    if waiting:
        deadlines.deadline_start_many(
            kind=DEADLINE_KIND,
            specs=[
                deadlines.DeadlineSpec(
                    obj=c,
                    owner_unit=c.responsible_unit,
                    owner_user=c.subject.subject_user if c.subject.subject_user_id else None,
                    working_days=settings.MONITORING_CYCLE_STUCK_WORKING_DAYS,
                    start=c.stage_changed_at,
                )
                for c in waiting
            ],
        )


def _open_step_names(cycle) -> list[str]:
    from .flows import CycleFlow

    tasks = Task.objects.filter(
        process__flow_class=CycleFlow,
        process__status=PROCESS.NEW,
        process__artifact_content_type=ContentType.objects.get_for_model(Cycle),
        process__artifact_object_id=cycle.pk,
        status__in=steps.OPEN,
    )
    return [t.flow_task.step.name for t in tasks]


def refresh(cycle, *, actor=None, outcome: str = "") -> None:
    """After the cycle's links, evidence or report changed without a move (in the caller's
    transaction): when it now waits for other work, the open step completes as `actor` and
    the new one opens."""
    from .flows import CycleFlow

    prime([cycle])
    step = CycleFlow.table.waiting_step(cycle)
    if _open_step_names(cycle) != ([step.name] if step else []):
        steps.advance(cycle, actor=actor, outcome=outcome)
    # the stage deadline runs from the move (a cycle that predates its flow gets one here)
    sync_deadlines([cycle])


def on_personal_report_saved(sender, instance, **kwargs) -> None:
    """A teacher's or a student's own report approved (or sent back): their diagnosing cycle's
    work changes between writing the report and deciding."""
    cycle = (
        Cycle.objects.filter(pk=instance.cycle_id, stage=Stage.DIAGNOSE)
        .select_related("subject__subject_user", "period", "responsible_unit")
        .first()
    )
    if cycle is not None:
        refresh(cycle, outcome="report")


def on_report_saved(sender, instance, **kwargs) -> None:
    """A unit's self-diagnosis report approved (or sent back): its diagnosing cycle's work
    changes between writing the report and deciding."""
    cycles = Cycle.objects.filter(
        subject__subject_unit_id=instance.org_unit_id,
        period__code=instance.period,
        stage=Stage.DIAGNOSE,
    ).select_related("subject__subject_user", "period", "responsible_unit")
    for cycle in cycles:
        refresh(cycle, outcome="report")
