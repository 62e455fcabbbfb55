"""Home-page cards of the personal spiral: a teacher's or a student's own open cycles, the year's
and the term's (each one's stage and what it lacks to move on, one query for all), and a class
adviser's students' cycles (a short list with their stages and the total, one query). The cycle
page says exactly what is missing; the card says it from the links the one query can see."""

from __future__ import annotations

from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, When, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import access
from accounts.home import Card
from engine.prepared import Prepared
from workflows.levels import Level
from workflows.review.models import PersonalReport, PersonalStatus

from . import capabilities as caps
from .models import (
    Cycle,
    CycleDecision,
    CycleEvidence,
    CycleStandard,
    CycleTarget,
    DecisionStatus,
    PeriodKind,
    Stage,
    StageGate,
)
from .selectors import PERSONAL_ROLES, cycles_for

ADVISER_ROWS = 8


def _own_cycles(user) -> list:
    """The person's cycle of each period kind: the open period's (the latest if several), else
    the latest closed one's. Shown: every open one, the yearly turn first (seed 001: the person's
    spiral turns every year, the term's within it); with none open, the latest."""
    found = _OWN_CYCLES.fetch(user.pk)
    return [c for c in found if c.period_is_open] or found[:1]


def _own_cycles_query(user_pk):
    here = OuterRef("pk")
    gate = (
        StageGate.objects.filter(level=OuterRef("level"), stage=OuterRef("stage"))
        .filter(Q(period_kind="") | Q(period_kind=OuterRef("period__kind")))
        .order_by("pk")
    )
    latest = [F("period__is_open").desc(), F("period__start").desc(), F("pk").desc()]
    return (
        Cycle.objects.filter(subject__subject_user=user_pk)
        .annotate(
            gate_label=Subquery(gate.values("label")[:1]),
            evidence_given=Exists(
                CycleEvidence.objects.filter(cycle=here, gate__stage=OuterRef("stage"))
            ),
            decided=Exists(
                CycleDecision.objects.filter(
                    cycle=here, stage=OuterRef("stage"), status=DecisionStatus.APPROVED
                )
            ),
            report_status=Subquery(PersonalReport.objects.filter(cycle=here).values("status")[:1]),
            has_targets=Exists(CycleTarget.objects.filter(cycle=here)),
            has_standards=Exists(CycleStandard.objects.filter(cycle=here)),
            period_name=F("period__name"),
            period_kind=F("period__kind"),
            period_is_open=F("period__is_open"),
            rank=Window(RowNumber(), partition_by=F("period__kind"), order_by=latest),
        )
        .filter(rank=1)
        .only("pk", "stage", "level")
        .order_by(
            F("period__is_open").desc(),
            Case(When(period__kind=PeriodKind.YEAR, then=0), default=1),
            "-period__start",
            "-pk",
        )
    )


# Six subqueries: building and compiling them cost more than running them, on every home page
# of a teacher or a student. Compiled once per process (engine.prepared).
_OWN_CYCLES = Prepared(_own_cycles_query)


def missing_note(cycle) -> str:
    """What the cycle lacks to leave its stage, as far as the card's query sees it."""
    stage = cycle.stage
    if stage == Stage.TARGET and not cycle.has_targets:
        return _("No target in force is linked: your personal plan sets none yet.")
    if stage == Stage.STANDARD and not cycle.has_standards:
        return _("No standard in force is linked: your personal plan sets none yet.")
    # a personal report covers a year (workflows.review.personal): a term's diagnosis is evidence
    if stage == Stage.DIAGNOSE and cycle.period_kind == PeriodKind.YEAR:
        if cycle.report_status is None:
            return _("Write your personal self-diagnosis report.")
        if cycle.report_status == PersonalStatus.DRAFT:
            return _("Finish and submit your personal self-diagnosis report.")
        if cycle.report_status == PersonalStatus.SUBMITTED:
            return _("Your personal self-diagnosis report waits for approval.")
        return _("Ready to move on.")
    if stage == Stage.WARN:
        return _("Answer the warnings with improvements.")
    if stage == Stage.IMPROVE:
        return _("Carry out the improvements until they are closed.")
    if stage == Stage.IMPROVED:
        return _("This cycle has come round; the next one opens with the revised targets.")
    if stage in (Stage.TARGET, Stage.STANDARD) or cycle.evidence_given or cycle.decided:
        return _("Ready to move on.")
    if cycle.gate_label:
        return _("Missing: %(what)s.") % {"what": cycle.gate_label}
    return _("Ready to move on.")


def own_cycle_cards(user) -> list[Card]:
    if not any(g.role in PERSONAL_ROLES for g in access.grants(user)):
        return []
    return [
        Card(
            _("My improvement cycle · %(period)s") % {"period": cycle.period_name},
            url=cycle.get_absolute_url(),
            text=cycle.get_stage_display(),
            note=missing_note(cycle),
        )
        for cycle in _own_cycles(user)
    ]


def adviser_cards(user) -> list[Card]:
    if not access.has_capability(user, caps.STUDENT_VIEW):
        return []
    rows = list(
        cycles_for(user)
        .filter(level=Level.STUDENT, period__is_open=True)
        .select_related("subject", "period")
        .annotate(total=Window(Count("pk")))
        .order_by("stage_changed_at", "pk")[:ADVISER_ROWS]
    )
    if not rows:
        return []
    return [
        Card(
            _("My students' improvement cycles"),
            rows[0].total,
            reverse("monitoring:cycle_list") + f"?level={Level.STUDENT}",
            rows=[
                (f"{c.subject.name} · {c.period.name}", c.get_stage_display(), c.get_absolute_url())
                for c in rows
            ],
        )
    ]


def personal_cards(user) -> list[Card]:
    if not access.is_active_user(user):
        return []
    return own_cycle_cards(user) + adviser_cards(user)
