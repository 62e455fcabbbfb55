"""Failed background jobs: the administrator's list, retry and cancel, and the re-drive sweep."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import access
from accounts.audit import audit_record
from accounts.models import Role

from . import notifications
from .capabilities import JOBS_MANAGE
from .nodes import LIVE, CeleryJob, is_due_for_redrive, job_state, publish

JOB_TYPE = CeleryJob.task_type

notifications.register_kind(
    "job.failed",
    label=_("Background job failed"),
    audience=(JOBS_MANAGE,),
    title=_("A background job failed: {{ obj }}"),
    body=_("The step “{{ obj }}” failed after {{ attempts }} attempts: {{ error }} {{ url }}"),
)


class JobStateError(Exception):
    """The job is not in a state that allows the requested operation (e.g. retrying a done job)."""


def failed_jobs():
    return (
        Task.objects.filter(flow_task_type=JOB_TYPE, status=STATUS.ERROR)
        .select_related("process")
        .order_by("-finished", "-pk")
    )


def get_failed_job(user, pk) -> Task:
    """404 for everyone who may not manage jobs (the list itself is theirs alone)."""
    if not access.has_capability(user, JOBS_MANAGE):
        raise Http404
    task = Task.objects.filter(pk=pk, flow_task_type=JOB_TYPE).select_related("process").first()
    if task is None:
        raise Http404
    return task


def notify_failed(task) -> None:
    state = job_state(task)
    notifications.notify(
        kind="job.failed",
        recipients=notifications.role_holders(Role.SYSTEM_ADMIN),
        obj=task,
        url="/jobs/failed/",
        context={"attempts": state.get("attempts", 0), "error": state.get("error", "")},
        dedup_key=f"job-failed:{task.pk}:{task.finished.isoformat() if task.finished else ''}",
    )


def job_retry(*, actor, task: Task) -> Task:
    """Revive a failed job: viewflow keeps the failed task for the record and schedules a new one
    (published after commit)."""
    access.require(actor, JOBS_MANAGE)
    with task.activation() as activation:
        if not activation.revive.can_proceed() or activation.task.status != STATUS.ERROR:
            raise JobStateError(_("Only a failed job can be retried."))
        new_task = activation.revive()
        audit_record(
            actor=actor,
            action="job.retry",
            obj=activation.task,
            before={"status": STATUS.ERROR, "error": job_state(activation.task).get("error", "")},
            after={"new_task": new_task.pk},
        )
    return new_task


def job_cancel(*, actor, task: Task) -> Task:
    """Give up a failed job: the task is cancelled, the process stays where it is."""
    access.require(actor, JOBS_MANAGE)
    with task.activation() as activation:
        if activation.task.status != STATUS.ERROR or not activation.cancel.can_proceed():
            raise JobStateError(_("Only a failed job can be cancelled."))
        activation.cancel()
        audit_record(
            actor=actor,
            action="job.cancel",
            obj=activation.task,
            before={"status": STATUS.ERROR},
            after={"status": STATUS.CANCELED},
        )
    return activation.task


def sweep_jobs(now=None) -> int:
    """Publish again every scheduled/started job whose message is overdue by the grace period:
    its message was lost (broker outage) or its worker died. A duplicate is harmless."""
    now = now or timezone.now()
    grace = settings.ENGINE_JOB_REDRIVE_AFTER_SECONDS
    pks = [
        task.pk
        for task in Task.objects.filter(flow_task_type=JOB_TYPE, status__in=LIVE).only(
            "pk", "data", "created"
        )
        if is_due_for_redrive(task, now, grace)
    ]
    published = 0
    for pk in pks:
        published += publish(pk)
    return published
