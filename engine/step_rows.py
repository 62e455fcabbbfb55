"""FENCED: writes viewflow's Process and Task rows of step tables set-wise.

Why: an import of thousands of readings or an evaluation run raising thousands of warnings
would start one process per object through viewflow's activations (start task, route task,
human task, two links: some ten statements each). Here one statement per batch writes the
processes and one their waiting tasks; a batch decision (approve a whole import batch, warnings
resolved by a run) closes them in two UPDATEs. The rows are those `engine.steps` writes through
the public API (the human task's node, type, status, owner or seat, unit, artifact), minus the
start and route bookkeeping rows, which nothing reads: a task opened here is completed later by
`steps.advance` exactly like one opened by `steps.start`.

Nothing outside this module writes viewflow's tables directly; tests/engine/test_step_rows.py
fails if the library's models change under it.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from . import memo
from .models import StepProcess
from .steps import OPEN, Seat, flow_for, mark_stand_in


def open_many(objs) -> int:
    """Open the waiting task of each object (all of one model) that has no running process.
    Returns how many were opened."""
    objs = list(objs)
    if not objs:
        return 0
    flow_class = flow_for(objs[0])
    table = flow_class.table
    content_type = ContentType.objects.get_for_model(table.model)
    running = set(
        StepProcess.objects.filter(
            flow_class=flow_class,
            status=PROCESS.NEW,
            artifact_content_type=content_type,
            artifact_object_id__in=[o.pk for o in objs],
        ).values_list("artifact_object_id", flat=True)
    )
    waiting = [
        (obj, step)
        for obj in objs
        if obj.pk not in running and (step := table.waiting_step(obj)) is not None
    ]
    if not waiting:
        return 0
    processes = StepProcess.objects.bulk_create(
        StepProcess(
            flow_class=flow_class,
            status=PROCESS.NEW,
            artifact_content_type=content_type,
            artifact_object_id=obj.pk,
        )
        for obj, _step in waiting
    )
    # every object's seat resolved against one copy of who holds which seat, not a read each
    with memo.one_copy():
        tasks = _tasks(flow_class, content_type, waiting, processes)
    Task.objects.bulk_create(tasks)
    return len(tasks)


def _tasks(flow_class, content_type, waiting, processes) -> list:
    table = flow_class.table
    orgunit_type = None
    tasks = []
    for (obj, step), process in zip(waiting, processes, strict=True):
        node = getattr(flow_class, step.name)
        task = Task(
            process=process,
            flow_task=node,
            flow_task_type=node.task_type,
            artifact_content_type=content_type,
            artifact_object_id=obj.pk,
        )
        who = step.who(obj)
        unit = who.unit if isinstance(who, Seat) else table.unit(obj)
        if unit is not None:
            if orgunit_type is None:
                orgunit_type = ContentType.objects.get_for_model(unit)
            task.owner_permission_content_type = orgunit_type
            task.owner_permission_obj_pk = str(unit.pk)
        if isinstance(who, Seat):
            task.owner_permission = who.permission
        elif who is not None:
            task.owner, task.status = who, STATUS.ASSIGNED
        mark_stand_in(task, who)
        tasks.append(task)
    return tasks


def close_many(model, pks, *, actor=None, outcome: str = "") -> int:
    """Complete the open tasks of the objects `pks` (a batch decision) and end their processes.
    Returns how many tasks were closed."""
    flow_class = flow_for(model())
    processes = StepProcess.objects.filter(
        flow_class=flow_class,
        status=PROCESS.NEW,
        artifact_content_type=ContentType.objects.get_for_model(model),
        artifact_object_id__in=list(pks),
    )
    now = timezone.now()
    done = {"status": STATUS.DONE, "started": now, "finished": now, "data": {"outcome": outcome}}
    if actor is not None:
        done["owner"] = actor
    # a step table's task carries in `data` its outcome and, while open, the unit a stand-in
    # seat acts for (StepActivation), which a done task no longer needs
    closed = Task.objects.filter(
        process__in=processes.values("pk"), status__in=OPEN, flow_task_type="HUMAN"
    ).update(**done)
    processes.update(status=PROCESS.DONE, finished=now)
    return closed
