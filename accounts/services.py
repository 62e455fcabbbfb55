"""Every write in accounts/: keyword-only, atomic, permission first, audited."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from engine.imports import Importer, ImportFileError, cell, column_index, import_start, register
from engine.models import ImportRun

from . import access
from .access import Cap
from .audit import audit_record, snapshot
from .models import Membership, OrgUnit, Role

User = get_user_model()


def _require_grant(actor, unit: OrgUnit, role: str) -> None:
    if role not in access.grantable_roles(actor, unit):
        raise PermissionDenied


@transaction.atomic
def membership_add(*, actor, user, org_unit: OrgUnit, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    _require_grant(actor, org_unit, role)
    if not org_unit.is_active:
        raise ValidationError({"org_unit": _("This unit is closed.")})
    if not user.is_active:
        raise ValidationError({"user": _("This account is deactivated.")})
    membership, created = Membership.objects.get_or_create(user=user, org_unit=org_unit, role=role)
    if created:
        audit_record(
            actor=actor, action="membership.add", obj=membership, after=snapshot(membership)
        )
    return membership


@transaction.atomic
def membership_remove(*, actor, membership: Membership) -> None:
    _require_grant(actor, membership.org_unit, membership.role)
    audit_record(
        actor=actor, action="membership.remove", obj=membership, before=snapshot(membership)
    )
    membership.delete()


@transaction.atomic
def user_set_active(*, actor, user, active: bool) -> None:
    access.require(actor, Cap.USER_MANAGE)
    if user == actor and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.is_active == active:
        return
    before = {"is_active": user.is_active}
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        obj=user,
        before=before,
        after={"is_active": active},
    )


# --- the org tree ----------------------------------------------------------------------------

UNIT_FIELDS = ["name", "code", "kind", "is_active", "closed_at", "path"]
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def _unit_snapshot(unit: OrgUnit) -> dict:
    data = snapshot(unit, fields=UNIT_FIELDS)
    parent = OrgUnit.objects.get_parent(unit)
    data["parent"] = parent.pk if parent else None
    return data


def _check_place(kind: str, parent: OrgUnit | None) -> None:
    allowed = OrgUnit.ALLOWED_PARENTS.get(kind, ())
    if parent is None:
        if allowed:
            raise ValidationError({"parent": _("A unit of this kind needs a parent unit.")})
        return
    if not parent.is_active:
        raise ValidationError({"parent": _("This unit is closed.")})
    if parent.kind not in allowed:
        raise ValidationError(
            {
                "parent": _("A %(kind)s cannot sit under a %(parent)s.")
                % {
                    "kind": OrgUnit.Kind(kind).label,
                    "parent": parent.get_kind_display(),
                }
            }
        )


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if len(name) > OrgUnit._meta.get_field("name").max_length:
        raise ValidationError({"name": _("The name is too long.")})
    return name


@transaction.atomic
def org_unit_create(*, actor, parent: OrgUnit | None, name: str, code: str, kind: str) -> OrgUnit:
    access.require(actor, Cap.UNIT_TREE)
    if kind not in OrgUnit.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of unit.")})
    name = _clean_name(name)
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationError(
            {"code": _("A code is 1 to 40 letters, digits, dots, dashes or underscores.")}
        )
    if OrgUnit.objects.filter(code=code).exists():
        raise ValidationError({"code": _("Another unit already has this code.")})
    if parent is not None:
        parent = OrgUnit.objects.select_for_update().get(pk=parent.pk)
    _check_place(kind, parent)
    unit = OrgUnit(name=name, code=code, kind=kind)
    manager = OrgUnit.objects
    unit = manager.add_child(parent, instance=unit) if parent else manager.add_root(instance=unit)
    audit_record(actor=actor, action="orgunit.create", obj=unit, after=_unit_snapshot(unit))
    return unit


@transaction.atomic
def org_unit_rename(*, actor, unit: OrgUnit, name: str) -> OrgUnit:
    access.require(actor, Cap.UNIT_TREE)
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    name = _clean_name(name)
    if name == unit.name:
        return unit
    before = _unit_snapshot(unit)
    unit.name = name
    unit.save(update_fields=["name"])
    audit_record(
        actor=actor, action="orgunit.rename", obj=unit, before=before, after=_unit_snapshot(unit)
    )
    return unit


@transaction.atomic
def org_unit_move(*, actor, unit: OrgUnit, parent: OrgUnit) -> OrgUnit:
    access.require(actor, Cap.UNIT_TREE)
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    parent = OrgUnit.objects.select_for_update().get(pk=parent.pk)
    if not unit.is_active:
        raise ValidationError({"parent": _("This unit is closed.")})
    if parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot move under itself or its sub-units.")})
    _check_place(unit.kind, parent)
    before = _unit_snapshot(unit)
    if before["parent"] == parent.pk:
        return unit
    OrgUnit.objects.move(unit, parent, pos="last-child")
    from engine import steps

    steps.seats_changed()  # the move rewrote paths in bulk: no signal says so
    unit.refresh_from_db()
    audit_record(
        actor=actor, action="orgunit.move", obj=unit, before=before, after=_unit_snapshot(unit)
    )
    return unit


def org_unit_subtree(unit: OrgUnit):
    return OrgUnit.objects.filter(path__startswith=unit.path)


@transaction.atomic
def org_unit_close(*, actor, unit: OrgUnit, hand_over_to: OrgUnit | None = None) -> OrgUnit:
    """Close a unit and everything below it. Rows stay (history keeps pointing at them); open
    work must be handed over to `hand_over_to` first, which this does for work that can move
    (memberships, deadlines); other open work is listed and blocks."""
    from . import unit_work

    access.require(actor, Cap.UNIT_TREE)
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    if not unit.is_active:
        raise ValidationError(_("This unit is already closed."))
    if unit.is_root():
        raise ValidationError(_("The college itself cannot be closed."))
    subtree = org_unit_subtree(unit)
    list(subtree.select_for_update())
    work = unit_work.open_work(subtree)
    if hand_over_to is not None and (
        hand_over_to.path.startswith(unit.path) or not hand_over_to.is_active
    ):
        raise ValidationError(
            {"hand_over_to": _("Hand over to an open unit outside the one being closed.")}
        )
    stuck = [w for w in work if w.hand_over is None or hand_over_to is None]
    if stuck:
        raise ValidationError(
            _("This unit still has open work: %(work)s.")
            % {"work": "、".join(f"{w.label} {w.count}" for w in stuck)}
        )
    before = _unit_snapshot(unit)
    handed = {}
    for w in work:
        w.hand_over(hand_over_to)
        handed[w.label] = w.count
    closed_at = timezone.now()
    subtree.filter(is_active=True).update(is_active=False, closed_at=closed_at)
    unit.refresh_from_db()
    after = _unit_snapshot(unit)
    after["closed_units"] = list(subtree.values_list("code", flat=True))
    if handed:
        after["handed_over_to"] = hand_over_to.pk
        after["handed_over"] = handed
    audit_record(actor=actor, action="orgunit.close", obj=unit, before=before, after=after)
    return unit


# --- roster import ---------------------------------------------------------------------------

ROSTER_COLUMNS = {
    "username": ("工号/学号", "工号", "学号", "用户名", "username"),
    "full_name": ("姓名", "name", "full_name"),
    "unit": ("单位", "部门", "所属单位", "unit"),
    "role": ("角色", "role"),
    "email": ("邮箱", "电子邮箱", "email"),
    "phone": ("手机", "电话", "phone"),
    "password": ("初始密码", "password"),
}
REQUIRED_ROSTER_COLUMNS = ("username", "full_name", "unit", "role")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")


RosterFileError = ImportFileError  # the file as a whole cannot be read; nothing was imported


# Names rosters made before the roles were named for every kind of unit still use (a teaching
# department's 系(部); an office's leader is a 部门负责人 too).
ROLE_ALIASES = {
    "系（部）负责人": Role.DEPARTMENT_LEADER,
    "系（部）质量保证工作组成员": Role.DEPARTMENT_MEMBER,
}
# a role's name written with either width of brackets (专业(课程)负责人, 专业（课程）负责人)
_BRACKETS = str.maketrans("()", "（）")


def role_name_key(name: str) -> str:
    return name.strip().translate(_BRACKETS)


def _role_lookup() -> dict[str, str]:
    table = {role_name_key(name): str(role) for name, role in ROLE_ALIASES.items()}
    for value, label in Role.choices:
        table[value] = value
        table[role_name_key(str(label))] = value
    from django.utils import translation

    with translation.override("zh-hans"):
        for value, label in Role.choices:
            table[role_name_key(str(label))] = value
    with translation.override("en"):
        for value, label in Role.choices:
            table[role_name_key(str(label))] = value
    return table


class RosterImporter(Importer):
    """People and memberships, keyed by staff/student number: a re-import changes only what
    differs. A bad row is reported by number and skipped; each chunk commits on its own."""

    kind = "roster"
    label = _lazy("Roster")
    audit_action = "roster.import"

    def max_rows(self) -> int:
        return settings.ROSTER_MAX_ROWS

    def check(self, actor, options) -> None:
        access.require(actor, Cap.ROSTER_IMPORT)

    def columns(self, header) -> dict:
        return column_index(header, ROSTER_COLUMNS, REQUIRED_ROSTER_COLUMNS)

    def start(self, run, columns):
        units_by_code = {u.code: u for u in OrgUnit.objects.filter(is_active=True)}
        units_by_name: dict[str, list[OrgUnit]] = {}
        for unit in units_by_code.values():
            units_by_name.setdefault(unit.name, []).append(unit)
        run.result.setdefault("created_memberships", 0)
        run.result.setdefault("rows_ok", 0)
        return _role_lookup(), units_by_code, units_by_name

    def process(self, run, context, columns, chunk) -> None:
        roles, units_by_code, units_by_name = context
        valid = []
        for number, row in chunk:
            try:
                valid.append(
                    (number, _roster_row(row, columns, roles, units_by_code, units_by_name))
                )
            except ValidationError as exc:
                run.add_error(number, "；".join(exc.messages))
        users = {
            u.username: u
            for u in User.objects.filter(username__in={f["username"] for _n, f in valid})
        }
        new, changed, wanted = {}, {}, []
        for _number, f in valid:
            user = users.get(f["username"])
            if user is None:
                user = User(
                    username=f["username"],
                    full_name=f["full_name"],
                    staff_no=f["username"],
                    email=f["email"],
                    phone=f["phone"],
                )
                if f["password"]:
                    user.set_password(f["password"])
                else:
                    user.set_unusable_password()
                users[user.username] = new[user.username] = user
            else:
                for attr in ("full_name", "email", "phone"):
                    if f[attr] and getattr(user, attr) != f[attr]:
                        setattr(user, attr, f[attr])
                        if user.username not in new:
                            changed[user.username] = user
            wanted.append((user.username, f["unit"].pk, f["role"]))
        User.objects.bulk_create(new.values())
        User.objects.bulk_update(changed.values(), ["full_name", "email", "phone"])
        ids = {name: users[name].pk for name, _u, _r in wanted}
        have = set(
            Membership.objects.filter(user_id__in=ids.values()).values_list(
                "user_id", "org_unit_id", "role"
            )
        )
        memberships = []
        for name, unit_id, role in wanted:
            key = (ids[name], unit_id, role)
            if key not in have:
                have.add(key)
                memberships.append(Membership(user_id=key[0], org_unit_id=unit_id, role=role))
        Membership.objects.bulk_create(memberships)
        if memberships:
            from engine import steps

            steps.seats_changed()  # a bulk insert sends no signal
        run.created += len(new)
        run.updated += len(changed)
        run.unchanged += len({n for n, _u, _r in wanted} - new.keys() - changed.keys())
        run.result["created_memberships"] += len(memberships)
        run.result["rows_ok"] += len(valid)

    def audit_after(self, run) -> dict:
        return {
            "created_users": run.created,
            "updated_users": run.updated,
            "created_memberships": run.result.get("created_memberships", 0),
        }


register(RosterImporter())


def roster_import(*, actor, file) -> ImportRun:
    """Import people and memberships (see RosterImporter); a large file runs in the background.
    Raises RosterFileError when the file as a whole cannot be read."""
    return import_start(actor=actor, kind="roster", file=file)


def _roster_row(row, columns, roles, units_by_code, units_by_name) -> dict:
    username = cell(row, columns.get("username"))
    full_name = cell(row, columns.get("full_name"))
    unit_ref = cell(row, columns.get("unit"))
    role_ref = cell(row, columns.get("role"))
    email = cell(row, columns.get("email"))
    phone = cell(row, columns.get("phone"))
    password = cell(row, columns.get("password"))
    problems = []
    if not USERNAME_RE.match(username):
        problems.append(_("staff/student number is missing or has invalid characters"))
    if not full_name:
        problems.append(_("name is missing"))
    elif len(full_name) > User._meta.get_field("full_name").max_length:
        problems.append(_("name is too long"))
    unit = units_by_code.get(unit_ref)
    if unit is None:
        candidates = units_by_name.get(unit_ref, [])
        if len(candidates) == 1:
            unit = candidates[0]
        elif len(candidates) > 1:
            problems.append(_("unit name “%(u)s” is ambiguous, use its code") % {"u": unit_ref})
        else:
            problems.append(_("unknown unit “%(u)s”") % {"u": unit_ref})
    role = roles.get(role_name_key(role_ref or ""))
    if role is None:
        problems.append(_("unknown role “%(r)s”") % {"r": role_ref})
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("invalid email “%(e)s”") % {"e": email})
    if len(phone) > 32:
        problems.append(_("phone is too long"))
    if problems:
        raise ValidationError(problems)

    return {
        "username": username,
        "full_name": full_name,
        "unit": unit,
        "role": role,
        "email": email,
        "phone": phone,
        "password": password,
    }


@transaction.atomic
def api_token_create(*, actor, name: str):
    """A personal API token for `actor`; returns (token, key). The key is shown once."""
    from .api_tokens import key_hash, new_key
    from .models import ApiToken

    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name (what the script is for).")})
    # Counted under a lock on the person's row: two requests at once cannot pass the limit.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    live = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count()
    if live >= settings.API_TOKENS_PER_USER:
        raise ValidationError(
            _("You already hold %(n)d tokens. Revoke one you no longer use first.") % {"n": live}
        )
    key = new_key()
    token = ApiToken.objects.create(user=actor, name=name, prefix=key[:10], key_hash=key_hash(key))
    audit_record(actor=actor, action="accounts.api_token.create", obj=token, after={"name": name})
    return token, key


@transaction.atomic
def api_token_revoke(*, actor, token) -> None:
    if token.user_id != actor.pk:
        raise PermissionDenied
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor, action="accounts.api_token.revoke", obj=token, before={"name": token.name}
    )
