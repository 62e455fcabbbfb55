"""Reads for pages, the API, exports and charts. Each list is one query, filtered by access."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from accounts import access
from accounts.home import Card
from accounts.models import Role
from engine import holders
from engine.calendar import subtract_working_days
from engine.models import Attachment
from workflows.levels import Level
from workflows.plans.models import Task, TaskState
from workflows.review.models import (
    PersonalReport,
    PersonalStatus,
    ReportStatus,
    ReviewConclusion,
    SelfDiagnosisReport,
)

from . import access_rules, hooks
from . import capabilities as caps
from .models import (
    LARGE_LOOP,
    OPEN_WARNING_STATES,
    SMALL_LOOP,
    Cycle,
    CycleDecision,
    CycleEvidence,
    CycleStandard,
    CycleTarget,
    DecisionStatus,
    EvidenceKind,
    Improvement,
    ImprovementStatus,
    Indicator,
    PeriodKind,
    Reading,
    ReadingStatus,
    Stage,
    StageGate,
    Subject,
    Warning,
)


def subjects_for(user):
    return Subject.objects.filter(access_rules.subject_filter(user)).select_related(
        "responsible_unit"
    )


def find_subject(key: str, level: str) -> Subject | None:
    """The subject at a level named by a unit code, a username or a staff number, or else by
    its name (软件技术, 吴芳) when no other subject of the level bears it: people know a major by
    its name, not its code; two courses or two students of one name need the code or number."""
    key = (key or "").strip()
    if not key:
        return None
    at_level = Subject.objects.filter(level=level)
    found = at_level.filter(
        Q(subject_unit__code=key) | Q(subject_user__username=key) | Q(subject_user__staff_no=key)
    ).first()
    if found is not None:
        return found
    named = list(at_level.filter(name=key)[:2])
    return named[0] if len(named) == 1 else None


def warnings_for(user, *, open_only: bool = False):
    qs = Warning.objects.filter(access_rules.owned_filter(user)).select_related(
        "indicator", "subject", "period", "responsible_unit"
    )
    if open_only:
        qs = qs.filter(status__in=OPEN_WARNING_STATES)
    return qs


def improvements_for(user, unit=None):
    scope = access_rules.owned_filter(user)
    if scope and access.is_active_user(user):
        # and what is given to the user to do, as its page lets them in (an empty Q is every
        # row: or-ing it would narrow it to theirs)
        scope |= Q(owner=user)
    qs = Improvement.objects.filter(scope).select_related(
        "warning__indicator", "subject", "period", "owner", "responsible_unit", "signed_off_by"
    )
    if unit is not None:
        qs = qs.filter(responsible_unit__path__startswith=unit.path)
    return qs


def cycles_for(user):
    return Cycle.objects.filter(access_rules.owned_filter(user)).select_related(
        "subject", "period", "responsible_unit"
    )


def readings_to_approve(user):
    """Pending readings of indicators this user approves (as named approver or unit head)."""
    if not access.is_active_user(user):
        return Reading.objects.none()
    by_unit = access.unit_filter(user, caps.READING_APPROVE, prefix="indicator__data_owner_unit__")
    return (
        Reading.objects.filter(status=ReadingStatus.PENDING)
        .filter(
            Q(indicator__approver=user)
            | (Q(indicator__approver__isnull=True) & by_unit)
            # readings whose approval was handed to the user (转办, 代理: engine.holders)
            | Q(pk__in=holders.held_pks(user, Reading))
        )
        .exclude(entered_by=user)
        .select_related("indicator", "subject", "period", "entered_by")
    )


def batches_to_approve(pending, limit: int = 20) -> list[tuple[str, str]]:
    """(code, name) of the import batches among `pending` readings, for one approval each: the
    name is what the approver knows the batch by (hooks.batch_names)."""
    codes = list(
        pending.exclude(batch="")
        .values_list("batch", flat=True)
        .distinct()
        .order_by("batch")[:limit]
    )
    return list(hooks.batch_names(codes).items())


def indicators_enterable(user):
    if not access.is_active_user(user):
        return Indicator.objects.none()
    return Indicator.objects.filter(
        access.unit_filter(user, caps.READING_ENTER, prefix="data_owner_unit__"), is_active=True
    )


def trend(subject: Subject, indicator: Indicator) -> dict:
    """The approved series of one indicator for one subject, with target and bands."""
    rows = list(
        Reading.objects.filter(subject=subject, indicator=indicator, is_current=True)
        .select_related("period")
        .order_by("period__start")
    )
    target = indicator.target_for(rows[-1].period) if rows else indicator.target_value
    rows = [(r.period.name, r.value) for r in rows]
    return {
        "indicator": indicator.name,
        "unit": indicator.unit_of_measure,
        "direction": indicator.direction,
        "periods": [p for p, _v in rows],
        "values": [float(v) for _p, v in rows],
        "target": float(target) if target is not None else None,
        "yellow": float(indicator.yellow_threshold),
        "red": float(indicator.red_threshold),
        "min": float(indicator.min_value),
        "max": float(indicator.max_value) if indicator.max_value is not None else None,
    }


def radar(subject: Subject, periods) -> dict:
    """A teacher's or student's development: each indicator of the level, as % of its target,
    from its latest approved reading in these periods (a weekly indicator's latest week next to
    a yearly indicator's year)."""
    indicators = list(Indicator.objects.filter(level=subject.level, is_active=True))
    values: dict[int, object] = {}
    latest = (
        Reading.objects.filter(subject=subject, period__in=periods, is_current=True)
        .order_by("indicator_id", "-period__start")
        .values_list("indicator_id", "value")
    )
    for indicator_id, value in latest:
        values.setdefault(indicator_id, value)
    # an indicator with no reading is named apart, not drawn as a zero (a low mark it never got)
    axes, data, missing = [], [], []
    for ind in indicators:
        if ind.pk not in values:
            missing.append(ind.name)
            continue
        top = ind.max_value or ind.target_value or 100
        axes.append({"name": ind.name, "max": float(top)})
        data.append(float(values[ind.pk]))
    return {"axes": axes, "values": data, "missing": missing}


def heatmap(user, periods=None) -> dict:
    """Open warnings counted by responsible unit × indicator, one grouped query."""
    qs = warnings_for(user, open_only=True)
    if periods is not None:
        qs = qs.filter(period__in=periods)
    rows = list(
        qs.values("responsible_unit__name", "indicator__name")
        .annotate(n=Count("pk"))
        .order_by("responsible_unit__name", "indicator__name")
    )
    units = sorted({r["responsible_unit__name"] for r in rows})
    indicators = sorted({r["indicator__name"] for r in rows})
    cells = [
        [indicators.index(r["indicator__name"]), units.index(r["responsible_unit__name"]), r["n"]]
        for r in rows
    ]
    return {"units": units, "indicators": indicators, "cells": cells}


def stage_overview(user, period, level) -> dict:
    """How many subjects sit at each stage, per responsible unit (one grouped query)."""
    rows = (
        cycles_for(user)
        .filter(period=period, level=level)
        .values("responsible_unit__name", "stage")
        .annotate(n=Count("pk"))
        .order_by("responsible_unit__name")
    )
    stages = [*SMALL_LOOP, Stage.WARN, Stage.IMPROVE, *LARGE_LOOP]
    table: dict[str, dict[str, int]] = {}
    for r in rows:
        table.setdefault(r["responsible_unit__name"], dict.fromkeys(stages, 0))[r["stage"]] = r["n"]
    return {
        "stages": [(s, Stage(s).label) for s in stages],
        "rows": [(unit, [counts[s] for s in stages]) for unit, counts in table.items()],
    }


# the people who run a personal spiral and answer its warnings (flows.responder)
PERSONAL_ROLES = frozenset({Role.TEACHER, Role.STUDENT})


def home_cards(user) -> list[Card]:
    if not access.is_active_user(user):
        return []
    from engine.selectors import inbox_card

    from .flows import ImprovementFlow, ReadingFlow, WarningFlow

    # what waits for the user, counted by the one inbox the card opens: the warnings are those
    # the person answers for, not every warning of the units they see (the warning list); a
    # teacher or a student answers for their own (flows.responder)
    held = access.capabilities(user)
    responds = bool(held & {caps.RESPOND, caps.STUDENT_RESPOND}) or bool(
        access.roles(user) & PERSONAL_ROLES
    )
    # a teacher's or a student's own spiral and a class adviser's students: cards.py
    return [
        inbox_card(
            user, ReadingFlow, _("Readings to approve"), handled=caps.READING_APPROVE in held
        ),
        inbox_card(user, WarningFlow, _("Warnings for me to acknowledge"), handled=responds),
        inbox_card(
            user, ImprovementFlow, _("My improvements"), handled=responds or caps.SIGN_OFF in held
        ),
    ]


# Reports past their unit head's approval: the diagnosis the cycle can stand on.
DIAGNOSED_STATES = (
    ReportStatus.APPROVED,
    ReportStatus.FORWARDED,
    ReportStatus.PUBLISHED,
    ReportStatus.UNDER_REVIEW,
    ReportStatus.CONCLUDED,
)


def year_cycle_of(cycle: Cycle) -> Cycle | None:
    """The cycle of the academic year a shorter period's cycle (a term's) turns within: the
    same subject's, in the year period the term starts in; None for a year's own cycle, or
    when the year has none."""
    period = cycle.period
    if period.kind == PeriodKind.YEAR:
        return None
    return (
        Cycle.objects.filter(
            subject_id=cycle.subject_id,
            period__kind=PeriodKind.YEAR,
            period__start__lte=period.start,
            period__end__gte=period.start,
        )
        .order_by("-period__start", "pk")
        .first()
    )


def cycle_links(cycle: Cycle) -> dict:
    """Everything a cycle is made of, in a constant number of queries (one per kind)."""
    subject = cycle.subject
    targets = list(
        CycleTarget.objects.filter(cycle=cycle)
        .select_related("target__plan", "target__owner_unit")
        .order_by("target__category", "target__title")
    )
    standards = list(
        CycleStandard.objects.filter(cycle=cycle)
        .select_related("standard__owner_unit")
        .order_by("standard__title")
    )
    own = Q(lead_unit_id=cycle.responsible_unit_id) | Q(assisting_units=cycle.responsible_unit_id)
    if cycle.level == Level.SCHOOL:
        # the college's own plans (its annual work plan's task table) are carried out by its
        # offices and departments: they are the college's tasks, whoever leads each
        own |= Q(plan__level=Level.SCHOOL)
    if subject.subject_user_id is not None:
        own = Q(person_id=subject.subject_user_id) | Q(plan__owner_user_id=subject.subject_user_id)
    tasks = list(
        Task.objects.filter(own)
        .exclude(state=TaskState.RETIRED)
        .select_related("plan", "lead_unit")
        .distinct()
        .order_by("deadline", "pk")
    )
    indicators = list(
        Indicator.objects.filter(
            Q(plan_target__cycle_links__cycle=cycle) | Q(plan_standard__cycle_links__cycle=cycle)
        )
        .distinct()
        .order_by("code")
    )
    readings = list(
        Reading.objects.filter(subject_id=cycle.subject_id, period_id=cycle.period_id)
        .filter(Q(is_current=True) | Q(status=ReadingStatus.PENDING))
        .select_related("indicator")
        .order_by("indicator__code", "-version")
    )
    warnings = list(
        Warning.objects.filter(subject_id=cycle.subject_id, period_id=cycle.period_id)
        .select_related("indicator")
        .annotate(has_improvement=Exists(Improvement.objects.filter(warning=OuterRef("pk"))))
    )
    improvements = list(
        Improvement.objects.filter(
            subject_id=cycle.subject_id, period_id=cycle.period_id
        ).select_related("owner")
    )
    gates = list(StageGate.objects.for_cycle(cycle))
    evidence = list(CycleEvidence.objects.filter(cycle=cycle).select_related("gate", "added_by"))
    files: dict[str, list] = {}
    if evidence:
        for f in Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(CycleEvidence),
            object_id__in=[str(e.pk) for e in evidence],
        ).order_by("created_at"):
            files.setdefault(f.object_id, []).append(f)
    for e in evidence:
        e.files = files.get(str(e.pk), [])
    report, conclusions, personal = None, [], None
    if subject.subject_user_id is not None:
        # a teacher's or a student's own report (workflows.review.personal)
        personal = PersonalReport.objects.filter(cycle=cycle).select_related("approved_by").first()
    elif subject.subject_unit_id is not None:
        report = (
            SelfDiagnosisReport.objects.filter(
                org_unit_id=subject.subject_unit_id, period=cycle.period.code
            )
            .order_by("-updated_at")
            .first()
        )
        if report is not None:
            conclusions = list(
                report.conclusions.select_related("sanction_flag").order_by("-signed_at")
            )
    decisions = list(
        CycleDecision.objects.filter(cycle=cycle)
        .select_related("kind", "proposed_by", "decided_by")
        .order_by("proposed_at", "pk")
    )
    decided = {d.stage for d in decisions if d.status == DecisionStatus.APPROVED}
    decision_files: dict[str, list] = {}
    if decisions:
        for f in Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(CycleDecision),
            object_id__in=[str(d.pk) for d in decisions],
        ).order_by("created_at"):
            decision_files.setdefault(f.object_id, []).append(f)
    for d in decisions:
        d.files = decision_files.get(str(d.pk), [])
    log = list(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Cycle), object_id=cycle.pk
        )
        .select_related("by", "content_type")
        .order_by("timestamp", "pk")
    )
    read = {r.indicator_id for r in readings if r.is_current}
    unread = [i for i in indicators if i.pk not in read]
    # Which gates the linked objects meet: the committee's approval of the targets (a
    # decision), the approved standards' text, approved readings of every linked indicator
    # (data), the approved self-diagnosis report (a person's own, for a teacher or a student),
    # the review's conclusion or an approved reward, and the approved records of training taken
    # and measures adopted. Any other gate (a college's own document at a stage) needs evidence
    # added to the cycle.
    by_links = {
        (Stage.TARGET, EvidenceKind.DECISION): bool(targets),
        (Stage.STANDARD, EvidenceKind.DOCUMENT): bool(standards),
        (Stage.DIAGNOSE, EvidenceKind.DOCUMENT): (
            (report is not None and report.status in DIAGNOSED_STATES)
            or (personal is not None and personal.status == PersonalStatus.APPROVED)
        ),
        (Stage.INCENTIVE, EvidenceKind.DECISION): bool(conclusions) or Stage.INCENTIVE in decided,
        (Stage.LEARN, EvidenceKind.DOCUMENT): Stage.LEARN in decided,
        (Stage.INNOVATE, EvidenceKind.DOCUMENT): Stage.INNOVATE in decided,
    }
    data_met = not unread if indicators else bool(read)
    met = {
        gate.pk: data_met
        if gate.kind == EvidenceKind.DATA
        else by_links.get((gate.stage, gate.kind), False)
        for gate in gates
    }
    return {
        "targets": targets,
        "standards": standards,
        "tasks": tasks,
        "tasks_done": sum(t.state == TaskState.DONE for t in tasks),
        "indicators": indicators,
        "unread": unread,
        "readings": readings,
        "warnings": warnings,
        "improvements": improvements,
        "gates": gates,
        "evidence": evidence,
        "report": report,
        "personal_report": personal,
        "conclusions": conclusions,
        "decisions": decisions,
        "log": log,
        "met": met,
    }


def stuck_before():
    """Cycles that have not moved since this moment are stuck (N working days, a setting)."""
    day = subtract_working_days(timezone.localdate(), settings.MONITORING_CYCLE_STUCK_WORKING_DAYS)
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))


OVERVIEW_STAGES = [*SMALL_LOOP, Stage.WARN, Stage.IMPROVE, *LARGE_LOOP]


def level_overview(user, period) -> dict:
    """Per level, the cycles at each stage and how many are stuck: one grouped query."""
    before = stuck_before()
    rows = (
        cycles_for(user)
        .filter(period=period)
        .values("level", "stage")
        .annotate(
            n=Count("pk"),
            stuck=Count("pk", filter=Q(stage_changed_at__lt=before) & ~Q(stage=Stage.IMPROVED)),
        )
    )
    table = {lv: {s: [0, 0] for s in OVERVIEW_STAGES} for lv in Level.values}
    for r in rows:
        table[r["level"]][r["stage"]] = [r["n"], r["stuck"]]
    return {
        "stages": [(s, Stage(s).label) for s in OVERVIEW_STAGES],
        "levels": [
            {
                "code": lv,
                "label": Level(lv).label,
                "cells": [(s, *table[lv][s]) for s in OVERVIEW_STAGES],
                "total": sum(n for n, _s in table[lv].values()),
                "stuck": sum(st for _n, st in table[lv].values()),
            }
            for lv in Level.values
        ],
        "stuck_days": settings.MONITORING_CYCLE_STUCK_WORKING_DAYS,
        "before": before,
    }


def stuck_cycles(user, period, level=None, stage=None):
    # A cycle that has come round (改进, the next cycle opened) is finished, not stuck.
    qs = (
        cycles_for(user)
        .filter(period=period, stage_changed_at__lt=stuck_before())
        .exclude(stage=Stage.IMPROVED)
    )
    if level:
        qs = qs.filter(level=level)
    if stage:
        qs = qs.filter(stage=stage)
    return qs


def _count_of(qs):
    """A correlated count of the cycle's subject and period rows in `qs` (0 when none)."""
    rows = (
        qs.filter(subject_id=OuterRef("subject_id"), period_id=OuterRef("period_id"))
        .order_by()
        .values("subject_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def appraisal_rows(user, period):
    """The period's outcomes per unit and person, for the HR appraisal (绩效考核): one query for
    the cycles with their counts, one for the review conclusions of the units' reports."""
    cycles = (
        cycles_for(user)
        .filter(period=period)
        .annotate(
            targets_linked=Count("target_links", distinct=True),
            warnings_raised=_count_of(Warning.objects.all()),
            improvements_total=_count_of(Improvement.objects.all()),
            improvements_closed=_count_of(
                Improvement.objects.filter(status=ImprovementStatus.CLOSED)
            ),
            improvements_effective=_count_of(Improvement.objects.filter(effective=True)),
        )
        .order_by("level", "responsible_unit__path", "subject__name")
    )
    conclusions = {}
    for c in (
        ReviewConclusion.objects.filter(report__period=period.code)
        .select_related("sanction_flag")
        .order_by("signed_at")
    ):
        conclusions[c.org_unit_id] = c
    # a teacher's or a student's personal report, and the rewards recommended on each cycle's
    # incentive stage with their decision (one query each)
    personal = dict(
        PersonalReport.objects.filter(cycle__period=period).values_list("cycle_id", "status")
    )
    personal_labels = dict(PersonalStatus.choices)
    decision_labels = dict(DecisionStatus.choices)
    rewards: dict[int, list[str]] = {}
    for cycle_id, kind, title, status in (
        CycleDecision.objects.filter(cycle__period=period, stage=Stage.INCENTIVE)
        .order_by("proposed_at", "pk")
        .values_list("cycle_id", "kind__name", "title", "status")
    ):
        rewards.setdefault(cycle_id, []).append(
            f"{kind}：{title}（{decision_labels.get(status, status)}）"
        )
    for cycle in cycles.iterator(chunk_size=2000):
        conclusion = conclusions.get(cycle.subject.subject_unit_id)
        flag = getattr(conclusion, "sanction_flag", None) if conclusion else None
        yield [
            cycle.get_level_display(),
            cycle.subject.name,
            cycle.responsible_unit.name,
            cycle.get_stage_display(),
            cycle.targets_linked,
            cycle.warnings_raised,
            cycle.improvements_closed,
            cycle.improvements_total,
            cycle.improvements_effective,
            conclusion.get_conclusion_display() if conclusion else "",
            flag.get_reason_display() if flag else "",
            str(personal_labels.get(personal.get(cycle.pk), "")),
            "；".join(rewards.get(cycle.pk, [])),
        ]
