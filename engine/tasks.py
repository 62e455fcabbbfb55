"""Delivery of the outbox and the periodic sweeps."""

import logging
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError

from . import notifications
from .models import Delivery, Notification, NotificationPreference

log = logging.getLogger(__name__)

# Until when (monotonic clock) this process treats the broker as down and skips publishing, so an
# unreachable broker costs one connection time-out, not one per request.
_broker_down_until = 0.0


def publish_quietly(task, *, args=(), countdown: float = 0) -> bool:
    """Publish a Celery message without ever failing or stalling the caller: when the broker is
    unreachable, log, return False and leave the work to the periodic sweeps (the database row is
    the truth; the message is only a nudge)."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        task.apply_async(args=list(args), countdown=countdown or None, retry=False)
    except (KombuError, OSError, RuntimeError) as exc:
        _broker_down_until = time.monotonic() + settings.ENGINE_BROKER_PAUSE_SECONDS
        log.warning("broker unreachable, %s left to the sweep: %s", task.name, exc)
        return False
    return True


def _channels(batch: list[Notification]) -> dict[int, list[tuple[str, str]]]:
    """Outside channels per notification, by each recipient's preferences (one query)."""
    preferences = {
        (p.user_id, p.kind): p
        for p in NotificationPreference.objects.filter(
            user_id__in={n.recipient_id for n in batch}, kind__in={n.kind for n in batch}
        )
    }
    result = {}
    for notification in batch:
        preference = preferences.get((notification.recipient_id, notification.kind))
        channels = []
        if (preference is None or preference.email) and notification.recipient.email:
            channels.append((Delivery.Channel.EMAIL, notification.recipient.email))
        unit = notification.unit
        if notifications.is_confidential(notification):
            unit = None  # a unit's chat robot is read by the whole unit
        if (preference is None or preference.webhook) and unit is not None and unit.webhook_url:
            channels.append((Delivery.Channel.WEBHOOK, unit.webhook_url))
        result[notification.pk] = channels
    return result


@shared_task(name="engine.deliver_pending", ignore_result=True)
def deliver_pending(limit: int = 1000) -> int:
    """Mark undelivered notifications delivered in-app and fan them out to outside channels.
    Safe to run any number of times at once: rows are claimed with SKIP LOCKED."""
    if not Notification.objects.filter(delivered_at__isnull=True).exists():
        return 0  # the usual case for a nudge whose rows an earlier batch took: no transaction
    with transaction.atomic():
        batch = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(delivered_at__isnull=True)
            .select_related("recipient", "unit")
            .order_by("created_at")[:limit]
        )
        if not batch:
            return 0
        channels = _channels(batch)
        deliveries = [
            Delivery(notification=notification, channel=channel, target=target)
            for notification in batch
            for channel, target in channels[notification.pk]
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Notification.objects.filter(pk__in=[n.pk for n in batch]).update(
            delivered_at=timezone.now()
        )
    if deliveries:
        transaction.on_commit(lambda: publish_quietly(send_outside), robust=True)
    return len(batch)


@shared_task(name="engine.send_outside", ignore_result=True)
def send_outside(limit: int = 200) -> int:
    from .channels import send

    sent = 0
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .select_related("notification", "notification__unit")[:limit]
        )
        for delivery in batch:
            delivery.attempts += 1
            try:
                send(delivery)
            except Exception as exc:
                delivery.last_error = str(exc)[:1000]
                if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                    delivery.status = Delivery.Status.FAILED
                else:
                    backoff = settings.NOTIFY_BACKOFF_SECONDS * 2 ** (delivery.attempts - 1)
                    delivery.next_attempt_at = now + timedelta(seconds=backoff)
            else:
                delivery.status = Delivery.Status.SENT
                delivery.sent_at = timezone.now()
                sent += 1
            delivery.save(
                update_fields=["attempts", "status", "sent_at", "next_attempt_at", "last_error"]
            )
    return sent


@shared_task(name="engine.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Re-drive what a lost message or a dead worker left behind."""
    return deliver_pending() + send_outside()


@shared_task(name="engine.escalation_sweep", ignore_result=True)
def escalation_sweep() -> int:
    from .deadlines import escalation_sweep as sweep

    return sweep()


@shared_task(name="engine.run_flow_job", ignore_result=True)
def run_flow_job(task_pk: int) -> str:
    from .nodes import run

    return run(task_pk)


@shared_task(name="engine.sweep_jobs", ignore_result=True)
def sweep_jobs() -> int:
    from .jobs import sweep_jobs as sweep

    return sweep()


@shared_task(name="engine.run_import", ignore_result=True)
def run_import(run_pk: int) -> None:
    from .imports import execute

    execute(run_pk)


@shared_task(name="engine.sweep_imports", ignore_result=True)
def sweep_imports() -> int:
    from .imports import sweep_imports as sweep

    return sweep()
