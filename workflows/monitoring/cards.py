"""Home-page cards of the personal spiral: a teacher's or a student's own cycle (its stage and
what it lacks to move on, one query), and a class adviser's students' cycles (a short list with
their stages and the total, one query). The cycle page says exactly what is missing; the card
says it from the links the one query can see."""

from __future__ import annotations

from django.db.models import Case, Count, Exists, F, OuterRef, Subquery, When, Window
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import access
from accounts.home import Card
from accounts.models import Role
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
from .selectors import cycles_for

ADVISER_ROWS = 8
PERSONAL_ROLES = {Role.TEACHER, Role.STUDENT}


def _own_cycle(user):
    found = _OWN_CYCLE.fetch(user.pk)
    return found[0] if found else None


def _own_cycle_query(user_pk):
    here = OuterRef("pk")
    gate = StageGate.objects.filter(level=OuterRef("level"), stage=OuterRef("stage")).order_by("pk")
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
        )
        .only("pk", "stage", "level")
        # the yearly turn of an open period is the person's spiral (seed 001: every year),
        # before a term's or a closed period's
        .order_by(
            F("period__is_open").desc(),
            Case(When(period__kind=PeriodKind.YEAR, then=0), default=1),
            "-period__start",
            "-pk",
        )[:1]
    )


# Six subqueries: building and compiling them cost more than running them, on every home page
# of a teacher or a student. Compiled once per process (engine.prepared).
_OWN_CYCLE = Prepared(_own_cycle_query)


def missing_note(cycle) -> str:
    """What the cycle lacks to leave its stage, as far as the card's query sees it."""
    stage = cycle.stage
    if stage == Stage.TARGET and not cycle.has_targets:
        return _("No target in force is linked: your personal plan sets none yet.")
    if stage == Stage.STANDARD and not cycle.has_standards:
        return _("No standard in force is linked: your personal plan sets none yet.")
    if stage == Stage.DIAGNOSE:
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
        return _("Missing: %(what)s") % {"what": cycle.gate_label}
    return _("Ready to move on.")


def own_cycle_cards(user) -> list[Card]:
    if not any(g.role in PERSONAL_ROLES for g in access.grants(user)):
        return []
    cycle = _own_cycle(user)
    if cycle is None:
        return []
    return [
        Card(
            _("My improvement cycle"),
            url=cycle.get_absolute_url(),
            text=cycle.get_stage_display(),
            note=missing_note(cycle),
        )
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
