"""Background work: evaluation after approval and on a schedule, and opening a period."""

from celery import shared_task

from .models import Indicator, Period, PeriodOpening


@shared_task(acks_late=True)
def evaluate_indicator_period(indicator_id: int, period_id: int) -> dict:
    from .services import warnings_evaluate

    indicator = Indicator.objects.get(pk=indicator_id)
    period = Period.objects.get(pk=period_id)
    result = warnings_evaluate(indicator=indicator, period=period)
    return {"raised": result.raised, "resolved": result.resolved, "regraded": result.regraded}


@shared_task(acks_late=True)
def evaluate_open_periods() -> int:
    """The scheduled sweep: every active indicator against every open period of its kind."""
    count = 0
    for period in Period.objects.filter(is_open=True):
        for indicator_id in Indicator.objects.filter(
            is_active=True, period_kind=period.kind
        ).values_list("pk", flat=True):
            evaluate_indicator_period.delay(indicator_id, period.pk)
            count += 1
    return count


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
