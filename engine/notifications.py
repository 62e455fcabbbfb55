"""The notification outbox.

`notify` writes rows inside the caller's transaction; delivery starts after commit (Celery), and a
periodic sweep re-sends whatever is still undelivered, so a broker outage or a worker crash loses
nothing. One row per recipient and dedup key: sending twice shows once.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.template import Context, Template

from accounts.models import Membership, OrgUnit, Role

from . import write_batch
from .bulk import insert_new, insert_new_unread
from .models import MessageTemplate, Notification

log = logging.getLogger(__name__)
User = get_user_model()


@dataclass(frozen=True)
class MessageKind:
    kind: str
    label: str
    title: str
    body: str
    # Who receives it is nobody else's business (an answer to a complainant who hid their
    # identity): its rows are shown to no one but the recipient, never go to a unit's chat robot.
    confidential: bool = False
    # the capabilities (accounts.access) of the people it can reach, any one of them; None: it
    # can reach anyone (a reminder of one's own deadline, a task handed to one)
    audience: frozenset[str] | None = None


KINDS: dict[str, MessageKind] = {}


def register_kind(
    kind: str, *, label, title, body, confidential: bool = False, audience=None
) -> None:
    audience = None if audience is None else frozenset(str(cap) for cap in audience)
    KINDS[kind] = MessageKind(kind, label, title, body, confidential, audience)


def confidential_kinds() -> list[str]:
    return sorted(k.kind for k in KINDS.values() if k.confidential)


def is_confidential(notification) -> bool:
    message = KINDS.get(notification.kind)
    return message is not None and message.confidential


def user_kinds() -> list[MessageKind]:
    """Every kind, in a stable order."""
    return sorted(KINDS.values(), key=lambda k: k.kind)


def _groups() -> dict:
    """The settings page's groups by the first part of a kind's name: the menus of the
    navigation (one domain, one name), and the person's own work apart."""
    from django.utils.translation import pgettext_lazy

    from accounts.navigation import Group

    return {
        "case": Group.CASES,
        "complaint": Group.CASES,
        "report": Group.CASES,
        "plans": Group.PLANS,
        "monitoring": Group.MONITORING,
        "observation": Group.MONITORING,
        "survey": Group.MONITORING,
        "review": Group.REVIEW,
        "job": Group.ADMIN,
        "": pgettext_lazy("notification group", "My work and deadlines"),
    }


def reaches(message: MessageKind, user) -> bool:
    """Can a message of this kind reach `user` (by the capabilities their roles give)?"""
    from accounts import access

    if message.audience is None:
        return True
    return not message.audience.isdisjoint(access.capabilities(user))


def kinds_for(user) -> list[tuple[str, list[MessageKind]]]:
    """The kinds that can reach `user`, grouped as the navigation groups its domains, the
    person's own work first: [(group label, kinds sorted by label)]."""
    groups = _groups()
    order = list(groups)
    grouped: dict[str, list[MessageKind]] = {}
    for message in KINDS.values():
        if reaches(message, user):
            prefix = message.kind.split(".", 1)[0]
            grouped.setdefault(prefix if prefix in groups else "", []).append(message)
    labels: dict[str, tuple[str, list[MessageKind]]] = {}
    for prefix in sorted(grouped, key=lambda p: (p != "", order.index(p))):
        label = groups[prefix]
        key = str(getattr(label, "label", label))
        labels.setdefault(key, (key, []))[1].extend(grouped[prefix])
    return [(key, sorted(kinds, key=lambda k: str(k.label))) for key, kinds in labels.values()]


# Administrators' wordings, loaded once per process and reloaded after OVERRIDES_TTL seconds (or at
# once in the process that saved one): notify() runs in hot transactions and must not query them.
OVERRIDES_TTL = 60.0
_overrides: dict[str, tuple[str, str]] = {}
_overrides_loaded_at = -OVERRIDES_TTL


def forget_overrides(**kwargs) -> None:
    global _overrides_loaded_at
    _overrides_loaded_at = -OVERRIDES_TTL


def _wording(message: MessageKind) -> tuple[str, str]:
    global _overrides, _overrides_loaded_at
    if time.monotonic() - _overrides_loaded_at >= OVERRIDES_TTL:
        _overrides = {
            kind: (title, body)
            for kind, title, body in MessageTemplate.objects.filter(is_active=True).values_list(
                "kind", "title", "body"
            )
        }
        _overrides_loaded_at = time.monotonic()
    return _overrides.get(message.kind, (message.title, message.body))


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    return Template(source)


def _render(source, context: dict) -> str:
    return _compiled(str(source)).render(Context(context, autoescape=False)).strip()


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Message:
    """One message for `notify_many`: the same arguments as `notify` takes."""

    recipients: Iterable
    dedup_key: str
    obj: Any = None
    url: str = ""
    context: dict | None = None
    unit: OrgUnit | None = None


def _rows(kind: str, message: MessageKind, m: Message) -> list[Notification]:
    url = m.url
    if not url and m.obj is not None and hasattr(m.obj, "get_absolute_url"):
        url = m.obj.get_absolute_url()
    full_context = {"obj": m.obj, "url": absolute_url(url), **(m.context or {})}
    title_source, body_source = _wording(message)
    title = _render(title_source, full_context)[:200]
    body = _render(body_source, full_context)
    content_type = ContentType.objects.get_for_model(m.obj) if m.obj is not None else None
    return [
        Notification(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            url=url,
            content_type=content_type,
            object_id=str(m.obj.pk) if m.obj is not None else "",
            unit=m.unit,
            dedup_key=m.dedup_key[:200],
        )
        for user in {u.pk: u for u in m.recipients if u is not None and u.is_active}.values()
    ]


def _store(rows: list[Notification]) -> int:
    """Insert the rows not already there (recipient + dedup key) and nudge delivery. Inside a
    step's write batch (engine.write_batch) the insert goes with the step's next statement and
    nobody learns which rows were new: the count is of the rows offered, and a message already
    sent nudges delivery in vain (the nudge key makes that one cache call)."""
    if write_batch.is_open():
        insert_new_unread(Notification, rows, unique=["recipient", "dedup_key"])
        created = len(rows)
    else:
        created = insert_new(Notification, rows, unique=["recipient", "dedup_key"])
    if created and not _enqueue_pending():
        transaction.on_commit(_enqueue_delivery, robust=True)
    return created


def notify(
    *,
    kind: str,
    recipients,
    obj=None,
    url: str = "",
    context: dict | None = None,
    dedup_key: str,
    unit: OrgUnit | None = None,
) -> int:
    """Queue a message for each active recipient. Call inside the causing transaction."""
    return notify_many(
        kind=kind,
        messages=[Message(recipients, dedup_key, obj=obj, url=url, context=context, unit=unit)],
    )


def notify_many(*, kind: str, messages: Iterable[Message]) -> int:
    """`notify` for many messages of one kind in a constant number of queries (a batch of
    raised warnings, say): one read of what was already sent and one insert."""
    message = KINDS.get(kind)
    if message is None:
        raise KeyError(f"unregistered notification kind {kind!r}")
    rows = [row for m in messages for row in _rows(kind, message, m)]
    return _store(rows)


def _enqueue_pending() -> bool:
    """Is a delivery nudge already registered for this transaction's commit? One is enough."""
    connection = transaction.get_connection()
    return any(
        callback is _enqueue_delivery for _sids, callback, _robust in connection.run_on_commit
    )


def _enqueue_delivery():
    from .tasks import nudge_delivery

    nudge_delivery()


# Who leads an office, a committee or the college itself: its own officers holding these roles.
OFFICE_LEADER_ROLES = [
    Role.DEPARTMENT_LEADER,
    Role.QUALITY_OFFICER,
    Role.DISCIPLINE_OFFICER,
    Role.COMMITTEE_CHAIR,
]


def unit_leaders(unit: OrgUnit, team: bool = False):
    """Who leads a unit: the department leader for teaching units (the major's/course's team
    leader too when `team`), the office's own officers for 质管办 and 纪委, else system admins."""
    if unit.kind in (OrgUnit.Kind.DEPARTMENT, OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
        department = unit.department()
        q = Q(memberships__role=Role.DEPARTMENT_LEADER, memberships__org_unit=department)
        if team and unit.kind != OrgUnit.Kind.DEPARTMENT:
            paths = [*unit.ancestor_paths(), unit.path]
            q |= Q(memberships__role=Role.TEAM_LEADER, memberships__org_unit__path__in=paths)
        return User.objects.filter(q, is_active=True).distinct()
    held = set(
        Membership.objects.filter(org_unit=unit, role__in=OFFICE_LEADER_ROLES).values_list(
            "role", flat=True
        )
    )
    if held:
        return User.objects.filter(
            is_active=True, memberships__org_unit=unit, memberships__role__in=held
        ).distinct()
    return role_holders(Role.SYSTEM_ADMIN)


def unit_leaders_many(units) -> dict[int, list]:
    """`unit_leaders(unit)` for many units (unit pk → active users) in a constant number of
    queries, whatever the number of units (the escalation sweep)."""
    units = {unit.pk: unit for unit in units}
    below = [u for u in units.values() if u.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE)]
    departments = {}
    if below:
        departments = dict(
            OrgUnit.objects.filter(
                kind=OrgUnit.Kind.DEPARTMENT,
                path__in={path for u in below for path in u.ancestor_paths()},
            ).values_list("path", "pk")
        )
    department_of, offices = {}, []
    for unit in units.values():
        if unit.kind == OrgUnit.Kind.DEPARTMENT:
            department_of[unit.pk] = unit.pk
        elif unit.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
            # the outermost department above it, as OrgUnit.department() picks
            paths = [p for p in unit.ancestor_paths() if p in departments]
            department_of[unit.pk] = departments[paths[0]] if paths else None
        else:
            offices.append(unit.pk)
    leaders: dict[int, dict] = {}
    for m in Membership.objects.filter(
        role=Role.DEPARTMENT_LEADER,
        org_unit_id__in={pk for pk in department_of.values() if pk is not None},
        user__is_active=True,
    ).select_related("user"):
        leaders.setdefault(m.org_unit_id, {})[m.user_id] = m.user
    result = {
        pk: list(leaders.get(department, {}).values()) for pk, department in department_of.items()
    }
    if offices:
        held: dict[int, dict] = {}
        for m in Membership.objects.filter(
            org_unit_id__in=offices,
            role__in=OFFICE_LEADER_ROLES,
        ).select_related("user"):
            people = held.setdefault(m.org_unit_id, {})
            if m.user.is_active:
                people[m.user_id] = m.user
        admins = None
        for pk in offices:
            if pk in held:
                result[pk] = list(held[pk].values())
                continue
            if admins is None:
                admins = list(role_holders(Role.SYSTEM_ADMIN))
            result[pk] = admins
    return result


def role_holders(role: str, unit: OrgUnit | None = None):
    q = Q(memberships__role=role)
    if unit is not None:
        q &= Q(memberships__org_unit__path__startswith=unit.path)
    return User.objects.filter(q, is_active=True).distinct()


post_save.connect(forget_overrides, sender=MessageTemplate)
post_delete.connect(forget_overrides, sender=MessageTemplate)
