"""Step tables: one mechanism that turns a domain's FSM into viewflow tasks.

A domain says, as a table, which state of its object waits for which human step, who must do it
and which engine deadline times it; the engine builds the viewflow flow from the table. The
domain's FSM services stay the only place a state changes: after a transition they call
`advance()` in their own transaction, which completes the open task (owner = the actor, the
outcome in `task.data`) and opens the task the new state waits for. So the inbox
(`engine.selectors.inbox_tasks`) and the progress line (`engine.selectors.progress`) never disagree
with the object.

Declaring a process (in the domain app's `flows.py`, imported from its AppConfig.ready())::

    from engine import steps

    class WarningFlow(steps.StepFlow):
        table = steps.StepTable(
            model=Warning,
            state_field="status",
            process_title=_("Warning response"),
            summary=lambda w: f"{w.indicator} · {w.subject}",
            steps=[
                steps.Step(
                    state=WarningStatus.OPEN,
                    name="acknowledge",
                    title=_("Acknowledge the warning"),
                    who=lambda w: steps.Seat(Role.DEPARTMENT_LEADER, w.responsible_unit),
                    deadline_kind="warning.response",
                ),
            ],
        )

and in each service that fires a transition, after `obj.save()`::

    steps.advance(obj, actor=actor, outcome="acknowledged")

Rules of the table:
- `steps` are in the order of the process (the progress line shows what comes after from it);
  the first step whose `state` (or one of its `also` states: one kind of work in many states)
  matches, and whose `when(obj)`, if given, is true, is the one the object waits for; no
  match: the process ends.
- `who(obj)` returns a user (the task is ASSIGNED to them) or a `Seat(role, unit)`: the task stays
  unowned (NEW) with viewflow's `owner_permission = "role:<role>"` and `owner_permission_obj` =
  the unit, and everyone holding that role in that unit (any unit, for college-wide roles) sees
  it in their inbox until one takes it (`engine.services.task_claim`) or does it. `None`:
  nobody in particular.
- `deadline_kind`: the engine Deadline (engine.deadlines) the domain starts for the step; the
  inbox and the progress line show its due date. Without one, a step may carry `due(obj)` (a
  datetime, e.g. a deadline field of the object).
- Seats: `leader_seat(unit)`, `nearest_seat(role, unit)`, `office_seat(role)` say the usual
  ones; `seat_holders(seat)` lists who holds one. A seat that does a unit's step because nobody
  there can (leader_seat's quality office, `standing_in(seat, unit)`) says so: the task keeps
  the unit (`mark_stand_in`) and the progress line and the inbox name it
  (engine.holders.stand_in_notes).
- `url(obj)`: where the step is done (default: `obj.get_absolute_url()`).
- `unit(obj)`: the unit the step is about (default: `obj.access_unit`); `related`: the
  relations `summary` and `unit` read (selected with the objects, so the inbox's queries do not
  grow with its rows).
- `outcomes`: {outcome code: label} for the progress line (codes never reach a page).
- `duty`: (process, step) of engine.duties whose rules refuse the step to some people;
  `personal`: the named person's own act, never reassigned nor done by a deputy.
- Whoever holds the open task (named to them by 转办, or a deputy's during an absence) may do
  it, and a task handed on by 转办 is theirs alone: the domain's checks ask
  `engine.holders.may_do(obj, user, usual, step)` with their own answer as `usual`.

The inbox (`engine.selectors.inbox_tasks`, `task_rows`) and the progress line
(`engine.selectors.progress`, `{% progress_line obj %}` from engine_tags on the object page) read
the tables; nothing else needs registering. A home page card that counts what waits for the
person uses `engine.selectors.inbox_card(user, FlowClass, title)`, so it never contradicts the
inbox. A seat's holder takes its task with `engine.services.task_claim` (the inbox's button).

Flows that are not step tables (cases.flows.CaseFlow, the plans' approval flows) join the same
inbox and progress line with `engine.selectors.register_flow`, `register_pool` (a Q over
viewflow's Task for unowned tasks a seat cannot describe) and `register_progress(model, flow)`,
and answer the hooks `inbox_object`, `inbox_unit`, `task_url`, `progress_processes`,
`done_by`, `outcome_label`, `waiting_for`, `steps_after` (defaults in
`engine.selectors.ProgressHooks`).

An object that predates its flow gets its process on its first `advance()`, or from
`manage.py steps_backfill` (idempotent) for every registered table. Objects created or decided
by the thousand in one statement (imports, evaluation runs, batch approvals) use
`engine.step_rows.open_many(objs)` and `close_many(model, pks, ...)`: a fenced shortcut that
writes viewflow's rows set-wise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from viewflow import this
from viewflow.workflow import flow, lock, nodes
from viewflow.workflow.models import Task
from viewflow.workflow.signals import task_finished
from viewflow.workflow.status import PROCESS, STATUS

from accounts import access
from accounts.models import Membership, OrgUnit, Role

from . import memo, task_writes
from .selectors import ProgressHooks, register_flow, register_progress

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
# the nodes every step flow has: a step so named would replace one
RESERVED_NAMES = frozenset({"start", "route", "end"})
SEAT_PREFIX = "role:"


@dataclass(frozen=True)
class Seat:
    """A role held in a unit: whoever holds it may do the step."""

    role: str
    unit: OrgUnit
    # the unit whose own seat nobody holds, when this seat stands in for it (leader_seat's
    # quality office): the task keeps it (mark_stand_in), and the pages that name the waiting
    # holder say why it waits there (engine.holders.stand_in_notes)
    instead_of: OrgUnit | None = None

    @property
    def permission(self) -> str:
        return f"{SEAT_PREFIX}{self.role}"

    def __str__(self):
        return f"{self.unit} {Role(self.role).label}"


@dataclass(frozen=True)
class Step:
    state: str
    name: str
    title: Any
    who: Callable[[Any], Any]
    deadline_kind: str | None = None
    when: Callable[[Any], bool] | None = None
    due: Callable[[Any], Any] | None = None
    # (engine.duties process key, step key): the separation-of-duties rule that refuses the
    # step to its holder and a 转办 to them (engine.holders)
    duty: tuple[str, str] | None = None
    # the named person's own act (an expert's review, the chair's signature): no 转办, no 代理
    personal: bool = False
    # further states the same step waits in (one kind of work in many states of a long FSM)
    also: tuple[str, ...] = ()

    @property
    def states(self) -> tuple[str, ...]:
        return (self.state, *self.also)

    def matches(self, obj, state: str) -> bool:
        return state in self.states and (self.when is None or self.when(obj))


def _absolute_url(obj) -> str:
    return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""


@dataclass
class StepTable:
    model: type
    state_field: str
    steps: list[Step]
    process_title: Any
    summary: Callable[[Any], str] = str
    url: Callable[[Any], str] = _absolute_url
    unit: Callable[[Any], OrgUnit | None] = access.unit_of
    # related objects the summary and unit read, fetched with the objects in the inbox
    related: tuple[str, ...] = ()
    # what the progress line says of a done step's `outcome` code
    outcomes: dict[str, Any] = field(default_factory=dict)
    by_name: dict[str, Step] = field(init=False)

    def __post_init__(self):
        self.by_name = {s.name: s for s in self.steps}

    def waiting_step(self, obj) -> Step | None:
        """The step `obj` waits for in its current state, or None (nothing human is left)."""
        state = getattr(obj, self.state_field)
        return next((s for s in self.steps if s.matches(obj, state)), None)


# model -> its flow class (filled by StepFlow subclasses)
REGISTRY: dict[type, type[StepFlow]] = {}


def holds(user, seat_permission: str, unit_id) -> bool:
    """Does `user` hold the seat named by a task's owner_permission and owner_permission_obj?"""
    if not seat_permission or not seat_permission.startswith(SEAT_PREFIX):
        return False
    role = seat_permission[len(SEAT_PREFIX) :]
    for g in access.grants(user):
        if g.role == role and (g.scope == access.Scope.COLLEGE or str(g.unit_id) == str(unit_id)):
            return True
    return False


def _load_seats() -> dict:
    """Which active units hold which role, and the unit tree: what every seat look-up reads."""
    units = {u.pk: u for u in OrgUnit.objects.filter(is_active=True).order_by("path")}
    held: dict[str, dict[str, OrgUnit]] = {}
    pairs = Membership.objects.filter(org_unit__is_active=True).values_list("role", "org_unit_id")
    for role, unit_id in pairs.distinct():
        unit = units.get(unit_id)
        if unit is not None:
            held.setdefault(role, {})[unit.path] = unit
    return {
        "held": {role: dict(sorted(by_path.items())) for role, by_path in held.items()},
        "departments": {u.path: u for u in units.values() if u.kind == OrgUnit.Kind.DEPARTMENT},
        "root": next(iter(units.values()), None),
    }


# every step hand-over resolves a seat: from memory, forgotten when a membership or a unit
# changes (engine.memo; bulk writes and tree moves call `seats_changed` themselves)
_seat_memo = memo.SharedMemo("seats", _load_seats)


def seats_changed(**kwargs) -> None:
    _seat_memo.changed()


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    for model in (Membership, OrgUnit):
        post_save.connect(seats_changed, sender=model, dispatch_uid=f"seats-{model.__name__}")
        post_delete.connect(seats_changed, sender=model, dispatch_uid=f"seats-{model.__name__}")


def office_seat(role: str) -> Seat:
    """The seat of a college-wide role (the discipline office, the quality office): held in the
    unit its holders sit in (the first, in tree order), else the college."""
    seats = _seat_memo.get()
    held = seats["held"].get(role)
    unit = next(iter(held.values())) if held else None
    return Seat(role, unit or seats["root"] or OrgUnit.get_first_root_node())


def nearest_seat(role: str, unit: OrgUnit) -> Seat | None:
    """The seat of `role` in `unit` or the nearest unit above it where someone holds it (a team
    leader held in a major covers its courses), or None when nobody holds it there."""
    held = _seat_memo.get()["held"].get(role, {})
    for path in [unit.path, *reversed(unit.ancestor_paths())]:
        if path in held:
            return Seat(role, held[path])
    return None


def leader_seat(unit: OrgUnit) -> Seat:
    """Who leads a unit: its department's leader for teaching units, an office's own leader,
    else the quality office (as engine.notifications.unit_leaders says who is told), standing in
    for `unit` (Seat.instead_of)."""
    asked = unit
    if unit.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
        departments = _seat_memo.get()["departments"]
        # the outermost department above it, as OrgUnit.department() picks
        above = [departments[p] for p in unit.ancestor_paths() if p in departments]
        unit = above[0] if above else unit
    own = nearest_seat(Role.DEPARTMENT_LEADER, unit)
    if own is not None:
        return own
    return standing_in(office_seat(Role.QUALITY_OFFICER), asked)


def standing_in(seat: Seat, unit: OrgUnit) -> Seat:
    """`seat` doing a step of `unit` because nobody in `unit` can (Seat.instead_of); a seat held
    in `unit` itself or below it (the quality office's own task) stands in for nobody."""
    if seat.unit.path.startswith(unit.path):
        return seat
    return replace(seat, instead_of=unit)


def mark_stand_in(task, who) -> None:
    """Record on `task` the unit a stand-in seat acts for (Seat.instead_of), or clear the mark
    when the task now goes to the unit's own seat or a person (engine.holders.STANDS_IN)."""
    from .holders import STANDS_IN

    data = dict(task.data or {})
    if isinstance(who, Seat) and who.instead_of is not None:
        data[STANDS_IN] = str(who.instead_of.pk)
    else:
        data.pop(STANDS_IN, None)
    task.data = data


def seat_holders(seat: Seat):
    """The people holding a seat (for notifications and the progress line)."""
    from django.contrib.auth import get_user_model

    memberships = Membership.objects.filter(role=seat.role, org_unit__is_active=True)
    if access.ROLE_SCOPE.get(seat.role) != access.Scope.COLLEGE:
        memberships = memberships.filter(org_unit=seat.unit)
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=memberships.values("user_id"))
        .order_by("pk")
    )


class StepActivation(nodes.ViewActivation):
    """Opens a step's task: to the named person, or to a seat (role in a unit). The task always
    records the unit it is about in viewflow's owner_permission_obj, so the inbox filters by
    unit on the task table itself."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        process = prev_activation.process
        obj = process.artifact
        step = flow_task.step
        task = flow_task.flow_class.task_class(process=process, flow_task=flow_task, token=token)
        task.data = data if data is not None else {}
        task.seed = seed
        task.artifact = obj
        who = step.who(obj)
        unit = who.unit if isinstance(who, Seat) else flow_task.flow_class.table.unit(obj)
        if unit is not None:
            task.owner_permission_obj = unit
        if isinstance(who, Seat):
            task.owner_permission = who.permission
        elif who is not None:
            task.owner, task.status = who, STATUS.ASSIGNED
        mark_stand_in(task, who)
        # with the completed task and the route's, in one statement
        task_writes.flush(task, prev_activation.task)
        return cls(task)


class StepTask(flow.View):
    """One human step of a table. Its page is the domain's own object page: the step is done
    there, through the domain's service, never through a viewflow task view."""

    activation_class = StepActivation
    writes_together = True  # its activation writes through engine.task_writes
    index_view_class = None
    detail_view_class = None
    cancel_view_class = None
    undo_view_class = None
    revive_view_class = None
    assign_view_class = None
    unassign_view_class = None

    def __init__(self, step: Step):
        super().__init__(this.object_page)
        self.step = step
        self.task_title = step.title

    def can_execute(self, user, task):
        return task.owner_id == user.pk or (
            task.owner_id is None
            and holds(user, task.owner_permission, task.owner_permission_obj_pk)
        )

    def can_assign(self, user, task):
        """A seat's unclaimed task is taken by a holder of the seat, or by the deputy of one
        during their absence (engine.holders.acting_for): the inbox shows it to both."""
        from .holders import acting_for

        if task.owner_id is not None:
            return False
        return (
            holds(user, task.owner_permission, task.owner_permission_obj_pk)
            or acting_for(user, task) is not None
        )


def _goes_to(step: Step):
    def condition(activation) -> bool:
        if not hasattr(activation, "waiting_step"):
            table = activation.flow_class.table
            activation.waiting_step = table.waiting_step(activation.process.artifact)
        return activation.waiting_step is step

    return condition


class StepFlow(ProgressHooks, flow.Flow):
    """The generic flow of a step table; a subclass sets `table` and is the domain's flow."""

    table: StepTable | None = None
    lock_impl = lock.select_for_update_lock

    def __init_subclass__(cls, **kwargs):
        table = cls.__dict__.get("table")
        if table is not None:
            from .models import StepProcess

            cls.process_class = StepProcess
            cls.process_title = table.process_title
            cls.start = nodes.StartHandle(this.start_process).Next(this.route)
            route = task_writes.Route()
            for step in table.steps:
                if step.name in RESERVED_NAMES:
                    raise ValueError(f"{cls.__name__}: a step may not be named {step.name!r}")
                setattr(cls, step.name, StepTask(step).Next(this.route))
                route = route.Case(getattr(this, step.name), _goes_to(step))
            cls.route = route.Default(this.end)
            cls.end = nodes.End()
            REGISTRY[table.model] = cls
        super().__init_subclass__(**kwargs)
        if table is not None:
            register_flow(cls)
            register_progress(table.model, cls)

    def start_process(self, activation, obj):
        activation.process.artifact = obj
        activation.process.save()
        return activation.process

    def object_page(self, request, **kwargs):
        from django.http import Http404

        raise Http404

    def task_url(self, task) -> str:
        return self.table.url(task.process.artifact)

    # what engine.selectors.task_rows asks every flow
    def inbox_object(self, process):
        return process.artifact

    def inbox_unit(self, obj, task):
        return self.table.unit(obj)

    # what engine.selectors.progress asks every flow
    def progress_processes(self, obj):
        return processes_of(obj)

    def outcome_label(self, task) -> str:
        return str(self.table.outcomes.get((task.data or {}).get("outcome", ""), ""))

    def steps_after(self, names, obj) -> list[str]:
        order = [s.name for s in self.table.steps]
        if not names:
            return []
        last = max(order.index(n) for n in names if n in order)
        # a step that waits in two branches of the track (answering the reporter after the
        # handling, or after not filing) is one step ahead, named once
        return list(dict.fromkeys(str(s.title) for s in self.table.steps[last + 1 :]))


def flow_for(obj) -> type[StepFlow] | None:
    return REGISTRY.get(type(obj)) or REGISTRY.get(type(obj)._meta.concrete_model)


def processes_of(obj):
    from .models import StepProcess

    return StepProcess.objects.filter(
        artifact_content_type=ContentType.objects.get_for_model(obj),
        artifact_object_id=obj.pk,
    )


def _running(flow_class, obj):
    return (
        processes_of(obj)
        .filter(flow_class=flow_class, status=PROCESS.NEW)
        .select_for_update()
        .order_by("-pk")
        .first()
    )


def start(obj, *, fresh_only: bool = False):
    """Start `obj`'s process when its state waits for a step (in the caller's transaction);
    idempotent: a running process is returned as it is (None with `fresh_only`)."""
    flow_class = flow_for(obj)
    process = _running(flow_class, obj)
    if process is not None:
        return None if fresh_only else process
    if flow_class.table.waiting_step(obj) is None:
        return None
    return flow_class.start.run(obj=obj)


def without_process(flow_class):
    """The objects of a table in a waiting state with no running process (steps_backfill)."""
    from .models import StepProcess

    table = flow_class.table
    running = StepProcess.objects.filter(
        flow_class=flow_class,
        status=PROCESS.NEW,
        artifact_content_type=ContentType.objects.get_for_model(table.model),
    ).values("artifact_object_id")
    states = {state for step in table.steps for state in step.states}
    return (
        table.model.objects.filter(**{f"{table.state_field}__in": states})
        .exclude(pk__in=running)
        .order_by("pk")
    )


def advance(obj, *, actor=None, outcome: str = "") -> None:
    """After a service changed `obj`'s state (in its transaction, with `obj` saved): complete
    the open task as `actor` with `outcome`, and open the task the new state waits for.

    `actor` None (the system, or a reporter who hid their identity) completes it named to
    nobody. No running process (the object predates its flow): one starts.

    The open tasks are read with their process row locked (`select_for_update` of both, the
    same row lock as the flow's `lock_impl`), in one query: the process is not locked again."""
    flow_class = flow_for(obj)
    tasks = list(
        Task.objects.select_for_update(of=("self", "process"))
        .select_related("process")
        .filter(
            process__flow_class=flow_class,
            process__status=PROCESS.NEW,
            process__artifact_content_type=ContentType.objects.get_for_model(obj),
            process__artifact_object_id=obj.pk,
            status__in=OPEN,
        )
        .order_by("pk")
    )
    if not tasks:
        start(obj)
        return
    for task in tasks:
        task.process.artifact = obj
        _complete(task, actor, outcome)


def _complete(task, actor, outcome: str) -> None:
    """Take the open task straight to done as `actor` (the service has decided who may act, as
    viewflow's assign, start and execute would, without a write each): the row is written with
    the next task's (engine.task_writes)."""
    activation = task.flow_task.activation_class(task)
    now = timezone.now()
    task.data = {**(task.data or {}), "outcome": outcome}
    if actor is not None and task.owner_id != actor.pk:
        # nobody to name (the system, a hidden reporter): the task is done named to nobody
        task.owner = actor
    task.status = STATUS.DONE
    task.started = task.started or now
    task.finished = now
    task.pending = True
    task_finished.send(sender=task.flow_task.flow_class, process=task.process, task=task)
    activation.activate_next()


def retarget(obj) -> None:
    """After who does `obj`'s open step changed without a transition (a new person responsible,
    another lead unit): the open task goes to whom the table names now (in the caller's
    transaction); no running process: one starts, as on `advance()`."""
    flow_class = flow_for(obj)
    process = _running(flow_class, obj)
    if process is None:
        start(obj)
        return
    table = flow_class.table
    tasks = Task.objects.filter(process=process, status__in=(STATUS.NEW, STATUS.ASSIGNED))
    with flow_class.lock(process.pk):
        for task in tasks.select_for_update():
            task.process = process
            who = task.flow_task.step.who(obj)
            unit = who.unit if isinstance(who, Seat) else table.unit(obj)
            activation = task.flow_task.activation_class(task)
            if isinstance(who, Seat):
                if task.status == STATUS.ASSIGNED:
                    activation.unassign()
                task.owner_permission = who.permission
            elif who is not None and task.status == STATUS.NEW:
                activation.assign(who)
            elif who is not None and task.owner_id != who.pk:
                activation.reassign(who)
            mark_stand_in(task, who)
            task.owner_permission_obj = unit
            task.save()
