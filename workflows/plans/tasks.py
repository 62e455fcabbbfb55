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
