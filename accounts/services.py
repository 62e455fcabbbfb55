"""Every write in accounts/: keyword-only, atomic, permission first, audited."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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


class RosterFileError(Exception):
    """The file as a whole cannot be read; nothing was imported."""


@dataclass
class RosterReport:
    created_users: int = 0
    updated_users: int = 0
    created_memberships: int = 0
    rows_ok: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _role_lookup() -> dict[str, str]:
    table = {}
    for value, label in Role.choices:
        table[value] = value
        table[str(label)] = value
    from django.utils import translation

    with translation.override("zh-hans"):
        for value, label in Role.choices:
            table[str(label)] = value
    with translation.override("en"):
        for value, label in Role.choices:
            table[str(label)] = value
    return table


def _read_roster(file) -> tuple[dict[str, int], list[tuple[int, list]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if getattr(file, "size", 0) and file.size > settings.MAX_UPLOAD_BYTES:
        raise RosterFileError(_("The file is larger than the upload limit."))
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RosterFileError(_("This file is not a valid .xlsx workbook.")) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise RosterFileError(_("The workbook is empty."))
    names = [str(h).strip() if h is not None else "" for h in header]
    columns = {}
    for key, aliases in ROSTER_COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases:
                columns[key] = i
                break
    missing = [ROSTER_COLUMNS[k][0] for k in REQUIRED_ROSTER_COLUMNS if k not in columns]
    if missing:
        raise RosterFileError(_("Missing columns: %(cols)s") % {"cols": "、".join(missing)})
    body = []
    for number, row in enumerate(rows, start=2):
        if row is None or all(v is None or str(v).strip() == "" for v in row):
            continue
        body.append((number, list(row)))
        if len(body) > settings.ROSTER_MAX_ROWS:
            raise RosterFileError(
                _("Too many rows (limit %(n)d).") % {"n": settings.ROSTER_MAX_ROWS}
            )
    workbook.close()
    return columns, body


def _cell(row, columns, key) -> str:
    i = columns.get(key)
    if i is None or i >= len(row) or row[i] is None:
        return ""
    value = row[i]
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # staff numbers typed as numbers come back as 2024001.0
    return str(value).strip()


def roster_import(*, actor, file) -> RosterReport:
    """Import people and memberships. Each row is its own transaction: a bad row is reported by
    number and skipped, good rows are kept, no row is half-imported."""
    access.require(actor, Cap.ROSTER_IMPORT)
    columns, body = _read_roster(file)
    roles = _role_lookup()
    units_by_code = {u.code: u for u in OrgUnit.objects.filter(is_active=True)}
    units_by_name: dict[str, list[OrgUnit]] = {}
    for unit in units_by_code.values():
        units_by_name.setdefault(unit.name, []).append(unit)
    report = RosterReport()
    for number, row in body:
        try:
            with transaction.atomic():
                _import_row(row, columns, roles, units_by_code, units_by_name, report)
        except ValidationError as exc:
            report.errors.append((number, "；".join(exc.messages)))
        except IntegrityError:
            report.errors.append((number, _("Conflicts with an existing record.")))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="roster.import",
            after={
                "file": getattr(file, "name", ""),
                "created_users": report.created_users,
                "updated_users": report.updated_users,
                "created_memberships": report.created_memberships,
                "bad_rows": [n for n, _m in report.errors],
            },
        )
    return report


def _import_row(row, columns, roles, units_by_code, units_by_name, report: RosterReport):
    username = _cell(row, columns, "username")
    full_name = _cell(row, columns, "full_name")
    unit_ref = _cell(row, columns, "unit")
    role_ref = _cell(row, columns, "role")
    email = _cell(row, columns, "email")
    phone = _cell(row, columns, "phone")
    password = _cell(row, columns, "password")
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
    role = roles.get(role_ref)
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

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username, full_name=full_name, staff_no=username, email=email, phone=phone
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        report.created_users += 1
    else:
        changed = False
        for attr, value in (("full_name", full_name), ("email", email), ("phone", phone)):
            if value and getattr(user, attr) != value:
                setattr(user, attr, value)
                changed = True
        if changed:
            user.save(update_fields=["full_name", "email", "phone"])
            report.updated_users += 1
    _membership, created = Membership.objects.get_or_create(user=user, org_unit=unit, role=role)
    if created:
        report.created_memberships += 1
    report.rows_ok += 1
