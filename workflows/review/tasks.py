import logging

from celery import shared_task
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from . import annual, exports
from .models import DocumentJob

logger = logging.getLogger(__name__)


def build_job(job: DocumentJob) -> None:
    """Assemble the document of `job`, recording progress after each section."""
    context = annual.AssemblyContext(year=job.year, level=job.level)

    def progress(percent, title):
        DocumentJob.objects.filter(pk=job.pk).update(
            progress=min(percent, 99), message=str(title)[:300]
        )

    with override("zh-hans"):
        DocumentJob.objects.filter(pk=job.pk).update(status=DocumentJob.Status.RUNNING)
        sections = annual.assemble(context, progress)
        if job.level:
            title = _("%(year)d %(level)s level quality report") % {
                "year": job.year,
                "level": job.get_level_display(),
            }
        else:
            title = _("%(year)d annual quality report") % {"year": job.year}
        kind = exports.LEVEL if job.level else exports.ANNUAL
        content = exports.sections_docx(title, sections, kind)
    job.file.save(
        f"{job.kind}-{job.year}-{job.level or 'college'}.docx", ContentFile(content), save=False
    )
    job.status = DocumentJob.Status.DONE
    job.progress = 100
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "status", "progress", "finished_at"])


@shared_task(acks_late=True)
def build_document(job_id: int) -> None:
    job = DocumentJob.objects.get(pk=job_id)
    try:
        build_job(job)
    except Exception as exc:
        # The page polling the job shows the failure; the traceback goes to the worker log.
        logger.exception("document job %s failed", job_id)
        DocumentJob.objects.filter(pk=job_id).update(
            status=DocumentJob.Status.FAILED, message=str(exc)[:300]
        )


@shared_task
def warn_disclosure_deadlines() -> int:
    from .services import rounds_warn_disclosure

    return len(rounds_warn_disclosure())
