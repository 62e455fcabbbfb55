"""Writes that people make on the engine's own objects (the rest lives in deadlines/jobs)."""

from django.db import transaction
from django.utils import timezone

from accounts import access
from accounts.audit import audit_record

from .capabilities import DELIVERIES_MANAGE
from .models import Delivery, NotificationPreference


@transaction.atomic
def preferences_save(*, actor, choices: dict[str, dict[str, bool]]) -> None:
    """Store one person's outside channels per kind of message (in-app is not a choice)."""
    if not access.is_active_user(actor):
        raise access.PermissionDenied
    before = {
        p.kind: {"email": p.email, "webhook": p.webhook}
        for p in NotificationPreference.objects.filter(user=actor)
    }
    for kind, channels in choices.items():
        NotificationPreference.objects.update_or_create(
            user=actor,
            kind=kind,
            defaults={"email": channels["email"], "webhook": channels["webhook"]},
        )
    audit_record(
        actor=actor, action="notification.preferences", obj=actor, before=before, after=choices
    )


@transaction.atomic
def delivery_retry(*, actor, deliveries) -> int:
    """Queue failed or pending deliveries again now, with a fresh attempt budget."""
    access.require(actor, DELIVERIES_MANAGE)
    rows = list(
        Delivery.objects.select_for_update()
        .filter(pk__in=[d.pk for d in deliveries])
        .exclude(status=Delivery.Status.SENT)
    )
    for delivery in rows:
        audit_record(
            actor=actor,
            action="delivery.retry",
            obj=delivery,
            before={"status": delivery.status, "attempts": delivery.attempts},
            after={"status": Delivery.Status.PENDING, "attempts": 0},
        )
    Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if rows:
        from .tasks import publish_quietly, send_outside

        transaction.on_commit(lambda: publish_quietly(send_outside), robust=True)
    return len(rows)


@transaction.atomic
def task_claim(*, actor, task) -> None:
    """Take a seat's open task (viewflow's assign): it leaves the other holders' inboxes and
    stays in the claimer's until they do it."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from .steps import StepTask

    if not isinstance(task.flow_task, StepTask) or not task.flow_task.can_assign(actor, task):
        raise PermissionDenied(_("This task is not waiting for you."))
    with task.flow_task.flow_class.lock(task.process_id):
        task.refresh_from_db()
        if not task.flow_task.can_assign(actor, task):
            raise PermissionDenied(_("Someone else has taken this task."))
        task.flow_task.activation_class(task).assign(actor)
    audit_record(
        actor=actor,
        action="task.claim",
        obj=task.process.artifact,
        after={"task": task.pk, "step": task.flow_task.name},
    )
