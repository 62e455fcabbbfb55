"""Personal self-diagnosis reports (教师个人发展诊改报告, 学生个人发展诊改报告, seed 001 教师层面
and 学生层面): every teacher and student reviews their year against their personal plan, on the
active personal catalogue of their level, and submits it from a phone.

Who approves (engine.duties, process "review.personal"): a teacher's team leader (专业带头人 /
课程负责人, held in their major or course), else their department leader; a student's class
adviser, else the major's team leader; the quality office when the rules leave nobody (a team
leader's own report goes up to the department leader: nobody approves their own report). The
approved report meets the "diagnose" gate of the person's cycle (monitoring.selectors.cycle_links).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import access
from accounts.audit import audit_record
from accounts.models import OrgUnit
from accounts.models import Role as R
from engine import duties, steps
from workflows.levels import Level

from .models import Catalogue, PersonalReport, PersonalReportRow, PersonalStatus
from .services import TransitionError, _allowed, _transition, row_errors, write_rows
from .text import char_count

PROCESS = "review.personal"
STEPS = {
    "author": gettext_lazy("Wrote the personal report"),
    "approve": gettext_lazy("Approve the personal report"),
}
LEVELS = (Level.TEACHER, Level.STUDENT)
TITLES = {
    Level.TEACHER: gettext_lazy("Teacher's personal development self-diagnosis report"),
    Level.STUDENT: gettext_lazy("Student's personal development self-diagnosis report"),
}
# College-wide roles that read every personal report (the committee and the quality office).
READERS = (R.COMMITTEE_CHAIR, R.COMMITTEE_MEMBER, R.QUALITY_OFFICER)


def _people(report, step: str):
    from django_fsm_log.models import StateLog

    if step == "author":
        return {report.person_id}
    found = set(
        StateLog.objects.for_(report).filter(transition="approve").values_list("by_id", flat=True)
    )
    if report.approved_by_id:
        found.add(report.approved_by_id)
    return found


def register():
    duties.register(
        duties.Process(
            key=PROCESS,
            label=gettext_lazy("Personal self-diagnosis report"),
            steps=STEPS,
            people=_people,
        )
    )


# ---------------------------------------------------------------- who approves


def _holders(role: str, units) -> object:
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__role=role,
            memberships__org_unit__in=units,
            memberships__org_unit__is_active=True,
        )
        .distinct()
        .order_by("username")
    )


def _up_to_major(unit: OrgUnit):
    """The unit and the majors or courses above it (where a team leader or adviser sits)."""
    paths = [*unit.ancestor_paths(), unit.path]
    return OrgUnit.objects.filter(path__in=paths).exclude(
        kind__in=(OrgUnit.Kind.COLLEGE, OrgUnit.Kind.OFFICE, OrgUnit.Kind.COMMITTEE)
    )


def levels(report) -> list[tuple]:
    """(label, role, unit, people) from the usual approver upwards."""
    unit = report.cycle.responsible_unit
    near = _up_to_major(unit)
    teaching = near.filter(kind__in=(OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE))
    found = []
    if report.level == Level.STUDENT:
        found.append((unit, R.CLASS_ADVISER, _holders(R.CLASS_ADVISER, near)))
        found.append((unit, R.TEAM_LEADER, _holders(R.TEAM_LEADER, teaching)))
    else:
        found.append((unit, R.TEAM_LEADER, _holders(R.TEAM_LEADER, teaching)))
        department = unit.department()
        if department is not None:
            found.append(
                (department, R.DEPARTMENT_LEADER, _holders(R.DEPARTMENT_LEADER, [department]))
            )
    found.append(
        (
            gettext_lazy("the quality office"),
            R.QUALITY_OFFICER,
            get_user_model()
            .objects.filter(is_active=True, memberships__role=R.QUALITY_OFFICER)
            .distinct()
            .order_by("username"),
        )
    )
    return found


def who_approves(report) -> duties.Eligible:
    found = levels(report)
    eligible = duties.eligible_people(
        process_key=PROCESS,
        step="approve",
        obj=report,
        levels=[(label, people) for label, _role, people in found],
    )
    eligible.role = found[eligible.level][1] if eligible.level < len(found) else None
    return eligible


def approver(report):
    """The step table's `who`: the one person the rules leave, else the seat they hold."""
    eligible = who_approves(report)
    if len(eligible.people) == 1:
        return eligible.people[0]
    if not eligible.people:
        return None
    if eligible.role == R.QUALITY_OFFICER:
        return steps.office_seat(R.QUALITY_OFFICER)
    unit = report.cycle.responsible_unit
    if eligible.role == R.DEPARTMENT_LEADER:
        return steps.Seat(R.DEPARTMENT_LEADER, eligible.unit)
    return steps.nearest_seat(eligible.role, unit) or eligible.people[0]


def may_approve(user, report) -> bool:
    return access.is_active_user(user) and any(p.pk == user.pk for p in who_approves(report).people)


# ---------------------------------------------------------------- who sees


def visible_filter(user) -> Q:
    """The person's own reports, their approvers' (team leaders, department leaders and class
    advisers over the unit; advisers see students only) and, college-wide, the committee's and
    the quality office's."""
    if not access.is_active_user(user):
        return Q(pk__in=[])
    q = Q(person=user)
    for g in access.grants(user):
        if g.role in READERS:
            return access.EVERYTHING
        if g.role in (R.TEAM_LEADER, R.DEPARTMENT_LEADER):
            q |= Q(cycle__responsible_unit__path__startswith=g.unit_path)
        elif g.role == R.CLASS_ADVISER:
            q |= Q(cycle__responsible_unit__path__startswith=g.unit_path, level=Level.STUDENT)
    return q


def visible_reports(user):
    return PersonalReport.objects.filter(visible_filter(user)).select_related(
        "person", "cycle__period", "cycle__responsible_unit", "catalogue"
    )


def get_report(user, pk) -> PersonalReport:
    report = visible_reports(user).filter(pk=pk).first()
    if report is None:
        # the approver the rules passed the step up to sees it too
        report = PersonalReport.objects.filter(pk=pk).first()
        if report is None or not may_approve(user, report):
            raise Http404
    return report


# ---------------------------------------------------------------- catalogue and cycle


def catalogue_for(level: str) -> Catalogue | None:
    """The newest active personal catalogue of the level."""
    return (
        Catalogue.objects.filter(person_level=level, status=Catalogue.Status.ACTIVE)
        .order_by("-version", "-pk")
        .first()
    )


def own_cycles(user):
    """The person's own cycles, newest first, with whether each has its report."""
    from workflows.monitoring.models import Cycle

    return (
        Cycle.objects.filter(subject__subject_user=user, level__in=LEVELS)
        .select_related("period", "personal_report")
        .order_by("-period__start", "-pk")
    )


# ---------------------------------------------------------------- services


def report_errors(report: PersonalReport) -> dict:
    catalogue = report.catalogue
    errors: dict = {}
    overview = char_count(report.overview)
    if overview == 0:
        errors["overview"] = [_("The summary is empty.")]
    elif overview > catalogue.overview_max:
        errors["overview"] = [
            _("The summary has %(n)d characters; the limit is %(max)d.")
            % {"n": overview, "max": catalogue.overview_max}
        ]
    for row in report.rows.select_related("element"):
        problems = row_errors(catalogue, row)
        if problems:
            errors[row.element_id] = problems
    return errors


def _require_person(actor, report):
    if not access.is_active_user(actor) or report.person_id != actor.pk:
        raise PermissionDenied


def _require_draft(report):
    if report.status != PersonalStatus.DRAFT:
        raise TransitionError(_("Only a draft can be edited."), _allowed(report))


@transaction.atomic
def personal_report_create(*, actor, cycle) -> PersonalReport:
    """The person starts the report of their own cycle, on their level's active catalogue."""
    from workflows.monitoring.models import Cycle, PeriodKind

    cycle = Cycle.objects.select_for_update().select_related("subject", "period").get(pk=cycle.pk)
    if not access.is_active_user(actor) or cycle.subject.subject_user_id != actor.pk:
        raise PermissionDenied
    if cycle.level not in LEVELS:
        raise ValidationError(_("Only a teacher's or a student's cycle has a personal report."))
    if cycle.period.kind != PeriodKind.YEAR:
        # seed 001: the person reviews their development once a year
        raise ValidationError(_("A personal report covers a year: write it on the yearly cycle."))
    if PersonalReport.objects.filter(cycle=cycle).exists():
        raise ValidationError(_("This cycle already has its personal report."))
    catalogue = catalogue_for(cycle.level)
    if catalogue is None:
        raise ValidationError(
            _("No personal catalogue is active for this level; ask the quality office.")
        )
    kind = TITLES[cycle.level]
    report = PersonalReport.objects.create(
        cycle=cycle,
        catalogue=catalogue,
        person=actor,
        level=cycle.level,
        title=f"{actor} · {cycle.period.name} · {kind}",
    )
    PersonalReportRow.objects.bulk_create(
        PersonalReportRow(report=report, element=element)
        for element in catalogue.elements_in_order()
    )
    steps.start(report)
    audit_record(
        actor=actor,
        action="review.personal.create",
        obj=report,
        after={"cycle": cycle.pk, "catalogue": str(catalogue)},
    )
    return report


@transaction.atomic
def personal_report_save(*, actor, report, overview=None, rows=None) -> PersonalReport:
    """Save whatever the person typed (limits are checked on submission)."""
    report = PersonalReport.objects.select_for_update().get(pk=report.pk)
    _require_person(actor, report)
    _require_draft(report)
    changed = write_rows(report, PersonalReportRow, overview=overview, rows=rows)
    audit_record(actor=actor, action="review.personal.save", obj=report, after={"rows": changed})
    return report


@transaction.atomic
def personal_report_submit(*, actor, report) -> PersonalReport:
    report = PersonalReport.objects.select_for_update().get(pk=report.pk)
    _require_person(actor, report)
    _require_draft(report)
    errors = report_errors(report)
    if errors:
        raise ValidationError({str(k): v for k, v in errors.items()})
    _transition(report, "submit", actor)
    report.save()
    steps.advance(report, actor=actor, outcome="submitted")
    audit_record(actor=actor, action="review.personal.submit", obj=report)
    return report


def _approver_step(actor, report):
    if may_approve(actor, report):
        return
    rule = duties.refusal(process_key=PROCESS, step="approve", actor=actor, obj=report)
    if rule is not None:
        raise duties.DutyRefused(rule)
    raise PermissionDenied


@transaction.atomic
def personal_report_approve(*, actor, report) -> PersonalReport:
    report = PersonalReport.objects.select_for_update().get(pk=report.pk)
    _approver_step(actor, report)
    _transition(report, "approve", actor)
    report.save()
    steps.advance(report, actor=actor, outcome="approved")
    audit_record(actor=actor, action="review.personal.approve", obj=report)
    return report


@transaction.atomic
def personal_report_return(*, actor, report, reason: str) -> PersonalReport:
    report = PersonalReport.objects.select_for_update().get(pk=report.pk)
    _approver_step(actor, report)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what the person should change.")})
    _transition(report, "return_to_author", actor)
    report.return_reason = reason[:500]
    report.save()
    steps.advance(report, actor=actor, outcome="returned")
    audit_record(
        actor=actor, action="review.personal.return", obj=report, after={"reason": reason[:500]}
    )
    return report
