"""Background work of the plans feature."""

from celery import shared_task


@shared_task(name="plans.run_export")
def run_export(job_id: int) -> str:
    """Build an export file, recording progress on the job as rows are written."""
    from django.core.files.base import ContentFile
    from django.utils.translation import gettext as _

    from . import exports
    from .models import ExportJob

    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    if job.state == ExportJob.State.DONE:
        return job.filename
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.RUNNING, total_rows=exports.row_count(job.owner, job.what)
    )

    def progress(rows):
        ExportJob.objects.filter(pk=job.pk).update(done_rows=rows)

    try:
        data, filename, _type = exports.build(job.owner, job.what, job.fmt, progress=progress)
    except Exception:
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.FAILED, error=_("The export failed; try again.")
        )
        raise
    job.refresh_from_db()
    job.file.save(f"{job.what}-{job.pk}.{job.fmt}", ContentFile(data), save=False)
    job.filename = filename
    job.state = ExportJob.State.DONE
    job.done_rows = job.total_rows
    job.save()
    return filename


@shared_task(name="plans.clean_old_files")
def clean_old_files() -> dict:
    """Delete import previews and export files older than PLANS_FILES_KEEP_DAYS (Celery beat).

    Previews hold a whole parsed table and exports a whole document: neither is a record (the
    tasks, the audit trail and the items' versions are), so they do not stay for ever."""
    import datetime

    from django.conf import settings
    from django.utils import timezone

    from .models import ExportJob, PendingImport

    cutoff = timezone.now() - datetime.timedelta(days=settings.PLANS_FILES_KEEP_DAYS)
    imports, _by_model = PendingImport.objects.filter(created_at__lt=cutoff).delete()
    exports = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        exports += 1
    return {"imports": imports, "exports": exports}


@shared_task(name="plans.sync_task_steps")
def sync_task_steps(task_ids: list[int]) -> int:
    """Open the inbox task of imported plan tasks, or send it to the new person responsible or
    lead unit, after the import's commit (a viewflow process per task would make the import's
    queries grow with its rows)."""
    from django.db import transaction

    from engine import steps

    from .models import Task

    for pk in task_ids:
        with transaction.atomic():
            task = Task.objects.select_for_update().filter(pk=pk).first()
            if task is not None:
                steps.retarget(task)
    return len(task_ids)
