"""The self-diagnosis report, the review round and an expert's review assignment as step
tables (engine.steps).

Reports: the author writes; the unit head approves (or, where a separation-of-duties rule
leaves the head nobody, the level workflows.review.duties passes the step up to); the head
forwards a teaching unit's report, the quality office any other; the quality office publishes
it with its round. What the report waits for from then on is its round's."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from accounts.models import Role as R
from engine import steps

from . import duties as review_duties
from . import personal
from .conclusions import Conclusion
from .models import (
    PersonalReport,
    PersonalStatus,
    ReportStatus,
    ReviewAssignment,
    ReviewConclusion,
    ReviewRound,
    RoundStatus,
    SelfDiagnosisReport,
)


def head_seat(unit: OrgUnit) -> steps.Seat:
    """The seat of a unit's head for its report (review_duties.heads, as a seat)."""
    if unit.kind == OrgUnit.Kind.DEPARTMENT:
        return steps.Seat(R.DEPARTMENT_LEADER, unit)
    if unit.kind == OrgUnit.Kind.COURSE:
        parent = OrgUnit.objects.get_parent(unit)
        if parent is not None and parent.kind == OrgUnit.Kind.MAJOR:
            return steps.Seat(R.TEAM_LEADER, parent)
    if unit.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
        return steps.Seat(R.TEAM_LEADER, unit)
    return steps.office_seat(R.COMMITTEE_CHAIR)


def _head_or_above(step: str):
    """Who acts on a head's step: the one person the rules leave, else the seat of the level
    the step stands at (the unit's head, the head above, the quality office)."""

    def who(report):
        eligible = review_duties.who_acts(report, step)
        if len(eligible.people) == 1:
            return eligible.people[0]
        if not eligible.people:
            return None
        if not eligible.escalated:
            return head_seat(report.org_unit)
        if isinstance(eligible.unit, OrgUnit):
            return head_seat(eligible.unit)
        return steps.office_seat(R.QUALITY_OFFICER)

    return who


def _forwarder(report):
    if report.org_unit.is_teaching:
        return _head_or_above("forward")(report)
    return steps.office_seat(R.QUALITY_OFFICER)


def _quality_office(obj):
    return steps.office_seat(R.QUALITY_OFFICER)


class ReportFlow(steps.StepFlow):
    table = steps.StepTable(
        model=SelfDiagnosisReport,
        state_field="status",
        process_title=_("Self-diagnosis report"),
        summary=lambda report: f"{report.title} · {report.period}",
        url=lambda report: reverse("review:report_detail", args=[report.pk]),
        unit=lambda report: report.org_unit,
        related=("org_unit",),
        outcomes={
            "submitted": _("Submitted"),
            "approved": _("Approved"),
            "returned": _("Returned to the author"),
            "forwarded": _("Forwarded to the quality office"),
            "published": _("Published"),
        },
        steps=[
            steps.Step(
                state=ReportStatus.DRAFT,
                name="write",
                title=_("Write and submit the self-diagnosis report"),
                who=lambda report: report.author,
            ),
            steps.Step(
                state=ReportStatus.SUBMITTED,
                name="approve",
                title=_("Approve the self-diagnosis report"),
                who=_head_or_above("approve"),
                duty=(review_duties.PROCESS, "approve"),
            ),
            steps.Step(
                state=ReportStatus.APPROVED,
                name="forward",
                title=_("Forward the report to the quality office"),
                who=_forwarder,
                duty=(review_duties.PROCESS, "forward"),
            ),
            steps.Step(
                state=ReportStatus.FORWARDED,
                name="publish",
                title=_("Publish the report with its review round"),
                who=_quality_office,
            ),
        ],
    )


def _chair(round_):
    member = round_.panel.filter(is_chair=True).select_related("user").first()
    return member.user if member else _quality_office(round_)


def _round_url(round_) -> str:
    # the chair signs from their own assignments page (the round's page is the office's)
    if round_.status == RoundStatus.IN_REVIEW:
        return reverse("review:my_assignments")
    return reverse("review:round_detail", args=[round_.pk])


class RoundFlow(steps.StepFlow):
    table = steps.StepTable(
        model=ReviewRound,
        state_field="status",
        process_title=_("Review round"),
        summary=lambda round_: f"{round_.name} · {round_.review_start:%Y-%m-%d}",
        url=_round_url,
        # a round is the college's: no unit to file it under in the inbox
        unit=lambda round_: None,
        outcomes={
            "published": _("Material published"),
            "started": _("Review started"),
            "concluded": _("Every conclusion signed"),
        },
        steps=[
            steps.Step(
                state=RoundStatus.PLANNING,
                name="publish",
                title=_("Publish the review material"),
                who=_quality_office,
            ),
            steps.Step(
                state=RoundStatus.DISCLOSED,
                name="open_review",
                title=_("Start the review"),
                who=_quality_office,
            ),
            steps.Step(
                state=RoundStatus.IN_REVIEW,
                name="conclude",
                title=_("Sign the panel's conclusions"),
                who=_chair,
                # the chair declared no conflict of interest: nobody else signs for them
                personal=True,
            ),
        ],
    )


class _RoundStateTable(steps.StepTable):
    """An assignment has no lifecycle of its own: it waits while its round is in review and
    its findings are not submitted (state_field is a lookup through the round)."""

    def waiting_step(self, assignment):
        state = assignment.member.round.status
        return next((s for s in self.steps if s.matches(assignment, state)), None)


class AssignmentFlow(steps.StepFlow):
    table = _RoundStateTable(
        model=ReviewAssignment,
        state_field="member__round__status",
        process_title=_("Expert review"),
        summary=lambda a: f"{a.report.title} · {a.member.round.name}",
        url=lambda a: reverse("review:assignment_detail", args=[a.pk]),
        unit=lambda a: a.report.org_unit,
        related=("report__org_unit", "member__round"),
        outcomes={"submitted": _("Findings submitted"), "closed": _("Review closed")},
        steps=[
            steps.Step(
                state=RoundStatus.IN_REVIEW,
                name="review",
                title=_("Review the report and submit the findings"),
                who=lambda a: a.member.user,
                when=lambda a: a.submitted_at is None,
                # the expert's own review (declared free of conflicts): no 转办, no 代理
                personal=True,
            )
        ],
    )


class PersonalReportFlow(steps.StepFlow):
    table = steps.StepTable(
        model=PersonalReport,
        state_field="status",
        process_title=_("Personal self-diagnosis report"),
        summary=lambda report: report.title,
        unit=lambda report: report.cycle.responsible_unit,
        related=("cycle__responsible_unit", "cycle__period", "person"),
        outcomes={
            "submitted": _("Submitted"),
            "approved": _("Approved"),
            "returned": _("Returned to the author"),
        },
        steps=[
            steps.Step(
                state=PersonalStatus.DRAFT,
                name="write",
                title=_("Write and submit the personal self-diagnosis report"),
                who=lambda report: report.person,
                # one's own development review: nobody else writes it
                personal=True,
            ),
            steps.Step(
                state=PersonalStatus.SUBMITTED,
                name="approve",
                title=_("Approve the personal self-diagnosis report"),
                who=personal.approver,
                # the approver the duty rules name (team leader, class adviser) signs it
                # themselves; a 转办 would bypass that choice
                personal=True,
            ),
        ],
    )


def _improving(conclusion) -> bool:
    """A 待改进 or 异常 conclusion waits for the unit's improvement until the unit's next
    conclusion (workflows.review.services._track_improvement closes its deadline then)."""
    return (
        conclusion.improvement_due is not None
        and not ReviewConclusion.objects.filter(
            org_unit_id=conclusion.org_unit_id, signed_at__gt=conclusion.signed_at
        ).exists()
    )


def _improvement_step(state, name):
    from .services import IMPROVEMENT_DEADLINE

    return steps.Step(
        state=state,
        name=name,
        title=_("Improve after the review, by the next review"),
        who=lambda c: head_seat(c.org_unit),
        deadline_kind=IMPROVEMENT_DEADLINE,
        when=_improving,
    )


class ConclusionFlow(steps.StepFlow):
    """The improvement period a conclusion gives its unit (the deadline that used to show only
    in a separate list under the inbox): the unit's head answers for it, the next conclusion
    ends it."""

    table = steps.StepTable(
        model=ReviewConclusion,
        state_field="conclusion",
        process_title=_("Improvement after the review"),
        summary=lambda c: f"{c.report.title} · {c.get_conclusion_display()}",
        url=lambda c: reverse("review:report_detail", args=[c.report_id]),
        unit=lambda c: c.org_unit,
        related=("report", "org_unit"),
        outcomes={"superseded": _("The next review concluded")},
        steps=[
            _improvement_step(Conclusion.NEEDS_IMPROVEMENT, "improve"),
            _improvement_step(Conclusion.ABNORMAL, "improve_abnormal"),
        ],
    )
