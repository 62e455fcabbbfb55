"""Two-level acceptance (两级受理): which body accepts a case, decided by RoutingRule rows."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.models import OrgUnit

from .models import Grade, RoutingRule


def college_body() -> OrgUnit:
    """The quality office, which accepts college-level cases."""
    unit = OrgUnit.objects.filter(code=settings.CASES_COLLEGE_BODY_CODE).first()
    if unit is None:
        raise ImproperlyConfigured(
            f"no org unit with code {settings.CASES_COLLEGE_BODY_CODE!r} (CASES_COLLEGE_BODY_CODE)"
        )
    return unit


def transfer_targets(case):
    """The bodies `case` may be handed to (移交): every active department and the quality office,
    but not the one that has it, nor a department whose body holds someone the case is about."""
    units = OrgUnit.objects.filter(
        is_active=True, kind=OrgUnit.Kind.DEPARTMENT
    ) | OrgUnit.objects.filter(code=settings.CASES_COLLEGE_BODY_CODE)
    return units.exclude(pk__in=[case.accepting_unit_id, *recused_bodies(case.recused_ids)])


def _departments(units) -> set[int | None]:
    return {(d.pk if (d := u.department()) else None) for u in units}


def route(subject_unit: OrgUnit, other_units=(), grade: Grade | None = None, recused=()) -> OrgUnit:
    """The body that accepts a case. A department whose own accepting body (its leader and
    quality group) holds one of the `recused` (the people a report to the discipline office is
    about) does not accept it: they, or their subordinates, would judge their own case, so the
    college's body does (两级受理: the college accepts what a department cannot)."""
    body = _route(subject_unit, other_units, grade)
    return college_body() if body.pk in recused_bodies(recused) else body


def recused_bodies(recused) -> set[int]:
    """The departments whose accepting body (leader, quality group) holds one of `recused`: a
    case about them is never theirs to accept, first or by transfer (one query)."""
    from .duties import BODY_ROLES

    if not recused:
        return set()
    return set(
        OrgUnit.objects.filter(
            kind=OrgUnit.Kind.DEPARTMENT,
            memberships__user__in=list(recused),
            memberships__user__is_active=True,
            memberships__role__in=BODY_ROLES,
        ).values_list("pk", flat=True)
    )


def _route(subject_unit: OrgUnit, other_units=(), grade: Grade | None = None) -> OrgUnit:
    units = [subject_unit, *other_units]
    kinds = {u.kind for u in units}
    departments = _departments(units)
    several = len(departments) > 1
    for rule in RoutingRule.objects.filter(is_active=True).select_related("min_grade"):
        if rule.unit_kind and rule.unit_kind not in kinds:
            continue
        if rule.several_departments and not several:
            continue
        if rule.min_grade_id and (grade is None or grade.rank < rule.min_grade.rank):
            continue
        if rule.target == RoutingRule.Target.COLLEGE:
            return college_body()
        department = subject_unit.department()
        if department is not None and not several:
            return department
    return college_body()
