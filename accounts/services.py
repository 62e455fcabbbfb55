"""Every write in accounts/: keyword-only, atomic, permission first, audited."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from engine.imports import Importer, ImportFileError, cell, column_index, import_start, register
from engine.models import ImportRun

from . import access
from .access import Cap
from .audit import audit_record, snapshot
from .models import Membership, OrgUnit, Role

User = get_user_model()


@transaction.atomic
def membership_add(*, actor, user, org_unit: OrgUnit, role: str) -> Membership:
    access.require(actor, Cap.UNIT_MANAGE, org_unit)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    membership, created = Membership.objects.get_or_create(user=user, org_unit=org_unit, role=role)
    if created:
        audit_record(
            actor=actor, action="membership.add", obj=membership, after=snapshot(membership)
        )
    return membership


@transaction.atomic
def membership_remove(*, actor, membership: Membership) -> None:
    access.require(actor, Cap.UNIT_MANAGE, membership.org_unit)
    audit_record(
        actor=actor, action="membership.remove", obj=membership, before=snapshot(membership)
    )
    membership.delete()


@transaction.atomic
def user_set_active(*, actor, user, active: bool) -> None:
    access.require(actor, Cap.UNIT_MANAGE, _college())
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


def _college() -> OrgUnit:
    return OrgUnit.objects.get_root_nodes().first()


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

    return {
        "username": username,
        "full_name": full_name,
        "unit": unit,
        "role": role,
        "email": email,
        "phone": phone,
        "password": password,
    }
