"""Reads shared by every feature: the task inbox, open deadlines, notifications."""

from django.db.models import Q
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import access
from accounts.models import Membership, OrgUnit, Role

from . import calendar
from .models import Deadline, Notification

LEADER_ROLES = (Role.DEPARTMENT_LEADER, Role.TEAM_LEADER, Role.QUALITY_OFFICER)


def inbox_tasks(user):
    """Tasks assigned to the user across every flow, oldest first."""
    if not access.is_active_user(user):
        return Task.objects.none()
    return (
        Task.objects.filter(owner=user, status=STATUS.ASSIGNED)
        .select_related("process")
        .order_by("created")
    )


def led_units(user):
    """Units whose deadlines a user answers for as their leader (subtrees included)."""
    if not access.is_active_user(user):
        return OrgUnit.objects.none()
    paths = list(
        Membership.objects.filter(user=user, role__in=LEADER_ROLES).values_list(
            "org_unit__path", flat=True
        )
    )
    if not paths:
        return OrgUnit.objects.none()
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
    return OrgUnit.objects.filter(q)


def inbox_items(user, limit: int = 50) -> list[dict]:
    """The user's open deadlines, overdue and due-soon first, with working days left."""
    if not access.is_active_user(user):
        return []
    rows = (
        Deadline.objects.filter(
            Q(owner_user=user) | Q(owner_user__isnull=True, owner_unit__in=led_units(user)),
            status=Deadline.Status.OPEN,
        )
        .select_related("content_type", "owner_unit")
        .order_by("due_at")[:limit]
    )
    now = timezone.now()
    items = []
    for deadline in rows:
        obj = deadline.obj
        items.append(
            {
                "deadline": deadline,
                "obj": obj,
                "url": obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
                "days_left": calendar.working_days_left(deadline.due_at, now),
                "overdue": deadline.due_at < now,
            }
        )
    return items


def unread_count(user) -> int:
    if not access.is_active_user(user):
        return 0
    return Notification.objects.filter(
        recipient=user, delivered_at__isnull=False, read_at__isnull=True
    ).count()


def notifications_for(user):
    return Notification.objects.filter(recipient=user, delivered_at__isnull=False).order_by(
        "-created_at", "-id"
    )
