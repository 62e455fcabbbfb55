"""Reads shared by every feature: the task inbox, open deadlines, notifications."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from accounts import access, signed_in
from accounts.models import Membership, OrgUnit, Role

from . import calendar, holders, prepared
from .capabilities import OVERDUE_VIEW
from .models import Deadline, Notification, NotificationPreference
from .text import is_wide

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)

LEADER_ROLES = (Role.DEPARTMENT_LEADER, Role.TEAM_LEADER, Role.QUALITY_OFFICER)


# callables(user) -> a Q over viewflow's Task (or a list of task ids): open tasks named to nobody
# that wait for `user` among others, where a seat (engine.steps) cannot say it (a committee vote
# waits for every member who has not voted yet; a case task for whoever the case's access rules
# put behind it)
POOLS: list = []
# every flow whose tasks the inbox lists, in the order of the process filter
FLOWS: list = []


def register_pool(pool) -> None:
    """Let a flow add unassigned tasks that wait for a user to their inbox (call from ready())."""
    POOLS.append(pool)


def register_flow(flow_class) -> None:
    """List a flow in the inbox's process filter (step flows register themselves)."""
    if flow_class not in FLOWS:
        FLOWS.append(flow_class)


def _seat_q(user) -> Q:
    """Open tasks of a seat (role in a unit, engine.steps) the user holds, not yet claimed."""
    from .steps import SEAT_PREFIX

    college, in_unit = set(), {}
    for g in access.grants(user):
        if g.scope == access.Scope.COLLEGE:
            college.add(f"{SEAT_PREFIX}{g.role}")
        else:
            in_unit.setdefault(f"{SEAT_PREFIX}{g.role}", set()).add(str(g.unit_id))
    q = Q(pk__in=[])
    if college:
        q |= Q(owner_permission__in=sorted(college))
    for permission, units in sorted(in_unit.items()):
        if permission not in college:
            q |= Q(owner_permission=permission, owner_permission_obj_pk__in=sorted(units))
    return Q(status=STATUS.NEW, owner__isnull=True) & q


def _inbox_q(user) -> Q:
    """The conditions of the user's inbox: tasks named to them, of a seat they hold, and the
    flows' pools; the pools' lookups run once per request (the user object lives as long as the
    request)."""
    q = getattr(user, "_inbox_q", None)
    if q is None:
        q = Q(owner=user, status__in=(STATUS.ASSIGNED, STATUS.STARTED)) | _seat_q(user)
        for pool in POOLS:
            pooled = pool(user)
            if isinstance(pooled, Q):
                q |= pooled
            elif pooled:
                q |= Q(pk__in=list(pooled))
        user._inbox_q = q
    return q


def inbox_tasks(user):
    """Every open task of every process waiting for the user, oldest first: tasks named to them,
    tasks of a seat they hold (until one holder claims or does it), and the flows' pools."""
    if not access.is_active_user(user):
        return Task.objects.none()
    # with the process row (a step table's) or its flow's own process row and what the flow's
    # summary names (a case's, a plan approval's): task_rows reads no process table again
    return (
        _tasks_with_processes()
        .filter(_inbox_q(user), flow_task_type="HUMAN")
        .order_by("created", "pk")
    )


def _inbox_sql(user) -> tuple[str, list]:
    """The inbox's tasks (id, flow_task, created) as SQL, compiled once per request and kept on
    the user object: the navigation's count, the home page's list and the unfiltered 我的待办
    select from it. Building and compiling the pools' subqueries is most of an inbox query's
    cost (several ms of Python each time), running it a fraction of that."""
    cached = getattr(user, "_inbox_sql", None)
    if cached is None:
        tasks = Task.objects.filter(_inbox_q(user), flow_task_type="HUMAN").order_by()
        sql, params = tasks.values("pk", "flow_task", "created").query.sql_with_params()
        cached = user._inbox_sql = (sql, list(params))
    return cached


def inbox_page(user, start: int, stop: int) -> list:
    """Tasks `start` to `stop` of the whole inbox, oldest first, as `inbox_tasks` lists them (with
    their process rows): their ids from the request's compiled inbox, then the rows by id."""
    if not access.is_active_user(user) or stop <= start:
        return []
    sql, params = _inbox_sql(user)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.pk FROM ({sql}) t ORDER BY t.created, t.pk LIMIT %s OFFSET %s",  # noqa: S608 - compiled by the ORM
            [*params, stop - start, start],
        )
        ids = [row[0] for row in cursor.fetchall()]
    found = _TASKS_BY_ID.fetch(ids)
    return [found[pk] for pk in ids if pk in found]


def _tasks_with_processes():
    return Task.objects.select_related(*_process_related())


_TASKS_BY_ID = prepared.ByIds(_tasks_with_processes)


class WholeInbox:
    """The unfiltered inbox as a paginator's object list: its length is the navigation's count,
    its slices `inbox_page`."""

    def __init__(self, user):
        self.user = user

    def count(self) -> int:
        return inbox_count(self.user)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("the inbox is read a page at a time")
        start = index.start or 0
        stop = self.count() if index.stop is None else index.stop
        return inbox_page(self.user, start, stop)


def _own_process(flow_class) -> str | None:
    """The reverse accessor of a flow's own process table (a child of viewflow's Process: a
    case's, a plan approval's), or None (viewflow's row itself, or a step table's proxy)."""
    model = flow_class.process_class
    if model._meta.proxy or model._meta.concrete_model is Process:
        return None
    return model._meta.model_name


def _process_related() -> list[str]:
    related = ["process"]
    for flow_class in FLOWS:
        own = _own_process(flow_class)
        if own is not None and f"process__{own}" not in related:
            related.append(f"process__{own}")
            related += [f"process__{own}__{r}" for r in getattr(flow_class, "summary_related", ())]
    return related


def inbox_counts(user) -> dict:
    """{step (a flow node): open tasks} of the user's inbox, in one grouped query kept on the
    user object for the request: the bell, the home page's cards and 我的待办 count from it, so
    they never disagree and a page does not count the inbox once per process."""
    cached = getattr(user, "_inbox_counts", None)
    if cached is None:
        cached = user._inbox_counts = defaultdict(int)
        if not access.is_active_user(user):
            return cached
        sql, params = _inbox_sql(user)
        field = Task._meta.get_field("flow_task")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.flow_task, COUNT(*) FROM ({sql}) t GROUP BY t.flow_task",  # noqa: S608 - compiled by the ORM
                params,
            )
            for ref, n in cursor.fetchall():
                cached[field.from_db_value(ref, None, connection)] += n
    return cached


def inbox_count(user, flow_class=None, *steps: str) -> int:
    """The user's open tasks: all of them, one process's, or the named steps of one process."""

    def counted(node) -> bool:
        if flow_class is None:
            return True
        if node is None or node.flow_class is not flow_class:
            return False
        return not steps or node.name in steps

    return sum(n for node, n in inbox_counts(user).items() if counted(node))


def flow_key(flow_class) -> str:
    from viewflow.workflow.fields import get_flow_ref

    return get_flow_ref(flow_class)


def inbox_filtered(user, *, process: str = "", unit: OrgUnit | None = None):
    """The inbox narrowed to one process (a `flow_key`) and to a unit's subtree."""
    tasks = inbox_tasks(user)
    if process:
        tasks = tasks.filter(process__flow_class=process)
    if unit is not None:
        units = list(
            OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True)
        )
        q = Q(owner_permission_obj_pk__in=[str(pk) for pk in units])
        for flow_class in FLOWS:
            for lookup in getattr(flow_class, "inbox_unit_lookups", ()):
                q |= Q(**{f"{lookup}__in": units})
        tasks = tasks.filter(q)
    return tasks


def inbox_card(user, flow_class, title, empty_text="", *, handled: bool):
    """A home page card counting one process's tasks in the user's inbox, linking to them: the
    cards and 我的待办 count from the same selector, so they never disagree. `handled`: does a
    role of the user do the process's steps (accounts.home.Card.handled: shown when empty)?"""
    from django.urls import reverse
    from django.utils.http import urlencode

    from accounts.home import Card

    key = flow_key(flow_class)
    return Card(
        title=str(title),
        count=inbox_count(user, flow_class),
        url=f"{reverse('engine:inbox')}?{urlencode({'process': key})}",
        # every inbox card says an empty inbox alike
        empty_text=str(empty_text or _("Nothing to do.")),
        handled=handled,
    )


def inbox_processes() -> list[tuple[str, str]]:
    """(key, title) of every process the inbox can filter by."""
    return [(flow_key(f), str(f.process_title)) for f in FLOWS]


def task_rows(tasks) -> list:
    """Tasks ready to list, in a number of queries that does not grow with the rows: for each
    task `title` (the step), `about` (the object, from the flow's summary), `unit`, `due`,
    `days_left`, `overdue`, `url` and `process_title`.
    A flow whose tasks are also timed by other objects' deadlines answers
    `deadline_objects(objs)`: {(content type id, object id): [objects]}, in one query.

    Each flow's processes are read in one query with the relations its summary names
    (`summary_related`; step flows: their objects per table, with the table's `related`); the
    flow tells what a task is about with `inbox_object(process)`, its unit with
    `inbox_unit(obj, task)` and its link with `task_url(task)`. Due dates come from the objects'
    open engine deadlines (the step's `deadline_kind`, else the earliest), in one query."""
    from .steps import SEAT_PREFIX, StepFlow

    rows = [t for t in tasks if t.flow_task is not None]
    by_flow = defaultdict(list)
    for task in rows:
        by_flow[task.flow_task.flow_class].append(task)
    step_flows = [f for f in by_flow if issubclass(f, StepFlow)]
    if step_flows:
        from .models import StepProcess

        step_tasks = [t for f in step_flows for t in by_flow[f]]
        # the process rows came with the tasks (inbox_tasks): the same row as the proxy
        fields = [f.attname for f in StepProcess._meta.concrete_fields]
        unread = [t.process_id for t in step_tasks if not Task.process.is_cached(t)]
        rows_read = StepProcess.objects.in_bulk(unread) if unread else {}
        for task in step_tasks:
            if task.process_id in rows_read:
                task.process = rows_read[task.process_id]
            else:
                task.process = StepProcess(**{n: getattr(task.process, n) for n in fields})
        _read_artifacts([t.process for t in step_tasks], step_flows)
    for flow_class, group in by_flow.items():
        if flow_class in step_flows:
            continue
        own = _own_process(flow_class)
        unread = []
        for task in group:
            came = (
                own is not None
                and Task.process.is_cached(task)
                and getattr(Process, own).is_cached(task.process)
                and getattr(task.process, own, None) is not None
            )
            if came:
                task.process = getattr(task.process, own)
            else:
                unread.append(task)
        if not unread:
            continue
        related = getattr(flow_class, "summary_related", ())
        processes = flow_class.process_class.objects.select_related(*related).in_bulk(
            {t.process_id for t in unread}
        )
        for task in unread:
            if task.process_id in processes:
                task.process = processes[task.process_id]
    objects = []
    stand_ins = holders.stand_in_notes(rows)
    for flow_class, group in by_flow.items():
        instance = flow_class.instance
        link = getattr(instance, "task_url", None)
        of = getattr(instance, "inbox_object", None)
        unit_of = getattr(instance, "inbox_unit", None)
        for task in group:
            task.url = link(task) if link else ""
            task.obj = of(task.process) if of else None
            task.unit = unit_of(task.obj, task) if unit_of and task.obj is not None else None
            task.about = task.process.brief
            task.claimable = task.owner_id is None and (task.owner_permission or "").startswith(
                SEAT_PREFIX
            )
            task.process_title = flow_class.process_title
            task.stand_in = stand_ins.get(task.pk, "").strip()
            if task.obj is not None:
                objects.append(task.obj)
    # objects whose deadlines also time a flow's tasks (a case's notices: `deadline_objects`)
    more = {}
    for flow_class, group in by_flow.items():
        hook = getattr(flow_class.instance, "deadline_objects", None)
        if hook is not None:
            more.update(hook([t.obj for t in group if t.obj is not None]))
    due = _open_deadlines(objects + [o for found in more.values() for o in found])

    def live(obj) -> dict:
        found = dict(due.get(_key(obj), {}))
        for other in more.get(_key(obj), ()):
            for kind, deadline in due.get(_key(other), {}).items():
                found.setdefault(kind, deadline)
        return found

    now = timezone.now()
    with calendar.batch():
        for task in rows:
            task.due = None
            if task.obj is not None:
                task.due = _due(task, task.obj, live(task.obj))
            task.days_left = calendar.working_days_left(task.due, now) if task.due else None
            task.overdue = task.due is not None and task.due < now
            task.overdue_days = max(-(task.days_left or 0), 0)
    return rows


def _read_artifacts(processes, step_flows) -> None:
    """The objects the step processes are about, one query per table (with what the table's
    summary reads), compiled once per process (engine.prepared) instead of per page."""
    from .models import StepProcess

    tables = {ContentType.objects.get_for_model(f.table.model).pk: f.table for f in step_flows}
    wanted = defaultdict(list)
    for process in processes:
        if process.artifact_content_type_id in tables:
            wanted[process.artifact_content_type_id].append(process)
    for ct, group in wanted.items():
        table = tables[ct]
        pk = table.model._meta.pk
        found = _artifacts_by_id(table).fetch({pk.to_python(p.artifact_object_id) for p in group})
        for process in group:
            obj = found.get(pk.to_python(process.artifact_object_id))
            StepProcess.artifact.set_cached_value(process, obj)


_ARTIFACTS: dict = {}


def _artifacts_by_id(table):
    if table.model not in _ARTIFACTS:
        _ARTIFACTS[table.model] = prepared.ByIds(
            lambda: table.model.objects.select_related(*table.related)
        )
    return _ARTIFACTS[table.model]


def _key(obj) -> tuple:
    """(content type id, object id as text), as engine Deadlines name their object."""
    return (ContentType.objects.get_for_model(obj).pk, str(obj.pk))


def _due(task, obj, live: dict):
    """When a task is due: a step's own engine deadline (`deadline_kind`) or date (`due`); for
    flows without step tables, the object's earliest open deadline. `live`: {kind: Deadline}."""
    from .steps import StepTask

    if not isinstance(task.flow_task, StepTask):
        return min((d.due_at for d in live.values()), default=None)
    step = task.flow_task.step
    if step.deadline_kind and step.deadline_kind in live:
        return live[step.deadline_kind].due_at
    return step.due(obj) if step.due else None


def _open_deadlines(objects) -> dict:
    """{(content type id, object id): {kind: open Deadline}} for the objects, in one query."""
    from django.contrib.contenttypes.models import ContentType

    if not objects:
        return {}
    ids = defaultdict(set)
    for obj in objects:
        ids[ContentType.objects.get_for_model(obj).pk].add(str(obj.pk))
    q = Q(pk__in=[])
    for ct, pks in ids.items():
        q |= Q(content_type_id=ct, object_id__in=sorted(pks))
    found = defaultdict(dict)
    for deadline in Deadline.objects.filter(q, status=Deadline.Status.OPEN):
        found[(deadline.content_type_id, deadline.object_id)][deadline.kind] = deadline
    return found


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


# the signed-in person's figure (accounts.signed_in): the bell's count
UNREAD = "unread_notifications"


def _unread(**recipient):
    return Notification.objects.filter(
        delivered_at__isnull=False, read_at__isnull=True, **recipient
    )


def unread_expression():
    return Coalesce(
        Subquery(
            _unread(recipient=OuterRef("pk"))
            .order_by()
            .values("recipient")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )


def unread_count(user) -> int:
    if not access.is_active_user(user):
        return 0
    loaded = signed_in.figure(user, UNREAD)
    if loaded is not None:
        return loaded
    return _unread(recipient=user).count()


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
                "chat": preference.chat if preference else True,
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


# model -> the flow whose progress its page shows (step flows register themselves)
PROGRESS: dict = {}


def register_progress(model, flow_class) -> None:
    PROGRESS[model] = flow_class


@dataclass
class ProgressStep:
    title: str
    who: str = ""
    when: object = None
    outcome: str = ""
    due: object = None
    days_left: int | None = None
    overdue: bool = False
    task: object = None
    # who handed the step on (转办) to whom, oldest first, as (by, to) display names
    handed: list = field(default_factory=list)
    # why a stand-in holds the step (nobody in its unit can act: engine.holders.stand_in_notes)
    stand_in: str = ""

    @property
    def handed_text(self) -> str:
        """After who acts: “（由黄丽转办）” when the one hand-over went to them, else each one,
        “（黄丽转办给何燕；何燕转办给吴芳）”; “ (handed on by …)” in English: a Chinese bracket
        follows the name directly, an English one after a space."""
        if not self.handed:
            return ""
        [(by, to), *more] = self.handed
        if not more and to == self.who:
            handed = _("handed on by %(by)s") % {"by": by}
        else:
            handed = _("; ").join(
                _("handed on by %(by)s to %(to)s") % {"by": by, "to": to} for by, to in self.handed
            )
        text = _("(%(handed)s)") % {"handed": handed}
        return text if is_wide(text[0]) else f" {text}"


@dataclass
class Progress:
    done: list
    current: list
    after: list


def progress(obj, user=None) -> Progress | None:
    """The progress line of an object: its done steps (who, when, outcome), the current step
    (who must act: a person, or a unit and role; due date; overdue) and the steps that come
    after, in the order of its flow. The flow answers, through hooks with defaults:
    `progress_processes(obj)`, `doer_pk(task)` (who did a done step), `done_by(task, person,
    obj, user)` and `person_shown(person, obj, user)` (where identities may be hidden),
    `outcome_label(task)`, `taken_from(task)` (another step taken from this one that closed it
    and has no task of its own: it gets a row of its own, after it), `waiting_for(task, obj)`
    (a step named to nobody), `stand_in(task, obj)` (why a stand-in holds it) and
    `steps_after(names, obj)`.

    The people the line names beyond the tasks' owners (who closed a step from another one,
    who handed steps on and to whom) are read in one query, and only when there are some."""
    flow_class = PROGRESS.get(type(obj))
    if flow_class is None:
        return None
    flow = _Hooks(flow_class.instance)
    tasks = list(
        Task.objects.filter(
            process__in=flow.progress_processes(obj).values("pk"), flow_task_type="HUMAN"
        )
        .select_related("owner")
        .order_by("created", "pk")
    )
    done_tasks = [t for t in tasks if t.flow_task is not None and t.status == STATUS.DONE]
    doers = {t.pk: flow.doer_pk(t) for t in done_tasks}
    marks = _handed_marks(tasks)
    # the owners came with the tasks: the others are read together
    named = {doers[t.pk] for t in done_tasks if doers[t.pk] != t.owner_id}
    named |= {m.get(k) for ms in marks.values() for m in ms for k in ("by", "to")}
    people = _people(named - {None})
    handed = _handed_on(marks, people, obj, user, flow)
    stand_ins = holders.stand_in_notes([t for t in tasks if t.status in OPEN_STATUSES])
    done, current = [], []
    live = _open_deadlines([obj]).get((ContentType.objects.get_for_model(obj).pk, str(obj.pk)), {})
    now = timezone.now()
    for task in tasks:
        if task.flow_task is None:
            continue
        if task.status == STATUS.DONE:
            doer = task.owner if doers[task.pk] == task.owner_id else people.get(doers[task.pk])
            who = flow.done_by(task, doer, obj, user)
            outcome = flow.outcome_label(task)
            taken = flow.taken_from(task)
            done.append(
                ProgressStep(
                    title=task.title,
                    # closed from another step: whoever did that is named on its own row
                    who="" if taken else who,
                    when=task.finished,
                    # a step whose only outcome is itself (分类分等) says it once
                    outcome="" if outcome == str(task.title) else outcome,
                    handed=handed.get(task.pk, []),
                )
            )
            if taken:
                done.append(ProgressStep(title=taken, who=who, when=task.finished))
        elif task.status in OPEN_STATUSES:
            due = _due(task, obj, live)
            days_left = calendar.working_days_left(due, now) if due else None
            current.append(
                ProgressStep(
                    title=task.title,
                    # a person it is named to, as the flow lets `user` see them
                    who=(
                        flow.person_shown(task.owner, obj, user)
                        if task.owner_id
                        else flow.waiting_for(task, obj)
                    ),
                    due=due,
                    days_left=days_left,
                    overdue=due is not None and due < now,
                    task=task,
                    handed=handed.get(task.pk, []),
                    stand_in=stand_ins.get(task.pk) or flow.stand_in(task, obj),
                )
            )
    names = [t.flow_task.name for t in tasks if t.status in (STATUS.NEW, STATUS.ASSIGNED)]
    return Progress(done=done, current=current, after=flow.steps_after(names, obj))


def _people(pks) -> dict:
    """{pk: user} of `pks`, in one query; none when there is nobody to read."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.in_bulk(pks) if pks else {}


def _handed_marks(tasks) -> dict:
    """Task pk -> the 转办 marks engine.services.task_reassign left on it (who by, to whom)."""
    from .holders import HANDED

    return {t.pk: (t.data or {}).get(HANDED) or [] for t in tasks}


def _handed_on(marks, people, obj, user, flow) -> dict:
    """Task pk -> the (by, to) names of its 转办 (`marks`, the people read with the line's
    others), named as the flow lets `user` see people (`person_shown`)."""
    named = {pk for ms in marks.values() for m in ms for pk in (m.get("by"), m.get("to"))}
    shown = {pk: flow.person_shown(people[pk], obj, user) for pk in named if pk in people}
    return {
        pk: [
            (shown[m["by"]], shown[m["to"]])
            for m in ms
            if m.get("by") in shown and m.get("to") in shown
        ]
        for pk, ms in marks.items()
        if ms
    }


@dataclass
class Reassignment:
    """One 转办 of an object's step: who handed it to whom, when and why."""

    timestamp: object
    by: object
    to: object
    step: str
    reason: str


def reassignments(obj) -> list[Reassignment]:
    """The 转办 of an object's steps (engine.services.task_reassign), oldest first, as its audit
    rows recorded them, for the object's history. One query when none of its steps was ever
    handed on (the task keeps the mark), three when some were."""
    from django.contrib.auth import get_user_model

    from accounts.models import AuditEntry

    from .holders import handed_tasks

    handed = {str(task.pk): task for task in handed_tasks(obj)}
    if not handed:
        return []
    entries = list(
        AuditEntry.objects.filter(
            action="task.reassign",
            content_type=ContentType.objects.get_for_model(Task),
            object_id__in=list(handed),
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )
    to = get_user_model().objects.in_bulk({(e.after or {}).get("owner") for e in entries} - {None})
    return [
        Reassignment(
            timestamp=e.created_at,
            by=e.actor,
            to=to.get((e.after or {}).get("owner")),
            step=str(handed[e.object_id].title),
            reason=(e.after or {}).get("reason", ""),
        )
        for e in entries
    ]


class ProgressHooks:
    """The defaults of the progress line's questions to a flow (engine.selectors.progress); a
    flow answers those it knows better with methods of the same names."""

    def steps_after(self, names, obj) -> list:
        return []

    def doer_pk(self, task):
        """Who did a done step (a user's pk, or None): the person the task was named to."""
        return task.owner_id

    def done_by(self, task, person, obj, user) -> str:
        """How the one who did a done step (`person`: `doer_pk`'s row, or None) is named."""
        return str(person) if person is not None else ""

    def taken_from(self, task) -> str:
        """The title of another step, without a task of its own, whose taking closed `task`
        (the progress line gives it a row of its own), or ""."""
        return ""

    def person_shown(self, person, obj, user) -> str:
        """How `person` is named to `user` on `obj`'s page (who handed a step on, to whom)."""
        return str(person)

    def outcome_label(self, task) -> str:
        return ""

    def stand_in(self, task, obj) -> str:
        """Why a stand-in holds `task` (engine.holders.stand_in_note), for a flow whose tasks
        do not record it (a step table's do: engine.holders.STANDS_IN)."""
        return ""

    def waiting_for(self, task, obj) -> str:
        """Who must act on `task`, named to nobody (a seat, a unit, a pool)."""
        from .steps import SEAT_PREFIX

        if (task.owner_permission or "").startswith(SEAT_PREFIX):
            role = task.owner_permission[len(SEAT_PREFIX) :]
            unit = OrgUnit.objects.filter(pk=task.owner_permission_obj_pk).first()
            return f"{unit} {Role(role).label}" if unit else str(Role(role).label)
        return ""


class _Hooks:
    """A flow's own progress hooks, the defaults where it has none."""

    def __init__(self, flow):
        self._flow, self._defaults = flow, ProgressHooks()

    def __getattr__(self, name):
        hook = getattr(self._flow, name, None)
        return hook if hook is not None else getattr(self._defaults, name)


def chat_unmapped(platform_code: str):
    """Active people with a role somewhere and no user id on the platform (work notifications
    cannot reach them there)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__isnull=False)
        .exclude(chat_identities__platform=platform_code)
        .distinct()
        .order_by("username")
    )
