"""Monitoring's questions to the access layer: 404 (may not see) versus 403 (may not act).

Monitoring data is seen through the responsible unit (`monitoring.view` in its subtree) or,
for a teacher's or student's own subject, by that person. Teachers and students hold no
`monitoring.view`, so they see their own subject and nobody else's. Class advisers hold the
student-only capabilities: they see and follow up the student-level subjects of their unit's
subtree (warnings, improvements, cycles), nothing of the unit's own or its teachers'.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts import access
from accounts.access import Scope
from engine import holders
from workflows.levels import Level

from . import capabilities as caps
from .models import Cycle, Improvement, Subject, Warning


def _visible(user, unit_prefix: str, level_field: str, own: Q) -> Q:
    q = access.unit_filter(user, caps.VIEW, prefix=unit_prefix) | own
    if access.has_capability(user, caps.STUDENT_VIEW):
        students = access.unit_filter(user, caps.STUDENT_VIEW, prefix=unit_prefix)
        q |= students & Q(**{level_field: Level.STUDENT})
    return q


def subject_filter(user, prefix: str = "") -> Q:
    """Rows whose subject the user may see (prefix reaches the subject, e.g. "subject__")."""
    if not access.is_active_user(user):
        return Q(pk__in=[])
    return _visible(
        user,
        f"{prefix}responsible_unit__",
        f"{prefix}level",
        Q(**{f"{prefix}subject_user": user}),
    )


def owned_filter(user) -> Q:
    """For models that carry their own responsible_unit and a subject (warnings, cycles...)."""
    if not access.is_active_user(user):
        return Q(pk__in=[])
    return _visible(user, "responsible_unit__", "subject__level", Q(subject__subject_user=user))


def _own(user, subject: Subject) -> bool:
    return subject.subject_user_id is not None and subject.subject_user_id == user.pk


def _student_of(user, cap: str, subject: Subject, obj) -> bool:
    """A class adviser's student: a student-level subject in the adviser's unit."""
    return subject.level == Level.STUDENT and access.can(user, cap, obj)


def can_view(user, obj) -> bool:
    subject = obj if isinstance(obj, Subject) else obj.subject
    return access.is_active_user(user) and (
        _own(user, subject)
        # the person an improvement is given to works on it, whatever its subject
        or (isinstance(obj, Improvement) and obj.owner_id == user.pk)
        or access.can(user, caps.VIEW, obj)
        or _student_of(user, caps.STUDENT_VIEW, subject, obj)
        # whoever holds its open step (转办, 代理) sees the page it is done on, and still sees
        # it once they did it
        or holders.may_act(obj, user)
        or holders.took_part(obj, user)
        # and reads the warning it answers (its page links there)
        or (isinstance(obj, Warning) and obj.improvements.filter(owner=user).exists())
    )


def can_view_any(user) -> bool:
    """May the user open monitoring's lists of indicators and the level overview?"""
    return access.can(user, caps.VIEW) or access.can(user, caps.STUDENT_VIEW)


def indicator_filter(user) -> Q:
    """Indicators the user may list: all with monitoring.view, else the student level."""
    if access.can(user, caps.VIEW):
        return access.EVERYTHING
    if access.can(user, caps.STUDENT_VIEW):
        return Q(level=Level.STUDENT)
    return Q(pk__in=[])


def get_visible(user, model, pk):
    obj = get_object_or_404(model, pk=pk)
    if not can_view(user, obj):
        raise Http404
    return obj


def require_configure(user) -> None:
    access.require(user, caps.CONFIGURE)


def can_enter(user, indicator) -> bool:
    return access.can(user, caps.READING_ENTER, indicator.data_owner_unit)


def require_enter(user, indicator) -> None:
    if not can_enter(user, indicator):
        raise PermissionDenied


def can_approve(user, indicator) -> bool:
    if indicator.approver_id is not None:
        return access.is_active_user(user) and indicator.approver_id == user.pk
    return access.can(user, caps.READING_APPROVE, indicator.data_owner_unit)


def require_approve(user, indicator) -> None:
    if not can_approve(user, indicator):
        raise PermissionDenied


def require_approve_reading(user, reading) -> None:
    """The indicator's approver, or whoever holds the reading's open step (转办, 代理)."""
    holders.require(reading, user, can_approve(user, reading.indicator), "approve")


def can_respond(user, obj) -> bool:
    subject = obj if isinstance(obj, Subject) else obj.subject
    if not access.is_active_user(user):
        return False
    usual = (
        _own(user, subject)
        or access.can(user, caps.RESPOND, obj)
        or _student_of(user, caps.STUDENT_RESPOND, subject, obj)
    )
    return holders.may_do(obj, user, usual, _RESPOND_STEP.get(type(obj)))


def require_respond(user, obj) -> None:
    if not can_respond(user, obj):
        raise PermissionDenied


# the step a response to an object is: a warning's acknowledgement, an improvement's submission
_RESPOND_STEP = {Warning: "acknowledge", Improvement: "submit"}


def improvement_owners(subject: Subject):
    """Who may own (carry out and submit) an improvement for this subject: a student's or a
    teacher's own subject is that person's alone; a unit's (college, major, course) is for its
    staff: those holding a role that keeps its ledger (monitoring.respond) or a teaching post in
    the unit or a unit above it, and at the college level also the college-wide roles that run
    its cycle (质管办). Students, and people of other units, own no unit's improvement."""
    from accounts.models import Membership, Role, User

    users = User.objects.filter(is_active=True)
    if subject.subject_user_id is not None:
        return users.filter(pk=subject.subject_user_id)
    unit = subject.responsible_unit
    staff = _roles_with(caps.RESPOND) | {Role.TEACHER}
    steplen = unit.steplen
    above = [unit.path[:end] for end in range(steplen, len(unit.path) + 1, steplen)]
    held = Q(role__in=staff, org_unit__path__in=above)
    if subject.level == Level.SCHOOL:
        runners = _roles_with(caps.SCHOOL_CYCLE_RUN)
        held |= Q(role__in=[r for r in runners if access.ROLE_SCOPE.get(r) == Scope.COLLEGE])
    memberships = Membership.objects.filter(held, org_unit__is_active=True)
    return users.filter(pk__in=memberships.values("user_id"))


def _roles_with(cap: str) -> set[str]:
    return {role for role, granted in access.ROLE_CAPS.items() if cap in granted}


def may_submit_improvement(user, improvement: Improvement) -> bool:
    """The evidence is the owner's to submit (the person the progress line names), or whoever
    now holds that step (转办, 代理); the unit's other staff see the page, they do not submit."""
    return access.is_active_user(user) and holders.may_do(
        improvement, user, improvement.owner_id == user.pk, "submit"
    )


def require_improvement_owner(user, improvement: Improvement) -> None:
    if not may_submit_improvement(user, improvement):
        raise PermissionDenied


def can_sign_off(user, improvement: Improvement) -> bool:
    # The approver checks somebody else's work.
    return improvement.owner_id != user.pk and holders.may_do(
        improvement, user, access.can(user, caps.SIGN_OFF, improvement), "sign_off"
    )


def require_sign_off(user, improvement: Improvement) -> None:
    if not can_sign_off(user, improvement):
        raise PermissionDenied


def _runs_cycle(user, cycle: Cycle) -> bool:
    """Who runs a cycle when nobody handed its work on: a personal cycle is its person's (their
    leaders see it, do not run it), a unit's is its unit's."""
    if not access.is_active_user(user):
        return False
    cap = caps.SCHOOL_CYCLE_RUN if cycle.level == Level.SCHOOL else caps.CYCLE_RUN
    return cycle.subject.subject_user_id == user.pk or (
        cycle.subject.subject_user_id is None and access.can(user, cap, cycle)
    )


def can_run_cycle(user, cycle: Cycle) -> bool:
    # the person its open work was handed to (转办) or a deputy of its holder (代理)
    return access.is_active_user(user) and holders.may_do(cycle, user, _runs_cycle(user, cycle))


def require_cycle_run(user, cycle: Cycle) -> None:
    if not can_run_cycle(user, cycle):
        raise PermissionDenied


def can_report_cycle(user, cycle: Cycle) -> bool:
    """Who may assemble a subject's annual quality report: whoever runs its cycle, and whoever
    assembles the college's reports (the quality office)."""
    from workflows.review import capabilities as review_caps

    # the report is not the cycle's open step: a 转办 of that step leaves it to them
    return (
        _runs_cycle(user, cycle)
        or can_run_cycle(user, cycle)
        or (access.is_active_user(user) and access.has_capability(user, review_caps.ANNUAL_BUILD))
    )


def require_report_cycle(user, cycle: Cycle) -> None:
    if not can_report_cycle(user, cycle):
        raise PermissionDenied
