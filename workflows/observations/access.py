"""The access helpers for observations: which courses a user may observe, which observations
they may see (404 otherwise) and what they may do with one (403 otherwise).

Supervisors, the committee chair and the quality office observe any course; a department
leader observes the courses of their department, and the leader of a functional office
(中层领导干部, 学院各级领导干部听课制度) any course. Observers see what they wrote, teachers what
was written about their lessons, leaders and the quality office the observations of the courses
in their scope."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from accounts import access
from accounts.models import Membership, OrgUnit, Role
from cases.permissions import CaseCap

from . import capabilities as caps
from .models import Observation


def _office_leader(user) -> bool:
    if not any(g.role == Role.DEPARTMENT_LEADER for g in access.grants(user)):
        return False
    return Membership.objects.filter(
        user=user,
        role=Role.DEPARTMENT_LEADER,
        org_unit__kind=OrgUnit.Kind.OFFICE,
        org_unit__is_active=True,
    ).exists()


def observable_courses(user):
    """The courses the user may observe, for the chooser and for the check."""
    if not access.is_active_user(user) or not access.has_capability(user, caps.OBSERVE):
        return OrgUnit.objects.none()
    courses = OrgUnit.objects.filter(kind=OrgUnit.Kind.COURSE, is_active=True)
    if _office_leader(user):
        return courses
    return courses.filter(access.unit_filter(user, caps.OBSERVE))


def can_observe(user, course) -> bool:
    return isinstance(course, OrgUnit) and observable_courses(user).filter(pk=course.pk).exists()


def observation_filter(user) -> Q:
    if not access.is_active_user(user):
        return Q(pk__in=[])
    by_unit = access.unit_filter(user, caps.VIEW, prefix="course__")
    if not by_unit:  # an empty Q: college-wide
        return by_unit
    return by_unit | Q(observer=user) | Q(teacher=user)


def visible_observations(user):
    return Observation.objects.filter(observation_filter(user))


def can_view(user, observation) -> bool:
    return access.is_active_user(user) and (
        observation.observer_id == user.pk
        or observation.teacher_id == user.pk
        or access.can(user, caps.VIEW, observation)
    )


def get_observation(user, pk) -> Observation:
    """404 when the user may not see it."""
    observation = (
        Observation.objects.select_related("course", "observer", "teacher", "version__form")
        .filter(pk=pk)
        .first()
    )
    if observation is None or not can_view(user, observation):
        raise Http404
    return observation


def can_reply(user, observation) -> bool:
    return access.is_active_user(user) and observation.teacher_id == user.pk


def can_open_case(user, observation) -> bool:
    return (
        access.is_active_user(user)
        and (observation.observer_id == user.pk or access.has_capability(user, caps.MANAGE))
        and access.has_capability(user, CaseCap.REPORT)
    )


def can_manage(user) -> bool:
    return access.has_capability(user, caps.MANAGE)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def openable_case_ids(user, observations) -> set[int]:
    """The cases opened from `observations` that `user` may open (one query): the others are
    named, not linked — the chair reads every observation, not every case."""
    from cases.access import visible_cases

    ids = {o.case_id for o in observations if o.case_id}
    if not ids:
        return set()
    return set(visible_cases(user).filter(pk__in=ids).values_list("pk", flat=True))
