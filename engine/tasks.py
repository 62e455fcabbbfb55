"""Delivery of the outbox and the periodic sweeps."""

import logging
import time
from datetime import timedelta

from celery import current_app, shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError

from . import notifications
from .bulk import update_rows
from .models import ChatIdentity, Delivery, Notification, NotificationPreference

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
    """Outside channels per notification, by each recipient's preferences (two queries)."""
    from .chat import configured_platforms

    platforms = [p.code for p in configured_platforms()]
    identities = {}
    if platforms:
        identities = {
            (i.user_id, i.platform): i.platform_user_id
            for i in ChatIdentity.objects.filter(
                user_id__in={n.recipient_id for n in batch}, platform__in=platforms
            )
        }
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
        # A confidential message goes to no chat at all: a phone's lock screen shows it.
        if (preference is None or preference.chat) and not notifications.is_confidential(
            notification
        ):
            for platform in platforms:
                user_id = identities.get((notification.recipient_id, platform))
                if user_id:
                    channels.append((platform, user_id))
        result[notification.pk] = channels
    return result


# Set while a deliver_pending message is queued and not yet started: the commits meanwhile add
# rows that message will claim, so they publish nothing (2,000 commits used to publish 2,000
# messages, of which ~1,998 found no row left). Expires on its own if the message is lost.
NUDGE_KEY = "engine:outbox:nudged"


def nudge_delivery() -> None:
    """Publish one deliver_pending for any number of commits in a row (called on commit)."""
    global _broker_down_until
    if current_app.conf.task_always_eager:
        publish_quietly(deliver_pending)  # runs in place: there is no queue to flood
        return
    if time.monotonic() < _broker_down_until:
        return
    try:
        if not cache.add(NUDGE_KEY, 1, timeout=settings.ENGINE_OUTBOX_NUDGE_SECONDS):
            return
    except Exception as exc:  # the cache's Redis is the broker's: the sweep delivers
        _broker_down_until = time.monotonic() + settings.ENGINE_BROKER_PAUSE_SECONDS
        log.warning("cache unreachable, delivery left to the sweep: %s", exc)
        return
    if not publish_quietly(deliver_pending):
        cache.delete(NUDGE_KEY)


def _claim_and_deliver(limit: int) -> tuple[int, bool]:
    with transaction.atomic():
        batch = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(delivered_at__isnull=True)
            .select_related("recipient", "unit")
            .order_by("created_at")[:limit]
        )
        if not batch:
            return 0, False
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
    return len(batch), bool(deliveries)


@shared_task(name="engine.deliver_pending", ignore_result=True)
def deliver_pending(limit: int = 500) -> int:
    """Mark undelivered notifications delivered in-app and fan them out to outside channels, batch
    after batch until none is left. Safe to run any number of times at once: rows are claimed
    with SKIP LOCKED."""
    if not current_app.conf.task_always_eager:
        try:
            cache.delete(NUDGE_KEY)  # before claiming: a later commit must publish again
        except Exception as exc:
            log.warning("cache unreachable: %s", exc)
    if not Notification.objects.filter(delivered_at__isnull=True).exists():
        return 0  # a nudge whose rows an earlier batch took: no transaction
    delivered, outside = 0, False
    while True:
        count, fanned_out = _claim_and_deliver(limit)
        delivered += count
        outside = outside or fanned_out
        if count < limit:
            break
    if outside:
        transaction.on_commit(lambda: publish_quietly(send_outside), robust=True)
    return delivered


@shared_task(name="engine.send_outside", ignore_result=True)
def send_outside(limit: int = 200) -> int:
    """Send the due outside deliveries, batch after batch (each its own transaction), over one
    SMTP connection."""
    sent = 0
    now = timezone.now()
    mail = get_connection()  # opened at the first e-mail: a batch of robots needs no SMTP
    try:
        while True:
            with transaction.atomic():
                batch = list(
                    Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
                    .select_related("notification", "notification__unit")[:limit]
                )
                for delivery in batch:
                    sent += _send_one(delivery, mail, now)
                update_rows(Delivery, batch, _SEND_FIELDS)
            if len(batch) < limit:
                return sent
    finally:
        mail.close()


_SEND_FIELDS = ["attempts", "status", "sent_at", "next_attempt_at", "last_error"]


def _send_one(delivery: Delivery, mail, now) -> int:
    from .channels import send
    from .chat import GiveUp

    delivery.attempts += 1
    try:
        send(delivery, mail=mail)
    except GiveUp as exc:  # no retry helps: listed as failed at once
        delivery.last_error = str(exc)[:1000]
        delivery.status = Delivery.Status.FAILED
        return 0
    except Exception as exc:
        delivery.last_error = str(exc)[:1000]
        if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
        else:
            backoff = settings.NOTIFY_BACKOFF_SECONDS * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = now + timedelta(seconds=backoff)
        return 0
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = timezone.now()
    return 1


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


@shared_task(name="engine.send_digests", ignore_result=True)
def send_digests() -> int:
    from .digest import digests_send

    return digests_send()


@shared_task(name="engine.chat_sync", ignore_result=True)
def chat_sync(platform_code: str) -> dict:
    from .services import chat_identities_sync

    return chat_identities_sync(actor=None, platform_code=platform_code)
