"""Background work: open the observation duties of the current week and term every day."""

from celery import shared_task


@shared_task(acks_late=True)
def refresh_duties() -> int:
    from .services import duties_refresh

    return duties_refresh()
