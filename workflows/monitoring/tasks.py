"""Background work: evaluation after approval and on a schedule, and opening a period."""

from celery import shared_task

from .models import Indicator, Period, PeriodOpening


def _summary(result) -> dict:
    return {"raised": result.raised, "resolved": result.resolved, "regraded": result.regraded}


@shared_task(acks_late=True)
def evaluate_indicator_period(indicator_id: int, period_id: int) -> dict:
    """After an approval: the one indicator in the one period."""
    from .services import warnings_evaluate

    period = Period.objects.get(pk=period_id)
    indicators = Indicator.objects.filter(pk=indicator_id)
    return _summary(warnings_evaluate(period=period, indicators=indicators))


@shared_task(acks_late=True)
def evaluate_period(period_id: int) -> dict:
    """Every active indicator of a period's kind, in one set-based pass."""
    from .services import warnings_evaluate

    period = Period.objects.get(pk=period_id)
    indicators = Indicator.objects.filter(is_active=True, period_kind=period.kind)
    return _summary(warnings_evaluate(period=period, indicators=indicators))


@shared_task(acks_late=True)
def evaluate_open_periods() -> int:
    """The scheduled sweep: one task per open period (past weeks are closed first)."""
    from .periods import close_past_weeks

    close_past_weeks()
    ids = list(Period.objects.filter(is_open=True).values_list("pk", flat=True))
    for period_id in ids:
        evaluate_period.delay(period_id)
    return len(ids)


@shared_task(acks_late=True)
def open_period_cycles(opening_id: int) -> int:
    from .services import period_opening_run

    opening = PeriodOpening.objects.select_related("period").get(pk=opening_id)
    try:
        return period_opening_run(opening).created
    except Exception as exc:
        PeriodOpening.objects.filter(pk=opening_id).update(
            status=PeriodOpening.Status.FAILED, message=str(exc)[:300]
        )
        raise


@shared_task(acks_late=True)
def sync_review_findings() -> int:
    """Re-drive review findings that did not reach the ledger when their review was signed."""
    from .integrations import sync_review_findings as sync

    return sync()


@shared_task(acks_late=True)
def build_cycle_report(report_id: int) -> None:
    """Assemble a subject's annual quality report from its cycle, recording progress."""
    import logging

    from django.core.files.base import ContentFile
    from django.utils import timezone
    from django.utils.translation import override

    from . import cycle_report
    from .models import Cycle, CycleReport

    report = CycleReport.objects.get(pk=report_id)
    jobs = CycleReport.objects.filter(pk=report_id)

    def progress(percent, title):
        jobs.update(progress=min(percent, 99), message=str(title)[:300])

    try:
        cycle = Cycle.objects.select_related("subject", "period", "responsible_unit").get(
            pk=report.cycle_id
        )
        with override("zh-hans"):
            jobs.update(status=CycleReport.Status.RUNNING)
            content = cycle_report.document(cycle, progress)
            name = cycle_report.file_name(cycle)
        report.file.save(f"cycle-{cycle.pk}-{report.pk}.docx", ContentFile(content), save=False)
        report.status = CycleReport.Status.DONE
        report.progress = 100
        report.message = name
        report.finished_at = timezone.now()
        report.save(update_fields=["file", "status", "progress", "message", "finished_at"])
    except Exception as exc:
        # The cycle page polling the job shows the failure; the traceback goes to the worker log.
        logging.getLogger(__name__).exception("cycle report %s failed", report_id)
        jobs.update(status=CycleReport.Status.FAILED, message=str(exc)[:300])
