"""The holder of an open step may do it: one rule every step-gated service and page consults.

A domain's own permission check says who usually acts (a unit's leaders, the discipline
office...). The one inbox can put a step before somebody else: a leader reassigned it (转办,
engine.services.task_reassign), or its owner is away and named a deputy (代理,
engine.delegation). Such a person holds the step: `may_act(obj, user, step)` is true for

- the person the object's open task is named to (`task.owner`), and
- the deputy, during an Absence, of that person, of a holder of the task's seat (role in a
  unit, engine.steps), or of a person the flow's own rule lets act (a case's pool:
  `flow.can_execute`),

unless a separation-of-duties rule (engine.duties) refuses the step to them: a step table's
`Step.duty` names the rule's process and step; a flow that is not a table answers
`duty_refusal(task, user)` itself (cases.flows.CaseFlow). The same refusal stops a 转办 to such a
person (`reassign_refusal`).

A step handed on (转办) is its new holder's alone: whoever usually does it (a seat's other
holders, its former owner, anyone the domain's own rule lets act) no longer may. Domains ask
`may_do(obj, user, usual, step)` with their own answer as `usual`; `may_act` alone where only
holders act, and `held_pks(user, model)` where a list must show the objects held (one query).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from accounts import access

from . import memo

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
# the key in task.data that marks a task handed on (转办): engine.services.task_reassign
HANDED = "handed"
# the key in task.data naming the unit a stand-in seat acts for: nobody there can do the step,
# so another seat holds it (engine.steps.leader_seat's quality office, Seat.instead_of)
STANDS_IN = "stands_in"
# a deputy acts for the absent person, not for whoever the absent person deputises
_deputising: ContextVar[bool] = ContextVar("holders_deputising", default=False)


@contextmanager
def deputising():
    """Mark the block as acting for someone absent; yields False when already inside one (a
    deputy's deputy is not followed)."""
    if _deputising.get():
        yield False
        return
    token = _deputising.set(True)
    try:
        yield True
    finally:
        _deputising.reset(token)


def _flow_of(obj):
    from .selectors import PROGRESS

    return PROGRESS.get(type(obj)) or PROGRESS.get(type(obj)._meta.concrete_model)


def open_tasks(obj, step: str | None = None) -> list:
    """The open human tasks of `obj`'s running process (any flow with a progress line)."""
    flow_class = _flow_of(obj)
    if flow_class is None or getattr(obj, "pk", None) is None:
        return []
    processes = flow_class.instance.progress_processes(obj).filter(status=PROCESS.NEW)
    tasks = Task.objects.filter(
        process__in=processes.values("pk"), status__in=OPEN, flow_task_type="HUMAN"
    ).order_by("pk")
    return [t for t in tasks if t.flow_task is not None and step in (None, t.flow_task.name)]


def _may_execute(user, task) -> bool:
    """Does `user` hold `task` themselves: named to them, or a seat of theirs nobody claimed,
    or (a flow that is not a table) its own rule lets them act."""
    from .steps import StepTask, holds

    if task.owner_id is not None:
        return task.owner_id == user.pk
    if isinstance(task.flow_task, StepTask):
        return holds(user, task.owner_permission, task.owner_permission_obj_pk)
    can = getattr(task.flow_task, "can_execute", None)
    return bool(can and can(user, task))


def acting_for(user, task):
    """Whom `user` does `task` for: themselves, an absent person they deputise for, or None."""
    from . import delegation

    if not access.is_active_user(user):
        return None
    if task.owner_id == user.pk:
        return user
    if delegation.is_personal(task):
        return None
    with deputising() as first:
        if not first:
            return None
        for person in delegation.absent_for(user):
            if _may_execute(person, task):
                return person
    return None


def took_part(obj, user) -> bool:
    """Was a step of `obj` handed to `user` (转办), open or done? They still see the object once
    they did it: the page they land on after it, with its progress line naming them. Nobody
    else keeps seeing an object for having acted on it (a department that escalated a case no
    longer sees it). Asked only where the domain's own visibility said no (one query)."""
    if not access.is_active_user(user):
        return False
    return handed_tasks(obj).filter(owner=user).exists()


def handed_tasks(obj):
    """The human tasks of `obj`'s processes ever handed on (转办), open or done (none for an
    object without a progress line)."""
    from .selectors import _Hooks

    flow_class = _flow_of(obj)
    if flow_class is None or getattr(obj, "pk", None) is None:
        return Task.objects.none()
    processes = _Hooks(flow_class.instance).progress_processes(obj)
    return Task.objects.filter(
        process__in=processes.values("pk"), flow_task_type="HUMAN", data__has_key=HANDED
    )


def duty_refusal(task, user):
    """The separation-of-duties rule that refuses `task`'s step to `user`, or None."""
    from . import duties
    from .steps import StepTask

    flow = task.flow_task.flow_class.instance
    own = getattr(flow, "duty_refusal", None)
    if own is not None:
        return own(task, user)
    if not isinstance(task.flow_task, StepTask) or task.flow_task.step.duty is None:
        return None
    process_key, step = task.flow_task.step.duty
    rules = duties.rules_for(process_key, step)
    if not rules:  # most steps have none: no need to read the object
        return None
    obj = task.process.artifact
    return duties.refusal(process_key=process_key, step=step, actor=user, obj=obj, rules=rules)


def held_task(obj, user, step: str | None = None):
    """The open task of `obj` (at `step`, if given) that `user` holds, or None."""
    if not access.is_active_user(user) or _deputising.get():
        return None
    for task in open_tasks(obj, step):
        if acting_for(user, task) is not None:
            return task
    return None


def may_act(obj, user, step: str | None = None) -> bool:
    """May `user` do `obj`'s open step (named `step`, if given) as its holder?"""
    task = held_task(obj, user, step)
    return task is not None and duty_refusal(task, user) is None


def _process_objects() -> list[tuple[str, int]]:
    """For each flow whose own process row names its object (`process_object_field`, a case's
    process its case) instead of viewflow's artifact fields: the lookup from a task to that
    object's id, and the object's content type."""
    from .selectors import PROGRESS, _own_process

    found = []
    for model, flow_class in PROGRESS.items():
        field = getattr(flow_class, "process_object_field", None)
        own = _own_process(flow_class)
        if field and own:
            found.append(
                (f"process__{own}__{field}_id", ContentType.objects.get_for_model(model).pk)
            )
    return found


def _load_handed() -> frozenset:
    named = _process_objects()
    rows = Task.objects.filter(
        status__in=OPEN,
        flow_task_type="HUMAN",
        process__status=PROCESS.NEW,
        data__has_key=HANDED,
    ).values_list(
        "process__artifact_content_type_id",
        "process__artifact_object_id",
        *(lookup for lookup, _ct in named),
    )
    keys = set()
    for ct_id, obj_id, *named_ids in rows:
        pairs = zip(named, named_ids, strict=True)
        keys |= {(ct, str(pk)) for (_lookup, ct), pk in pairs if pk is not None}
        if obj_id is not None:
            keys.add((ct_id, str(obj_id)))
    return frozenset(keys)


# The objects with an open task handed on (转办), as (content type id, object id): few at any
# time, kept in memory (engine.memo) and read again after a 转办, so a check on an object nobody
# handed anything of costs no query. A handed task done since stays listed until the next
# read: the check then asks the object's open tasks, and finds none.
_handed = memo.SharedMemo("handed", _load_handed)


def handed_changed() -> None:
    """A task was handed on (engine.services.task_reassign): every process reads the list again
    once this transaction commits."""
    _handed.changed()


def _handed_keys(user) -> frozenset:
    cached = user.__dict__.get("_handed_keys")
    if cached is None:
        cached = user._handed_keys = _handed.get()
    return cached


def _handed_key(obj):
    return (ContentType.objects.get_for_model(obj).pk, str(obj.pk))


def handed_away_tasks(obj, user) -> list:
    """The open tasks of `obj` handed on (转办) to someone `user` does not act for."""
    if getattr(obj, "pk", None) is None or not access.is_active_user(user):
        return []
    if _handed_key(obj) not in _handed_keys(user):
        return []
    return [
        task
        for task in open_tasks(obj)
        if HANDED in (task.data or {}) and acting_for(user, task) is None
    ]


def handed_away(obj, user, step: str | None = None) -> bool:
    """Was `obj`'s open step (named `step`, if given) handed on to someone else?"""
    return any(step in (None, task.flow_task.name) for task in handed_away_tasks(obj, user))


def may_do(obj, user, usual: bool, step: str | None = None) -> bool:
    """May `user` do `obj`'s open step (named `step`, if given)? `usual` is the domain's own
    answer (their role, their unit); a step handed on (转办) is its holder's alone."""
    if usual and not handed_away(obj, user, step):
        return True
    return may_act(obj, user, step)


def require(obj, user, usual: bool, step: str | None = None) -> None:
    """The service form of `may_do`: raise as `require_held` unless `user` may do the step."""
    if usual and not handed_away(obj, user, step):
        return
    require_held(obj, user, step)


def require_held(obj, user, step: str | None = None) -> None:
    """Raise DutyRefused when a rule refuses the held step, PermissionDenied when `user` does
    not hold it (for services whose own check said no)."""
    from django.core.exceptions import PermissionDenied

    from .duties import DutyRefused

    task = held_task(obj, user, step)
    if task is None:
        raise PermissionDenied
    rule = duty_refusal(task, user)
    if rule is not None:
        raise DutyRefused(rule)


def held_q(user) -> Q:
    """Open tasks `user` holds without a seat of their own: named to them, or to (or for) the
    people they deputise for (engine.delegation.deputised_q)."""
    from . import delegation

    if not access.is_active_user(user):
        return Q(pk__in=[])
    return Q(owner=user, status__in=(STATUS.ASSIGNED, STATUS.STARTED)) | delegation.deputised_q(
        user
    )


def held_pks(user, model) -> list:
    """The ids of the `model` objects (a step table's) whose open task `user` holds (one
    query; a list filter ORs `Q(pk__in=held_pks(...))` into what the user sees)."""
    if not access.is_active_user(user):
        return []
    cached = getattr(user, "_held_pks", None)
    if cached is None:
        cached = user._held_pks = {}
    key = model._meta.label
    if key not in cached:
        ids = Task.objects.filter(
            held_q(user),
            flow_task_type="HUMAN",
            process__status=PROCESS.NEW,
            process__artifact_content_type=ContentType.objects.get_for_model(model),
        ).values_list("process__artifact_object_id", flat=True)
        field = model._meta.pk
        cached[key] = [field.to_python(pk) for pk in ids if pk is not None]
    return cached[key]


def reassign_excluded(task) -> list:
    """The people a flow never offers for `task`'s 转办 (`reassign_excluded(task)`: a case's
    reporter), left out of the picker rather than refused after the choice."""
    own = getattr(task.flow_task.flow_class.instance, "reassign_excluded", None)
    return list(own(task)) if own is not None else []


def reassign_refusal(task, to_user):
    """The rule that forbids handing `task` to `to_user` (转办), or None: the flow's own answer
    (`reassign_refusal(task, to_user)`), else the separation-of-duties rules of the step."""
    own = getattr(task.flow_task.flow_class.instance, "reassign_refusal", None)
    if own is not None:
        return own(task, to_user)
    return duty_refusal(task, to_user)


def stand_in_notes(tasks) -> dict:
    """Task pk -> why the task waits where it does, for the open tasks a seat holds in place of
    a unit where nobody can act (STANDS_IN): “（信息中心无人可办理，暂由质量管理办公室代办）”,
    “ (nobody in … can act; … acts for it)” in English. The units are read in one query, and
    only when some task stands in."""
    from accounts.models import OrgUnit

    marked = {t.pk: (t.data or {}).get(STANDS_IN) for t in tasks}
    marked = {pk: unit for pk, unit in marked.items() if unit}
    if not marked:
        return {}
    holding = {t.pk: t.owner_permission_obj_pk for t in tasks if t.pk in marked}
    units = OrgUnit.objects.in_bulk({int(pk) for pk in [*marked.values(), *holding.values()] if pk})
    notes = {}
    for pk, unit_pk in marked.items():
        unit, holder = units.get(int(unit_pk)), units.get(int(holding[pk] or 0))
        if unit is not None and holder is not None:
            notes[pk] = stand_in_note(unit, holder)
    return notes


def stand_in_note(unit, holder) -> str:
    """What a page says after the holder of a step that `holder` does because nobody in `unit`
    can (a flow that is not a step table says it through its `stand_in` hook)."""
    from django.utils.translation import gettext as _

    from .text import is_wide

    text = _("(nobody in %(unit)s can act; %(holder)s acts for it)") % {
        "unit": unit,
        "holder": holder,
    }
    return text if is_wide(text[0]) else f" {text}"
