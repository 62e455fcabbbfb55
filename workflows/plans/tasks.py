"""Background work of the plans feature."""

from celery import shared_task
from django.db import transaction


@shared_task(
    name="plans.sync_task_deadlines",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def sync_task_deadlines(task_ids: list[int]) -> int:
    """Register imported tasks' deadlines with the engine after the import has committed.

    Idempotent: deadline_start replaces an open deadline of the same task, so a retry or a
    second run leaves one deadline per task."""
    from .models import Task
    from .services import task_deadline_sync

    done = 0
    for task in Task.objects.filter(pk__in=task_ids).select_related("lead_unit", "person"):
        with transaction.atomic():
            task_deadline_sync(task)
        done += 1
    return done
