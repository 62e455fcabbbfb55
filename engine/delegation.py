"""转办 and 代理: who may hand an open task to someone else, and whose tasks a deputy sees.

- A leader reassigns (转办) an open step task (engine.steps) of a unit in their subtree to a
  person holding a membership in a unit of that subtree (engine.services.task_reassign).
- A person away (出差/请假, engine.models.Absence) names a deputy; while the absence runs, the
  deputy's inbox also lists the absent person's tasks: the ones named to them and the ones of
  the seats they hold (`deputised_q`, a pool of engine.selectors.inbox_tasks). Deadlines keep
  running: the absence pauses nothing.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.status import STATUS

from accounts import access
from accounts.models import Membership

from . import notifications

REASSIGNABLE = (STATUS.NEW, STATUS.ASSIGNED)
REASSIGNED = "task.reassigned"


def absent_for(user, today=None) -> list:
    """The people `user` deputises for today (kept on the user object for the request)."""
    if today is None and hasattr(user, "_absent_for"):
        return user._absent_for
    cache = today is None
    today = today or timezone.localdate()
    people = list(
        get_user_model()
        .objects.filter(
            is_active=True,
            absences__deputy=user,
            absences__starts_on__lte=today,
            absences__ends_on__gte=today,
        )
        .distinct()
        .order_by("pk")
    )
    if cache:
        user._absent_for = people
    return people


def deputised_q(user) -> Q:
    """Open tasks of the people `user` deputises for today: named to them, or of a seat they
    hold and nobody has claimed (registered as an inbox pool)."""
    from .selectors import _seat_q

    q = Q(pk__in=[])
    if not access.is_active_user(user):
        return q
    for person in absent_for(user):
        q |= Q(owner=person, status__in=(STATUS.ASSIGNED, STATUS.STARTED)) | _seat_q(person)
    return q


def on_behalf_of(user, task):
    """The absent person a task in `user`'s inbox is there for, or None (it is their own)."""
    from .steps import holds

    if task.owner_id == user.pk:
        return None
    seat, unit = task.owner_permission, task.owner_permission_obj_pk
    if task.owner_id is None and holds(user, seat, unit):
        return None
    for person in absent_for(user):
        if task.owner_id == person.pk or (task.owner_id is None and holds(person, seat, unit)):
            return person
    return None


def reassign_unit_ids(user) -> set[str]:
    """The units (as the task table stores them) whose tasks `user` may reassign: their
    subtree as a leader (engine.selectors.led_units). Kept on the user object."""
    if not hasattr(user, "_reassign_units"):
        from .selectors import led_units

        user._reassign_units = {str(pk) for pk in led_units(user).values_list("pk", flat=True)}
    return user._reassign_units


def may_reassign(user, task) -> bool:
    from .steps import StepTask

    return (
        task.status in REASSIGNABLE
        and isinstance(task.flow_task, StepTask)
        and task.owner_permission_obj_pk is not None
        and str(task.owner_permission_obj_pk) in reassign_unit_ids(user)
    )


def reassign_candidates(user):
    """Active people holding a membership in a unit of `user`'s subtree, `user` excepted."""
    from .selectors import led_units

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(
                org_unit__in=led_units(user), org_unit__is_active=True
            ).values("user_id"),
        )
        .exclude(pk=user.pk)
        .order_by("full_name", "username")
    )


def annotate_rows(user, rows) -> None:
    """Mark inbox rows (engine.selectors.task_rows) with `on_behalf` (the absent person) and
    `may_reassign`, without a query per row."""
    for row in rows:
        row.on_behalf = on_behalf_of(user, row)
        row.may_reassign = may_reassign(user, row)


# the step and who handed it over, never what it is about: a confidential process's subject
# stays on its own page, behind its own access rules
notifications.register_kind(
    REASSIGNED,
    label=_("Task reassigned to you (转办)"),
    title=_("Reassigned to you: {{ step }}"),
    body=_("{{ actor }} reassigned the step “{{ step }}” to you: {{ reason }} {{ url }}"),
)
