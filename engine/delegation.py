"""转办 and 代理: who may hand an open task to someone else, and whose tasks a deputy sees.

- A leader reassigns (转办) an open step task (engine.steps) of a unit in their subtree to a
  person holding a membership in a unit of that subtree (engine.services.task_reassign).
- A person away (出差/请假, engine.models.Absence) names a deputy; while the absence runs, the
  deputy's inbox also lists the absent person's tasks: the ones named to them and the ones of
  the seats they hold and the flows' pools as they are for them (a case's accepting body, a
  committee's vote: `deputised_q`, a pool of engine.selectors.inbox_tasks), and may do them
  (engine.holders). Deadlines keep running: the absence pauses nothing.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.status import STATUS

from accounts import access, signed_in
from accounts.models import Membership, Role

from . import notifications

REASSIGNABLE = (STATUS.NEW, STATUS.ASSIGNED)
REASSIGNED = "task.reassigned"
# the signed-in person's figure (accounts.signed_in): do they stand in for anyone today?
DEPUTISES = "deputises"


def deputises_expression():
    from .models import Absence

    today = timezone.localdate()
    return Exists(
        Absence.objects.filter(
            deputy=OuterRef("pk"), user__is_active=True, starts_on__lte=today, ends_on__gte=today
        )
    )


def absent_for(user, today=None) -> list:
    """The people `user` deputises for today (kept on the user object for the request)."""
    if today is None and hasattr(user, "_absent_for"):
        return user._absent_for
    if today is None and signed_in.figure(user, DEPUTISES) is False:
        # most people stand in for nobody: the query that loaded them said so
        user._absent_for = []
        return []
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


def pools_q(person) -> Q:
    """The flows' pools (engine.selectors.POOLS) as they are for `person`, this one excepted."""
    from .selectors import POOLS

    q = Q(pk__in=[])
    for pool in POOLS:
        if pool is deputised_q:
            continue
        pooled = pool(person)
        if isinstance(pooled, Q):
            q |= pooled
        elif pooled:
            q |= Q(pk__in=list(pooled))
    return q


def deputised_q(user) -> Q:
    """Open tasks of the people `user` deputises for today: named to them (their personal
    steps excepted), of a seat they hold and nobody has claimed, and the flows' pools as they
    are for them (a case's accepting body, a committee's vote). Registered as an inbox pool."""
    from .holders import deputising
    from .selectors import _seat_q

    q = Q(pk__in=[])
    if not access.is_active_user(user):
        return q
    people = absent_for(user)
    if not people:
        return q
    # a deputy's deputy is not followed (one level, no loop)
    with deputising() as first:
        if not first:
            return q
        for person in people:
            named = Q(owner=person, status__in=(STATUS.ASSIGNED, STATUS.STARTED))
            q |= (named & ~Q(flow_task__in=personal_nodes())) | _seat_q(person) | pools_q(person)
    return q


def on_behalf_of(user, task, pooled=None):
    """The absent person a task in `user`'s inbox is there for, or None (it is their own).
    `pooled`: {task id: person} for tasks of the absent people's pools (annotate_rows)."""
    from .steps import holds

    if task.owner_id == user.pk:
        return None
    seat, unit = task.owner_permission, task.owner_permission_obj_pk
    if task.owner_id is None and holds(user, seat, unit):
        return None
    for person in absent_for(user):
        if task.owner_id == person.pk or (task.owner_id is None and holds(person, seat, unit)):
            return person
    return (pooled or {}).get(task.pk)


def _pooled_for_others(user, rows) -> dict:
    """{task id: absent person} for the rows named to nobody and held by no seat that are in an
    absent person's pool and not in `user`'s own: a few queries per absent person, whatever
    the number of rows."""
    from viewflow.workflow.models import Task

    from .holders import deputising
    from .steps import SEAT_PREFIX

    people = absent_for(user)
    ids = [
        r.pk
        for r in rows
        if r.owner_id is None and not (r.owner_permission or "").startswith(SEAT_PREFIX)
    ]
    if not people or not ids:
        return {}
    own = set(Task.objects.filter(pools_q(user), pk__in=ids).values_list("pk", flat=True))
    found = {}
    with deputising():
        for person in people:
            for pk in Task.objects.filter(pools_q(person), pk__in=ids).values_list("pk", flat=True):
                if pk not in own:
                    found.setdefault(pk, person)
    return found


def reassign_unit_ids(user) -> set[str]:
    """The units (as the task table stores them) whose tasks `user` may reassign: their
    subtree as a leader (engine.selectors.led_units). Kept on the user object."""
    if not hasattr(user, "_reassign_units"):
        from .selectors import led_units

        user._reassign_units = {str(pk) for pk in led_units(user).values_list("pk", flat=True)}
    return user._reassign_units


def is_personal(task) -> bool:
    """A step that is the named person's own act (engine.steps.Step.personal, or the answer of
    a flow's own node, `is_personal(task)`: cases.flows.CaseTask, the reporter's rating)."""
    from .steps import StepTask

    if isinstance(task.flow_task, StepTask):
        return task.flow_task.step.personal
    answer = getattr(task.flow_task, "is_personal", None)
    return bool(answer and answer(task))


def personal_nodes() -> list:
    """The nodes of every personal step (a deputy's inbox leaves them out)."""
    from .steps import REGISTRY

    return [
        getattr(flow_class, step.name)
        for flow_class in REGISTRY.values()
        for step in flow_class.table.steps
        if step.personal
    ]


def task_unit_id(task):
    """The unit a task is about: a step table's seat or object unit, else the flow's answer
    (`task_unit_id(task)`, cases.flows.CaseFlow); None: nobody's subtree holds it."""
    from .steps import StepTask

    if task.flow_task is None:
        return None
    if isinstance(task.flow_task, StepTask):
        return task.owner_permission_obj_pk
    hook = getattr(task.flow_task.flow_class.instance, "task_unit_id", None)
    return hook(task) if hook is not None else None


def may_reassign(user, task) -> bool:
    """A leader hands on an open step of a unit in their subtree, unless a separation-of-duties
    rule keeps them out of that very step: nobody chooses who reviews their own report or
    verifies their own rectification (the step went up to the quality office for that reason)."""
    if task.status not in REASSIGNABLE or is_personal(task):
        return False
    unit = task_unit_id(task)
    if unit is None or str(unit) not in reassign_unit_ids(user):
        return False
    from .holders import duty_refusal

    return duty_refusal(task, user) is None


def has_reassign_candidates(user) -> bool:
    """Is there anyone `user` could hand a task to? One query, kept on the user object."""
    if not hasattr(user, "_has_reassign_candidates"):
        user._has_reassign_candidates = reassign_candidates(user).exists()
    return user._has_reassign_candidates


def offers_reassign(user, task) -> bool:
    """A 转办 link is offered only where it leads somewhere: a leader alone in their subtree
    (教务处's, the quality office's) may reassign but has nobody to reassign to. The candidates
    are asked once per person, and only when a task may be reassigned at all."""
    return may_reassign(user, task) and has_reassign_candidates(user)


def reassign_candidates(user):
    """Active staff holding a membership in a unit of `user`'s subtree, `user` excepted: a
    student or an outside expert is never handed a unit's work."""
    from .selectors import led_units

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(org_unit__in=led_units(user), org_unit__is_active=True)
            .exclude(role__in=(Role.STUDENT, Role.EXTERNAL_EXPERT))
            .values("user_id"),
        )
        .exclude(pk=user.pk)
        .order_by("full_name", "username")
    )


def deputy_candidates(user):
    """Active people who may stand in for `user` while away: those holding a membership in the
    department or office (the unit under the college, all of it) of one of `user`'s units, or
    in that very unit for a post held at the college itself; `user` excepted."""
    from accounts.models import OrgUnit

    q = Q(pk__in=[])
    units = OrgUnit.objects.filter(
        memberships__user=user, memberships__org_unit__is_active=True
    ).only("path", "depth")
    for unit in units:
        if unit.depth > 1:
            q |= Q(path__startswith=unit.path[: 2 * unit.steplen])
        else:
            q |= Q(pk=unit.pk)
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(
                org_unit__in=OrgUnit.objects.filter(q, is_active=True)
            ).values("user_id"),
        )
        .exclude(pk=user.pk)
        .order_by("full_name", "username")
    )


def annotate_rows(user, rows) -> None:
    """Mark inbox rows (engine.selectors.task_rows) with `on_behalf` (the absent person) and
    `may_reassign` (a 转办 link is offered), without a query per row."""
    pooled = _pooled_for_others(user, rows)
    for row in rows:
        row.on_behalf = on_behalf_of(user, row, pooled)
        row.may_reassign = offers_reassign(user, row)


# the step and who handed it over, never what it is about: a confidential process's subject
# stays on its own page, behind its own access rules
notifications.register_kind(
    REASSIGNED,
    label=_("Task reassigned to you (转办)"),
    title=_("Reassigned to you: {{ step }}"),
    body=_("{{ actor }} reassigned the step “{{ step }}” to you: {{ reason }} {{ url }}"),
)
