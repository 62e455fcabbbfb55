"""Writes that people make on the engine's own objects (the rest lives in deadlines/jobs)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.audit import audit_record

from .capabilities import DELIVERIES_MANAGE
from .models import Delivery, NotificationPreference


@transaction.atomic
def preferences_save(*, actor, choices: dict[str, dict[str, bool]], digest: str = "") -> None:
    """Store one person's outside channels per kind of message (in-app is not a choice) and how
    often their digest comes."""
    from .models import DigestPreference

    if not access.is_active_user(actor):
        raise access.PermissionDenied
    before = {
        p.kind: {"email": p.email, "webhook": p.webhook, "chat": p.chat}
        for p in NotificationPreference.objects.filter(user=actor)
    }
    for kind, channels in choices.items():
        NotificationPreference.objects.update_or_create(
            user=actor,
            kind=kind,
            defaults={
                "email": channels["email"],
                "webhook": channels["webhook"],
                "chat": channels.get("chat", True),
            },
        )
    after = dict(choices)
    if digest:
        DigestPreference.objects.update_or_create(user=actor, defaults={"frequency": digest})
        after["digest"] = digest
    audit_record(
        actor=actor, action="notification.preferences", obj=actor, before=before, after=after
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

    from . import delegation, holders
    from .duties import DutyRefused
    from .steps import StepTask

    if not isinstance(task.flow_task, StepTask) or not task.flow_task.can_assign(actor, task):
        raise PermissionDenied(_("This task is not waiting for you."))
    with task.flow_task.flow_class.lock(task.process_id):
        task.refresh_from_db()
        if not task.flow_task.can_assign(actor, task):
            raise PermissionDenied(_("Someone else has taken this task."))
        # a step they could not do would stay stuck with them
        rule = holders.duty_refusal(task, actor)
        if rule is not None:
            raise DutyRefused(rule)
        for_whom = delegation.on_behalf_of(actor, task)
        task.flow_task.activation_class(task).assign(actor)
    after = {"task": task.pk, "step": task.flow_task.name}
    if for_whom is not None:
        after["on_behalf_of"] = for_whom.pk
    audit_record(actor=actor, action="task.claim", obj=task.process.artifact, after=after)


@transaction.atomic
def task_reassign(*, actor, task, to_user, reason: str):
    """转办: a leader hands an open step task of a unit in their subtree to a person holding a
    membership in that subtree, with a reason; the task leaves its seat (or its owner) for
    `to_user`. Its deadline runs on."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from . import delegation, holders, notifications

    if not access.is_active_user(actor):
        raise PermissionDenied
    task = Task.objects.select_for_update().get(pk=task.pk)
    if not delegation.may_reassign(actor, task):
        raise PermissionDenied(
            _("You may reassign only open tasks of the units you lead and the units under them.")
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the task is reassigned.")})
    if not delegation.reassign_candidates(actor).filter(pk=to_user.pk).exists():
        raise ValidationError(
            {"to_user": _("%(person)s holds no post in a unit under yours.") % {"person": to_user}}
        )
    # a separation-of-duties rule that refuses the step to them refuses the 转办 too
    rule = holders.reassign_refusal(task, to_user)
    if rule is not None:
        raise ValidationError(
            {
                "to_user": _("%(person)s may not do this step: %(rule)s.")
                % {"person": to_user, "rule": rule.description}
            }
        )
    before = {"owner": task.owner_id, "seat": task.owner_permission or ""}
    # marks the task as its new holder's alone: whoever usually does the step no longer may
    # (engine.holders.may_do)
    handed = (task.data or {}).get(holders.HANDED, [])
    task.data = {
        **(task.data or {}),
        holders.HANDED: [*handed, {"by": actor.pk, "to": to_user.pk, "from": before}],
    }
    activation = task.flow_task.activation_class(task)
    with task.flow_task.flow_class.lock(task.process_id):
        if task.status == STATUS.NEW:
            activation.assign(to_user)
        else:
            activation.reassign(to_user)
    holders.handed_changed()
    notifications.notify(
        kind=delegation.REASSIGNED,
        recipients=[to_user],
        url=task.flow_task.flow_class.instance.task_url(task),
        context={"step": str(task.title), "actor": str(actor), "reason": reason.strip()},
        dedup_key=f"task.reassign.{task.pk}.{to_user.pk}.{timezone.now().timestamp()}",
    )
    audit_record(
        actor=actor,
        action="task.reassign",
        obj=task,
        before=before,
        after={"owner": to_user.pk, "reason": reason.strip()},
    )
    return task


@transaction.atomic
def absence_create(*, actor, kind, starts_on, ends_on, deputy, note=""):
    """A person marks themselves away and names a deputy (代理) of their department or office
    (engine.delegation.deputy_candidates)."""
    from .delegation import deputy_candidates
    from .models import Absence

    if not access.is_active_user(actor):
        raise access.PermissionDenied
    if (
        deputy is not None
        and deputy.pk != actor.pk
        and not deputy_candidates(actor).filter(pk=deputy.pk).exists()
    ):
        raise ValidationError(
            {"deputy": _("%(person)s is not of your department or office.") % {"person": deputy}}
        )
    absence = Absence(
        user=actor, kind=kind, starts_on=starts_on, ends_on=ends_on, deputy=deputy, note=note
    )
    absence.full_clean()
    absence.save()
    audit_record(
        actor=actor,
        action="absence.create",
        obj=absence,
        after={
            "kind": kind,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "deputy": deputy.pk,
        },
    )
    return absence


@transaction.atomic
def absence_delete(*, actor, absence) -> None:
    """Take back an absence (one's own)."""
    if absence.user_id != getattr(actor, "pk", None):
        raise access.PermissionDenied
    audit_record(
        actor=actor,
        action="absence.delete",
        obj=absence,
        before={"starts_on": absence.starts_on.isoformat(), "ends_on": absence.ends_on.isoformat()},
    )
    absence.delete()


def chat_identities_sync(*, actor, platform_code: str) -> dict:
    """Find, by mobile number, the DingTalk or WeCom user id of every active person who has a
    mobile number and no id on that platform yet. Not one transaction: each id found is kept
    even if a later look-up fails. Returns {"mapped": n, "unknown": n}."""
    from . import chat
    from .models import ChatIdentity

    if actor is not None:
        access.require(actor, DELIVERIES_MANAGE)
    platform = chat.PLATFORMS[platform_code]
    if not platform.configured:
        raise ValidationError(_("This platform is not configured."))
    people = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(phone="")
        .exclude(chat_identities__platform=platform_code)
    )
    mapped = unknown = 0
    for person in people.iterator(chunk_size=200):
        user_id = chat.user_id_by_mobile(platform, person.phone.strip())
        if not user_id:
            unknown += 1
            continue
        _identity, created = ChatIdentity.objects.get_or_create(
            platform=platform_code, platform_user_id=user_id, defaults={"user": person}
        )
        mapped += created
    audit_record(
        actor=actor,
        action="engine.chat.sync",
        obj=None,
        after={"platform": platform_code, "mapped": mapped, "unknown": unknown},
    )
    return {"mapped": mapped, "unknown": unknown}
