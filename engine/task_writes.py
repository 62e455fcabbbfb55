"""Task rows of a step hand-over written in one statement: a fenced shortcut through viewflow.

A step completes the open task, and viewflow creates the route switch's task and the next task,
each with its "previous" link: an UPDATE and four INSERTs through the ORM, plus a savepoint for
the switch. Here the activations run as viewflow runs them, but the rows wait (`pending`) until
the next task is created, then one statement writes them all (PostgreSQL: data-modifying WITH;
elsewhere one statement each). The case flow (cases.flows) and every step table (engine.steps)
hand over through it. tests/engine/test_task_writes.py fails if viewflow's Task changes under it.

A flow uses it with `Route` as its switch (`RouteActivation`: the switch task stored done, no
savepoint) and, in its task activation's `create`, `flush(task, prev_activation.task)` instead of
`task.save()` and `task.previous.add(...)`; a task node whose activation does so says
`writes_together = True`. A completed task joins the write when the caller marks it
`pending = True` (done in memory, not saved) before `activate_next()`.

The step's FSM history row goes the same way: `StateLogBackend` (settings
DJANGO_FSM_LOG_STORAGE_METHOD) is django-fsm-log's SimpleBackend with the row handed to
`engine.write_batch`, so inside a step's write batch it travels with the next statement. It
calls the library's own row builder (`_pre_transition_callback`); the same test fences it. So
does the step's FSM save (`save_transition`): its row is locked, so it waits in the batch too.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django_fsm_log import backends as fsm_log_backends
from viewflow.workflow import nodes
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.status import STATUS

from . import write_batch


class TaskWrites:
    """The SQL is built once per model. Task has no save hooks beyond its own save(), whose one
    default (flow_task_type) is mirrored here."""

    DONE = ("status", "started", "finished", "owner", "data")

    def __init__(self):
        self._sql = {}

    def _parts(self, model):
        if model not in self._sql:
            ops = connection.ops
            table = ops.quote_name(model._meta.db_table)
            fields = [f for f in model._meta.concrete_fields if not f.primary_key]
            columns = ", ".join(ops.quote_name(f.column) for f in fields)
            values = ", ".join(["%s"] * len(fields))
            done = [model._meta.get_field(name) for name in self.DONE]
            sets = ", ".join(f"{ops.quote_name(f.column)} = %s" for f in done)
            link = ops.quote_name(model.previous.through._meta.db_table)
            self._sql[model] = {
                "fields": fields,
                "done_fields": done,
                "insert": f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id",  # noqa: S608
                "update": f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608
                "link": f"INSERT INTO {link} (from_task_id, to_task_id)",
            }
        return self._sql[model]

    @staticmethod
    def _new_values(task, fields):
        if task.flow_task and not task.flow_task_type:
            task.flow_task_type = task.flow_task.task_type
        return [f.get_db_prep_save(f.pre_save(task, True), connection) for f in fields]

    @staticmethod
    def _done_values(task, fields):
        values = [f.get_db_prep_save(f.value_from_object(task), connection) for f in fields]
        return [*values, task.pk]

    def write(self, done, chain, head) -> None:
        """UPDATE `done` (a completed task, or None) and INSERT the new tasks of `chain`, each
        linked to the one before it, the first to `head`."""
        parts = self._parts(type(chain[0]))
        if connection.vendor == "postgresql":
            pks = self._together(parts, done, chain, head)
        else:
            pks = self._one_by_one(parts, done, chain, head)
        for task, pk in zip(chain, pks, strict=True):
            task.pk = pk
            task._state.adding, task._state.db = False, connection.alias
            task.pending = False
        if done is not None:
            done.pending = False

    def _together(self, parts, done, chain, head):
        ctes, params = [], []
        if done is not None:
            ctes.append(f"d AS ({parts['update']})")
            params += self._done_values(done, parts["done_fields"])
        for i, task in enumerate(chain):
            ctes.append(f"t{i} AS ({parts['insert']})")
            params += self._new_values(task, parts["fields"])
            if i == 0:
                ctes.append(f"l{i} AS ({parts['link']} SELECT id, %s FROM t{i})")  # noqa: S608
                params.append(head.pk)
            else:
                ctes.append(
                    f"l{i} AS ({parts['link']} SELECT t{i}.id, t{i - 1}.id FROM t{i}, t{i - 1})"  # noqa: S608
                )
        ids = ", ".join(f"(SELECT id FROM t{i})" for i in range(len(chain)))  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT {ids}", params)
            return cursor.fetchone()

    def _one_by_one(self, parts, done, chain, head):
        pks, previous = [], head.pk
        with connection.cursor() as cursor:
            if done is not None:
                cursor.execute(parts["update"], self._done_values(done, parts["done_fields"]))
            for task in chain:
                cursor.execute(parts["insert"], self._new_values(task, parts["fields"]))
                pk = cursor.fetchone()[0]
                cursor.execute(f"{parts['link']} VALUES (%s, %s)", [pk, previous])
                pks.append(pk)
                previous = pk
        return pks


_writes = TaskWrites()


def flush(task, previous) -> None:
    """Write the new `task` (after `previous`) with whatever of its step still waits: a route
    task not yet written, and the completed task."""
    chain, head = [task], previous
    if getattr(head, "pending", False) and head.pk is None:
        chain.insert(0, head)
        head = head.chain_from
    done = head if getattr(head, "pending", False) else None
    _writes.write(done, chain, head)


class RouteActivation(nodes.SwitchActivation):
    """The switch decides when its task is created and stores it done: no savepoint around the
    conditions (they only read; an error rolls the whole step back anyway), no UPDATE, and the
    row is written together with the next task when that node `writes_together`."""

    # viewflow keeps activations in sets, hashed by their task's id: this one has none yet
    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        now = timezone.now()
        task = flow_task.flow_class.task_class(
            process=prev_activation.process,
            flow_task=flow_task,
            token=token,
            status=STATUS.DONE,
            started=now,
            finished=now,
        )
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        for node, condition in flow_task._branches:
            if condition is None or condition(activation):
                activation.next_task = node
                break
        else:
            raise FlowRuntimeError(f"No next task for {prev_activation.process}")
        if getattr(activation.next_task, "writes_together", False):
            task.pending, task.chain_from = True, prev_activation.task
        else:
            # viewflow's own nodes (the end) link to this task by its id: write it now
            flush(task, prev_activation.task)
        return activation


class Route(nodes.Switch):
    """A switch whose task is written with the next task (see RouteActivation)."""

    activation_class = RouteActivation


def save_transition(obj, fields: list[str]) -> None:
    """The save after an FSM transition of a row the step locked (SELECT … FOR UPDATE), through
    `engine.write_batch`: django-fsm's ConcurrentTransitionMixin would add `WHERE state = <as
    read>` and read the row count, which the lock already guarantees. Its record of the state as
    read is renewed as its own save does (`_update_initial_state`)."""
    write_batch.update(obj, fields)
    obj._update_initial_state()


class _BatchedStateLogs:
    """What django-fsm-log's row builder calls `manager.create(**values)` on."""

    @staticmethod
    def create(**values):
        from django_fsm_log.models import StateLog

        log = StateLog(**values)
        write_batch.insert(log)
        return log


class StateLogBackend(fsm_log_backends.SimpleBackend):
    """django-fsm-log's SimpleBackend (one StateLog row after each transition, the ignored models
    left out), the row written through `engine.write_batch`."""

    @staticmethod
    def post_transition_callback(sender, instance, name, source, target, **kwargs):
        return fsm_log_backends._pre_transition_callback(
            sender, instance, name, source, target, _BatchedStateLogs, **kwargs
        )
