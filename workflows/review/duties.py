"""The self-diagnosis report's steps for the separation-of-duties rules (engine.duties): who
wrote, approved and forwarded a report, and who approves or forwards it when the rules leave
its unit's head nobody (the unit above, then the quality office)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from accounts.models import Role as R
from engine import duties
from engine.text import sentences

PROCESS = "review.report"
STEPS = {
    "author": _("Wrote or submitted the report"),
    "approve": _("Approve the report"),
    "forward": _("Forward the report to the quality office"),
}
TRANSITIONS = {"author": ("submit",), "approve": ("approve",), "forward": ("forward",)}


def people(report, step: str):
    from django_fsm_log.models import StateLog

    found = set(
        StateLog.objects.for_(report)
        .filter(transition__in=TRANSITIONS.get(step, ()))
        .exclude(by=None)
        .values_list("by_id", flat=True)
    )
    if step == "author" and report.author_id:
        found.add(report.author_id)
    if step == "approve" and report.approved_by_id:
        found.add(report.approved_by_id)
    return found


def register():
    duties.register(
        duties.Process(key=PROCESS, label=_("Self-diagnosis report"), steps=STEPS, people=people)
    )


def _users(q):
    return get_user_model().objects.filter(q, is_active=True).distinct().order_by("username")


def heads(unit: OrgUnit):
    """Who heads a unit for its report (workflows.review.services.is_unit_head, as people)."""
    if unit.kind == OrgUnit.Kind.DEPARTMENT:
        return _users(Q(memberships__role=R.DEPARTMENT_LEADER, memberships__org_unit=unit))
    if unit.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
        units = [unit.pk]
        parent = OrgUnit.objects.get_parent(unit)
        if parent is not None and parent.kind == OrgUnit.Kind.MAJOR:
            units.append(parent.pk)
        return _users(Q(memberships__role=R.TEAM_LEADER, memberships__org_unit__in=units))
    return _users(Q(memberships__role=R.COMMITTEE_CHAIR))


def _quality_office():
    return _users(Q(memberships__role=R.QUALITY_OFFICER))


def levels(report):
    """The report's unit head, the head of the teaching unit above it, then the quality office."""
    unit = report.org_unit
    found = [(unit, heads(unit))]
    if unit.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
        department = unit.department()
        if department is not None:
            found.append((department, heads(department)))
    if unit.is_teaching:
        found.append((_("the quality office"), _quality_office()))
    return found


def in_levels(user, report) -> bool:
    """Would `user` act on the report's steps at some level, were it not for the rules?"""
    return any(users.filter(pk=user.pk).exists() for _unit, users in levels(report))


def who_acts(report, step: str) -> duties.Eligible:
    return duties.eligible_people(process_key=PROCESS, step=step, obj=report, levels=levels(report))


def may(user, report, step: str) -> bool:
    return any(p.pk == user.pk for p in who_acts(report, step).people)


STATUS_STEP = {"submitted": "approve", "approved": "forward"}


def notes(user, report) -> list[str]:
    """What the report page says about the step it waits for: that it went up a level and why,
    and, to someone a rule refuses, which rule and who acts instead."""
    from django.utils.translation import gettext

    step = STATUS_STEP.get(report.status)
    if step is None or (step == "forward" and not report.org_unit.is_teaching):
        return []
    eligible = who_acts(report, step)
    names = "、".join(str(p) for p in eligible.people) or gettext("nobody")
    found = []
    if eligible.escalated:
        to_act = gettext("To act: %(people)s.") % {"people": names}
        found.append(sentences([eligible.reason(), to_act]))
    rule = duties.refusal(process_key=PROCESS, step=step, actor=user, obj=report)
    if rule is not None and in_levels(user, report):
        found.append(duties.refused_text(rule))
    return found
