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
