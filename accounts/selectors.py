from django.db.models import Count, Q

from . import access
from .access import Cap
from .audit import hidden_content_types
from .models import AuditEntry, Membership, OrgUnit, Role


def unit_tree(user):
    """Visible units in tree order (the materialised path sorts depth-first), one query."""
    return access.visible_units(user, Cap.UNIT_VIEW).order_by("path")


def unit_members(unit: OrgUnit):
    return (
        Membership.objects.filter(org_unit=unit)
        .select_related("user")
        .order_by("role", "user__username")
    )


def unit_subtree_counts(unit: OrgUnit) -> dict:
    """Sizes of a unit's subtree in one aggregate query (no N+1 over children)."""
    below = OrgUnit.objects.filter(path__startswith=unit.path).exclude(pk=unit.pk)
    counts = below.aggregate(
        majors=Count("pk", filter=Q(kind=OrgUnit.Kind.MAJOR)),
        courses=Count("pk", filter=Q(kind=OrgUnit.Kind.COURSE)),
    )
    people = Membership.objects.filter(org_unit__path__startswith=unit.path).aggregate(
        teachers=Count("user", filter=Q(role=Role.TEACHER), distinct=True),
        students=Count("user", filter=Q(role=Role.STUDENT), distinct=True),
    )
    return counts | people


def user_home_units(user):
    return [
        {"role": m.get_role_display(), "role_code": m.role, "unit": m.org_unit}
        for m in access.memberships(user)
    ]


def audit_entries(user):
    if not access.has_capability(user, Cap.AUDIT_VIEW):
        return AuditEntry.objects.none()
    return AuditEntry.objects.exclude(content_type__in=hidden_content_types(user)).select_related(
        "actor", "content_type"
    )
