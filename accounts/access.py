"""The one access layer.

Every view, API endpoint and service asks here: "may this user do X on this object" (`can`,
`require`) and "which objects may this user see" (`unit_filter`, `visible_units`). Answers come
from the user's memberships (a role held in an org unit covers that unit's subtree, or the whole
college for college-wide roles) plus guardian object permissions granted one object at a time.

Nothing is cached beyond the current request, so a membership change takes effect on the next
request, and an inactive user holds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from . import signed_in
from .models import Membership, OrgUnit, OrgUnitGroupObjectPermission, OrgUnitUserObjectPermission
from .models import Role as R


class Scope(StrEnum):
    COLLEGE = "college"  # the whole tree, wherever the membership is held
    SUBTREE = "subtree"  # the unit the role is held in and everything below it
    NONE = "none"  # only what is granted object by object


class Cap(StrEnum):
    """Capabilities: what a role lets its holder do within its scope."""

    UNIT_VIEW = "unit.view"
    UNIT_MANAGE = "unit.manage"
    ROSTER_IMPORT = "roster.import"
    AUDIT_VIEW = "audit.view"
    ADMIN_SITE = "admin.site"
    UNIT_TREE = "unit.tree"  # create, rename, move and close units
    USER_MANAGE = "user.manage"  # activate and deactivate accounts


ROLE_SCOPE: dict[str, Scope] = {
    R.COMMITTEE_CHAIR: Scope.COLLEGE,
    R.COMMITTEE_MEMBER: Scope.COLLEGE,
    R.QUALITY_OFFICER: Scope.COLLEGE,
    R.SUPERVISOR: Scope.COLLEGE,
    R.DISCIPLINE_OFFICER: Scope.COLLEGE,
    R.SYSTEM_ADMIN: Scope.COLLEGE,
    R.DEPARTMENT_LEADER: Scope.SUBTREE,
    R.DEPARTMENT_MEMBER: Scope.SUBTREE,
    R.TEAM_LEADER: Scope.SUBTREE,
    R.TEAM_MEMBER: Scope.SUBTREE,
    R.CLASS_ADVISER: Scope.SUBTREE,
    R.TEACHER: Scope.SUBTREE,
    R.STUDENT: Scope.SUBTREE,
    R.EXTERNAL_EXPERT: Scope.NONE,
}

_VIEW = {Cap.UNIT_VIEW}
ROLE_CAPS: dict[str, frozenset[str]] = {
    R.COMMITTEE_CHAIR: frozenset(_VIEW | {Cap.AUDIT_VIEW}),
    R.COMMITTEE_MEMBER: frozenset(_VIEW),
    R.QUALITY_OFFICER: frozenset(_VIEW | {Cap.ROSTER_IMPORT, Cap.AUDIT_VIEW, Cap.UNIT_TREE}),
    R.SUPERVISOR: frozenset(_VIEW),
    R.DISCIPLINE_OFFICER: frozenset(_VIEW),
    R.SYSTEM_ADMIN: frozenset(
        _VIEW
        | {
            Cap.UNIT_MANAGE,
            Cap.UNIT_TREE,
            Cap.USER_MANAGE,
            Cap.ROSTER_IMPORT,
            Cap.AUDIT_VIEW,
            Cap.ADMIN_SITE,
        }
    ),
    R.DEPARTMENT_LEADER: frozenset(_VIEW | {Cap.UNIT_MANAGE}),
    R.DEPARTMENT_MEMBER: frozenset(_VIEW),
    R.TEAM_LEADER: frozenset(_VIEW),
    R.TEAM_MEMBER: frozenset(_VIEW),
    R.CLASS_ADVISER: frozenset(_VIEW),
    R.TEACHER: frozenset(_VIEW),
    R.STUDENT: frozenset(_VIEW),
    R.EXTERNAL_EXPERT: frozenset(),
}


def grant_capabilities(table: dict[str, set[str]]) -> None:
    """Let a feature app add its own capabilities to roles (call from AppConfig.ready()).

    Feature apps keep their capability names in their own module, e.g.
    `grant_capabilities({Role.QUALITY_OFFICER: {"case.accept"}})`."""
    for role, caps in table.items():
        if role not in ROLE_CAPS:
            raise ValueError(f"unknown role {role!r}")
        ROLE_CAPS[role] = ROLE_CAPS[role] | frozenset(caps)


# Capabilities that guardian can also grant on one object (e.g. an external expert given one unit).
OBJECT_PERMISSION_FOR = {Cap.UNIT_VIEW: "view_orgunit", Cap.UNIT_MANAGE: "change_orgunit"}


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: int
    unit_path: str
    scope: Scope


def memberships(user) -> list[Membership]:
    """The user's memberships with their units (closed units too), by role: read once per
    request (kept on the user object) by the access layer and the pages alike; on PostgreSQL
    loaded with the signed-in person (`memberships_expression`), elsewhere in a query of their
    own."""
    if not is_active_user(user):
        return []
    cached = getattr(user, "_memberships", None)
    if cached is None:
        loaded = signed_in.figure(user, MEMBERSHIPS)
        if loaded is not None:
            cached = [_membership(user, row) for row in loaded]
        else:
            cached = list(
                Membership.objects.filter(user=user)
                .select_related("org_unit")
                .order_by("role", "pk")
            )
        user._memberships = cached
    return cached


# the signed-in person's figure (accounts.signed_in): their memberships, as JSON rows
MEMBERSHIPS = "memberships"
# what the access layer and the pages read of a membership's unit; the rest loads if asked
_UNIT_FIELDS = ("id", "path", "depth", "numchild", "name", "code", "kind", "is_active")


def memberships_expression():
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import OuterRef
    from django.db.models.functions import JSONObject

    unit = {f"unit_{name}": f"org_unit__{name}" for name in _UNIT_FIELDS}
    rows = Membership.objects.filter(user=OuterRef("pk")).order_by("role", "pk")
    return ArraySubquery(rows.values(row=JSONObject(id="pk", role="role", **unit)))


def _membership(user, row) -> Membership:
    if isinstance(row, str):  # the person's query is raw SQL: its JSON comes as text
        row = json.loads(row)
    # Model.from_db: the fields not read here stay deferred (loaded from the database if used)
    db = user._state.db or "default"
    unit = OrgUnit.from_db(db, list(_UNIT_FIELDS), [row[f"unit_{n}"] for n in _UNIT_FIELDS])
    membership = Membership.from_db(
        db, ["id", "user_id", "org_unit_id", "role"], [row["id"], user.pk, unit.pk, row["role"]]
    )
    membership.org_unit = unit
    return membership


def grants(user) -> list[Grant]:
    """The user's memberships in open units, as the access layer reads them (kept on the user
    object for the request)."""
    if not is_active_user(user):
        return []
    cached = getattr(user, "_access_grants", None)
    if cached is None:
        cached = user._access_grants = [
            Grant(m.role, m.org_unit_id, m.org_unit.path, ROLE_SCOPE.get(m.role, Scope.NONE))
            for m in memberships(user)
            if m.org_unit.is_active
        ]
    return cached


def roles(user) -> set[str]:
    return {g.role for g in grants(user)}


def capabilities(user) -> set[str]:
    caps: set[str] = set()
    for g in grants(user):
        caps |= ROLE_CAPS.get(g.role, frozenset())
    return caps


def has_capability(user, cap: str) -> bool:
    """Does the user hold `cap` anywhere? (navigation, pages that are not about one object)."""
    return cap in capabilities(user)


def _grants_with(user, cap: str) -> list[Grant]:
    return [g for g in grants(user) if cap in ROLE_CAPS.get(g.role, frozenset())]


# A condition every row meets, which survives an OR (an empty Q() would vanish from `a | Q()`,
# turning a college-wide role's "everything" into "only the other terms"); Django compiles it
# to nothing.
EVERYTHING = ~Q(pk__in=[])


def unit_filter(user, cap: str, prefix: str = "") -> Q:
    """A Q for any model that reaches an OrgUnit through `prefix` (e.g. "org_unit__").

    One condition per membership, evaluated by the database with the path index: no per-row
    permission checks and no query per object.
    """
    granted = _grants_with(user, cap)
    if any(g.scope == Scope.COLLEGE for g in granted):
        return EVERYTHING
    q = Q(pk__in=[])
    for g in granted:
        if g.scope == Scope.SUBTREE:
            q |= Q(**{f"{prefix}path__startswith": g.unit_path})
    return q | _object_grants(user, cap, prefix)


def home_filter(user, cap: str, prefix: str = "") -> Q:
    """As `unit_filter`, but a college-wide role reaches only the unit it is held in and those
    below: the work of the person's own units (the tasks 质管办 leads), not everything the role
    may act on (every task of the college)."""
    q = Q(pk__in=[])
    for g in _grants_with(user, cap):
        if g.scope != Scope.NONE:
            q |= Q(**{f"{prefix}path__startswith": g.unit_path})
    return q | _object_grants(user, cap, prefix)


def _object_grants(user, cap: str, prefix: str) -> Q:
    """The units granted to `user` one by one (guardian) for `cap`."""
    codename = OBJECT_PERMISSION_FOR.get(cap)
    if not codename or not is_active_user(user):
        return Q(pk__in=[])
    direct = OrgUnitUserObjectPermission.objects.filter(
        user=user, permission__codename=codename
    ).values("content_object_id")
    via_group = OrgUnitGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=codename
    ).values("content_object_id")
    return Q(**{f"{prefix}pk__in": direct}) | Q(**{f"{prefix}pk__in": via_group})


def is_active_user(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def visible_units(user, cap: str = Cap.UNIT_VIEW):
    if not is_active_user(user):
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(unit_filter(user, cap))


def unit_of(obj) -> OrgUnit | None:
    """The org unit that owns an object: the unit itself, or the object's `access_unit`."""
    if isinstance(obj, OrgUnit):
        return obj
    return getattr(obj, "access_unit", None)


def can(user, cap: str, obj=None) -> bool:
    """May `user` do `cap` on `obj` (or anywhere, when obj is None)?"""
    if obj is None:
        return has_capability(user, cap)
    unit = unit_of(obj)
    if unit is None:
        return False
    for g in _grants_with(user, cap):
        if g.scope == Scope.COLLEGE or (
            g.scope == Scope.SUBTREE and unit.path.startswith(g.unit_path)
        ):
            return True
    codename = OBJECT_PERMISSION_FOR.get(cap)
    if codename and is_active_user(user):
        return user.has_perm(f"accounts.{codename}", unit)
    return False


def grantable_roles(user, unit: OrgUnit) -> set[str]:
    """The roles `user` may grant (and take back) in `unit`: those the GrantableRole table gives
    a role the user holds over that unit."""
    from .models import GrantableRole

    held = {
        g.role
        for g in grants(user)
        if g.scope == Scope.COLLEGE
        or (g.scope == Scope.SUBTREE and unit.path.startswith(g.unit_path))
    }
    if not held:
        return set()
    return set(GrantableRole.objects.filter(granter_role__in=held).values_list("role", flat=True))


def require(user, cap: str, obj=None) -> None:
    if not can(user, cap, obj):
        raise PermissionDenied


def get_unit(user, pk, cap: str = Cap.UNIT_VIEW) -> OrgUnit:
    """The access helper for org units: 404 when the user may not see it, 403 when they may see
    it but not do `cap`. `pk` may come from a query parameter: anything but a number is no unit."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    unit = visible_units(user).filter(pk=pk).first()
    if unit is None:
        raise Http404
    require(user, cap, unit)
    return unit


def visible_api_tokens(user):
    """A person sees their own tokens and nobody else's (administrators revoke through the
    admin)."""
    from .models import ApiToken

    return ApiToken.objects.filter(user=user) if is_active_user(user) else ApiToken.objects.none()


def get_api_token(user, pk):
    """Another person's token is a 404: its existence is not theirs to learn."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(visible_api_tokens(user), pk=pk)
