"""Reads shared by every feature: the task inbox, open deadlines, notifications."""

from collections import defaultdict

from django.db.models import Q
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import access
from accounts.models import Membership, OrgUnit, Role

from . import calendar
from .capabilities import OVERDUE_VIEW
from .models import Deadline, Notification, NotificationPreference

LEADER_ROLES = (Role.DEPARTMENT_LEADER, Role.TEAM_LEADER, Role.QUALITY_OFFICER)


# callables(user) -> task ids: open tasks named to nobody that wait for `user` among others (a
# committee vote waits for every member who has not voted yet)
POOLS: list = []


def register_pool(pool) -> None:
    """Let a flow add unassigned tasks that wait for a user to their inbox (call from ready())."""
    POOLS.append(pool)


def inbox_tasks(user):
    """Tasks assigned to the user across every flow, and the pooled tasks waiting for them,
    oldest first."""
    if not access.is_active_user(user):
        return Task.objects.none()
    pooled = [pk for pool in POOLS for pk in pool(user)]
    q = Q(owner=user, status=STATUS.ASSIGNED)
    if pooled:
        q |= Q(pk__in=pooled)
    return Task.objects.filter(q).select_related("process").order_by("created")


def task_rows(tasks) -> list:
    """Tasks ready to list: what each is about (`process.brief`, from the flow's
    `process_summary_template`) and the link to its page (the flow's `task_url(task)`). Each
    flow's processes are read in one query, with the relations its summary names in
    `summary_related`, instead of one query per row."""
    rows = [t for t in tasks if t.flow_task is not None]
    by_flow = defaultdict(list)
    for task in rows:
        by_flow[task.flow_task.flow_class].append(task)
    for flow_class, group in by_flow.items():
        related = getattr(flow_class, "summary_related", ())
        processes = flow_class.process_class.objects.select_related(*related).in_bulk(
            {t.process_id for t in group}
        )
        link = getattr(flow_class.instance, "task_url", None)
        for task in group:
            task.process = processes.get(task.process_id, task.process)
            task.url = link(task) if link else ""
    return rows


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
        .prefetch_related("obj")
        .order_by("due_at")[:limit]
    )
    now = timezone.now()
    items = []
    for deadline in rows:
        obj = deadline.obj
        days_left = calendar.working_days_left(deadline.due_at, now)
        items.append(
            {
                "deadline": deadline,
                "obj": obj,
                "url": obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
                "label": deadline.label,
                "days_left": days_left,
                "overdue_days": max(-days_left, 0),
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


def overdue_visible_to(user):
    """Overdue deadlines in the units the user oversees (their subtree, or the whole college for
    college-wide roles), the most overdue first."""
    if not access.is_active_user(user):
        return Deadline.objects.none()
    return (
        Deadline.objects.filter(
            access.unit_filter(user, OVERDUE_VIEW, prefix="owner_unit__"),
            status=Deadline.Status.OPEN,
            due_at__lt=timezone.now(),
        )
        .select_related("owner_unit", "owner_user", "content_type")
        .order_by("owner_unit__path", "due_at")
    )


def preference_rows(user, kinds) -> list[dict]:
    """One row per message kind with the user's outside channels (default: all on)."""
    stored = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    rows = []
    for kind in kinds:
        preference = stored.get(kind.kind)
        rows.append(
            {
                "kind": kind,
                "email": preference.email if preference else True,
                "webhook": preference.webhook if preference else True,
            }
        )
    return rows


def timeline(obj):
    """The object's history as the audit trail records it (deadline steps included)."""
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import AuditEntry

    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("created_at", "id")
