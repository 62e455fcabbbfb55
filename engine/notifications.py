"""The notification outbox.

`notify` writes rows inside the caller's transaction; delivery starts after commit (Celery), and a
periodic sweep re-sends whatever is still undelivered, so a broker outage or a worker crash loses
nothing. One row per recipient and dedup key: sending twice shows once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.template import Context, Template

from accounts.models import Membership, OrgUnit, Role

from .models import MessageTemplate, Notification

log = logging.getLogger(__name__)
User = get_user_model()


@dataclass(frozen=True)
class MessageKind:
    kind: str
    label: str
    title: str
    body: str


KINDS: dict[str, MessageKind] = {}


def register_kind(kind: str, *, label, title, body) -> None:
    KINDS[kind] = MessageKind(kind, label, title, body)


def user_kinds() -> list[MessageKind]:
    """The kinds a person can choose channels for, in a stable order."""
    return sorted(KINDS.values(), key=lambda k: k.kind)


def _wording(message: MessageKind) -> tuple[str, str]:
    override = MessageTemplate.objects.filter(kind=message.kind, is_active=True).first()
    if override is not None:
        return override.title, override.body
    return message.title, message.body


def _render(source, context: dict) -> str:
    return Template(str(source)).render(Context(context, autoescape=False)).strip()


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


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
    message = KINDS.get(kind)
    if message is None:
        raise KeyError(f"unregistered notification kind {kind!r}")
    if not url and obj is not None and hasattr(obj, "get_absolute_url"):
        url = obj.get_absolute_url()
    full_context = {"obj": obj, "url": absolute_url(url), **(context or {})}
    title_source, body_source = _wording(message)
    title = _render(title_source, full_context)[:200]
    body = _render(body_source, full_context)
    content_type = ContentType.objects.get_for_model(obj) if obj is not None else None
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            url=url,
            content_type=content_type,
            object_id=str(obj.pk) if obj is not None else "",
            unit=unit,
            dedup_key=dedup_key[:200],
        )
        for user in {u.pk: u for u in recipients if u is not None and u.is_active}.values()
    ]
    if not rows:
        return 0
    existing = set(
        Notification.objects.filter(
            dedup_key=dedup_key[:200], recipient__in=[r.recipient for r in rows]
        ).values_list("recipient_id", flat=True)
    )
    fresh = [r for r in rows if r.recipient.pk not in existing]
    created = Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    if created:
        transaction.on_commit(_enqueue_delivery, robust=True)
    return len(created)


def _enqueue_delivery():
    from .tasks import deliver_pending, publish_quietly

    publish_quietly(deliver_pending)


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
    office_roles = {
        Role.DEPARTMENT_LEADER,
        Role.QUALITY_OFFICER,
        Role.DISCIPLINE_OFFICER,
        Role.COMMITTEE_CHAIR,
    }
    held = set(
        Membership.objects.filter(org_unit=unit, role__in=office_roles).values_list(
            "role", flat=True
        )
    )
    if held:
        return User.objects.filter(
            is_active=True, memberships__org_unit=unit, memberships__role__in=held
        ).distinct()
    return role_holders(Role.SYSTEM_ADMIN)


def role_holders(role: str, unit: OrgUnit | None = None):
    q = Q(memberships__role=role)
    if unit is not None:
        q &= Q(memberships__org_unit__path__startswith=unit.path)
    return User.objects.filter(q, is_active=True).distinct()
