"""A viewflow node whose work runs in a Celery task: `CeleryJob(func)`.

The life of one job task:
1. activation: NEW → SCHEDULED, and the Celery message is published after the flow's transaction
   commits (so a rolled-back flow never runs a job and the worker always finds the task row);
2. the worker (`engine.run_flow_job`) locks the *task* row, not the process, so people may keep
   working on the process meanwhile; a task that is no longer scheduled/started, or whose effect is
   already recorded, is left alone: a message delivered twice has its effect once;
3. `func(activation)` runs inside that transaction together with the "effect done" mark, so a worker
   killed mid-job rolls both back and the redelivered message does the work exactly once (effects
   outside the database must go through the notification outbox to share that guarantee);
4. the flow continues under the process lock (complete + next nodes);
5. a failure is retried with exponential back-off; after the last attempt the task is left in
   ERROR, listed on the failed-jobs page where an administrator retries or cancels it.
A message lost to a broker outage or a dead worker is re-published by `engine.sweep_jobs`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.flow import mixins as flow_mixins
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.nodes import AbstractJob, AbstractJobActivation
from viewflow.workflow.status import STATUS

log = logging.getLogger(__name__)

JOB_STATE = "_job"  # our bookkeeping inside Task.data
LIVE = (STATUS.SCHEDULED, STATUS.STARTED)


def job_state(task) -> dict:
    return (task.data or {}).get(JOB_STATE, {})


def _set_state(task, **values) -> None:
    data = dict(task.data or {})
    data[JOB_STATE] = {**data.get(JOB_STATE, {}), **values}
    task.data = data


def publish(task_pk: int, countdown: float = 0) -> bool:
    """Hand a job to the broker; False (logged, never raised) when the broker is unreachable, in
    which case the periodic sweep publishes it again."""
    from .tasks import publish_quietly, run_flow_job

    return publish_quietly(run_flow_job, args=[task_pk], countdown=countdown)


class CeleryJobActivation(AbstractJobActivation):
    @Activation.status.transition(source=STATUS.NEW, target=STATUS.SCHEDULED)
    def activate(self):
        _set_state(self.task, attempts=0, next_run_at=timezone.now().isoformat())
        self.task.save()
        task_pk = self.task.pk
        transaction.on_commit(lambda: publish(task_pk), robust=True)

    def prepare_revived_task(self, task):
        super().prepare_revived_task(task)
        # the revived task starts with a fresh attempt budget and no recorded failure
        task.data = {
            k: v for k, v in (task.data or {}).items() if k not in (JOB_STATE, "_exception")
        }

    @Activation.status.transition(source=[STATUS.ERROR, STATUS.SCHEDULED], target=STATUS.CANCELED)
    def cancel(self):
        self.task.finished = timezone.now()
        self.task.save()


class CeleryJob(
    flow_mixins.NodeDetailMixin,
    flow_mixins.NodeCancelMixin,
    flow_mixins.NodeUndoMixin,
    flow_mixins.NodeReviveMixin,
    AbstractJob,
):
    """A background step: `func(activation)` runs in a Celery worker after commit.

    Use it like `flow.Function`: `send = CeleryJob(this.send_report).Next(this.end)`."""

    activation_class = CeleryJobActivation
    index_view_class = flow_views.IndexTaskView
    detail_view_class = flow_views.DetailTaskView
    cancel_view_class = flow_views.CancelTaskView
    undo_view_class = flow_views.UndoTaskView
    revive_view_class = flow_views.ReviveTaskView

    def __init__(self, func, **kwargs):
        super().__init__(**kwargs)
        self._func = func

    def _resolve(self, instance):
        super()._resolve(instance)
        self._func = this.resolve(instance, self._func)


def backoff_seconds(attempt: int) -> float:
    """Delay before attempt `attempt + 1`: base · 2^(attempt-1), capped."""
    delay = settings.ENGINE_JOB_BACKOFF_SECONDS * 2 ** max(attempt - 1, 0)
    return min(delay, settings.ENGINE_JOB_BACKOFF_MAX_SECONDS)


def _locked_task(task_pk: int):
    """The job's task row, locked for this transaction; None when another worker holds it."""
    from viewflow.workflow.models import Task

    return (
        Task.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("process")
        .filter(pk=task_pk)
        .first()
    )


def run(task_pk: int) -> str:
    """Run one delivery of a job message; returns what happened (for logs and tests)."""
    from viewflow.workflow.models import Task

    try:
        with transaction.atomic():
            task = _locked_task(task_pk)
            if task is None:
                return "busy" if Task.objects.filter(pk=task_pk).exists() else "missing"
            if task.status not in LIVE:
                return "stale"
            if not job_state(task).get("done"):
                activation = task.flow_task.activation_class(task)
                activation.start()
                task.flow_task._func(activation)
                _set_state(task, done=True, error="")
                task.save()
    except Exception as exc:
        return _failed(task_pk, exc)
    return _continue(task_pk)


def _continue(task_pk: int) -> str:
    """The effect is recorded: complete the task and activate the next nodes, under the process
    lock (a lock conflict leaves the task STARTED + done; the next delivery finishes it)."""
    from viewflow.workflow.models import Task

    task = Task.objects.get(pk=task_pk)
    try:
        with task.activation() as activation:
            if activation.task.status != STATUS.STARTED:
                return "stale"
            activation.execute()
    except FlowLockFailed:
        publish(task_pk, countdown=settings.ENGINE_JOB_BACKOFF_SECONDS)
        return "locked"
    return "done"


def _failed(task_pk: int, exc: Exception) -> str:
    from viewflow.workflow.models import Task

    with transaction.atomic():
        task = _locked_task(task_pk)
        if task is None or task.status not in LIVE:
            return "stale"
        attempts = job_state(task).get("attempts", 0) + 1
        error = f"{type(exc).__name__}: {exc}"[:1000]
        if attempts < settings.ENGINE_JOB_MAX_ATTEMPTS:
            delay = backoff_seconds(attempts)
            _set_state(
                task,
                attempts=attempts,
                error=error,
                next_run_at=(timezone.now() + timedelta(seconds=delay)).isoformat(),
            )
            task.save()
            transaction.on_commit(lambda: publish(task_pk, countdown=delay), robust=True)
            log.warning("job task %s failed (attempt %s), retry in %ss", task_pk, attempts, delay)
            return "retry"
    _set_error(Task.objects.get(pk=task_pk), exc, attempts, error)
    return "error"


def _set_error(task, exc: Exception, attempts: int, error: str) -> None:
    from .jobs import notify_failed

    with task.activation() as activation:
        if activation.task.status not in LIVE:
            return
        if activation.task.status == STATUS.SCHEDULED:
            activation.start()
        _set_state(activation.task, attempts=attempts, error=error, next_run_at=None)
        try:
            raise exc
        except Exception as raised:
            activation.error(raised)
        notify_failed(activation.task)
    log.error("job task %s failed after %s attempts: %s", task.pk, attempts, error)


def is_due_for_redrive(task, now, grace: float) -> bool:
    state = job_state(task)
    if state.get("done"):
        return True
    due = parse_datetime(state["next_run_at"]) if state.get("next_run_at") else task.created
    return due is None or due + timedelta(seconds=grace) <= now
