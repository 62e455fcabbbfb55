"""Deadlines on any object, with a reminder and escalation ladder that is data per kind."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.signals import request_started
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record, audit_record_many

from . import calendar, notifications, signals, write_batch
from .bulk import update_rows
from .capabilities import OVERDUE_VIEW
from .models import Deadline, EscalationRule

LIVE = (Deadline.Status.OPEN, Deadline.Status.PAUSED)

# What people call each kind of deadline: the label of its rule (data an administrator edits),
# else the label its domain registered, else a plain "deadline"; the kind itself
# ("case.acceptance") is a key, never a label. Rule labels are loaded at most once per request
# and reloaded after RULE_LABELS_TTL seconds elsewhere (or at once in the process that saved a
# rule): lists of deadlines must not query them row by row.
RULE_LABELS_TTL = 60.0
_kind_labels: dict[str, Any] = {}
_rule_labels: dict[str, str] = {}
_rule_labels_loaded_at = -RULE_LABELS_TTL


def register_kind(kind: str, *, label) -> None:
    _kind_labels[kind] = label


def forget_rule_labels(**kwargs) -> None:
    global _rule_labels_loaded_at
    _rule_labels_loaded_at = -RULE_LABELS_TTL


def kind_label(kind: str) -> str:
    global _rule_labels, _rule_labels_loaded_at
    if time.monotonic() - _rule_labels_loaded_at >= RULE_LABELS_TTL:
        _rule_labels = dict(EscalationRule.objects.values_list("kind", "label"))
        _rule_labels_loaded_at = time.monotonic()
    label = _rule_labels.get(kind) or _kind_labels.get(kind) or _("Deadline")
    return str(label)


def ensure_rule(kind: str, *, label, remind_before=2, leader_after=0, college_after=3, **extra):
    """Create the default ladder for a kind unless an administrator already has one."""
    rule, _created = EscalationRule.objects.get_or_create(
        kind=kind,
        defaults={
            "label": str(label),
            "remind_before": remind_before,
            "leader_after": leader_after,
            "college_after": college_after,
            **extra,
        },
    )
    return rule


def _rule(kind: str) -> EscalationRule | None:
    return EscalationRule.objects.filter(kind=kind, is_active=True).first()


def _working_day_start_before(due: datetime, n: int) -> datetime:
    """The start of the working day n working days before the due day."""
    day = timezone.localtime(due).date()
    day = calendar.subtract_working_days(day, n)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _next_action(deadline: Deadline, rule: EscalationRule | None) -> datetime | None:
    if rule is None or deadline.status != Deadline.Status.OPEN:
        return None
    level = deadline.escalation_level
    if level == Deadline.Level.NONE:
        if rule.remind_before:
            return _working_day_start_before(deadline.due_at, rule.remind_before)
        level = Deadline.Level.REMINDED
    if level == Deadline.Level.REMINDED:
        if rule.leader_after == 0:
            return deadline.due_at
        return calendar.add_working_days(deadline.due_at, rule.leader_after)
    if level == Deadline.Level.LEADER:
        return calendar.add_working_days(deadline.due_at, rule.college_after)
    return None


def _target(obj):
    return ContentType.objects.get_for_model(obj), str(obj.pk)


@transaction.atomic
def deadline_start(
    *,
    obj,
    kind: str,
    owner_unit,
    owner_user=None,
    due_at: datetime | None = None,
    working_days: int | None = None,
    start: datetime | None = None,
) -> Deadline:
    if (due_at is None) == (working_days is None):
        raise ValueError("give exactly one of due_at and working_days")
    start = start or timezone.now()
    if working_days is not None:
        due_at = calendar.add_working_days(start, working_days)
    content_type, object_id = _target(obj)
    deadline = (
        Deadline.objects.select_for_update()
        .filter(content_type=content_type, object_id=object_id, kind=kind, status__in=LIVE)
        .first()
    )
    if deadline is None:
        deadline = Deadline(content_type=content_type, object_id=object_id, kind=kind)
    deadline.owner_unit = owner_unit
    deadline.owner_user = owner_user
    deadline.started_at = start
    deadline.due_at = due_at
    deadline.status = Deadline.Status.OPEN
    deadline.paused_at = None
    deadline.escalation_level = Deadline.Level.NONE
    deadline.next_action_at = _next_action(deadline, _rule(kind))
    deadline.save()
    return deadline


@dataclass(frozen=True)
class DeadlineSpec:
    """One deadline for `deadline_start_many`; the same fields as `deadline_start` takes."""

    obj: Any
    owner_unit: Any
    owner_user: Any = None
    due_at: datetime | None = None
    working_days: int | None = None
    start: datetime | None = None


_RESTART_FIELDS = ["owner_unit", "owner_user", "started_at", "due_at", "next_action_at"]
_RESTART_SAME = {
    "status": Deadline.Status.OPEN,
    "paused_at": None,
    "escalation_level": Deadline.Level.NONE,
}


@transaction.atomic
def deadline_start_many(*, kind: str, specs: Iterable[DeadlineSpec]) -> list[Deadline]:
    """`deadline_start` for many objects of one kind in a constant number of queries (imports,
    evaluation runs): the rule, the calendar and the live rows are each read once. A later spec
    for the same object wins, as a second `deadline_start` call would."""
    by_target: dict[tuple[int, str], DeadlineSpec] = {}
    for spec in specs:
        if (spec.due_at is None) == (spec.working_days is None):
            raise ValueError("give exactly one of due_at and working_days")
        content_type, object_id = _target(spec.obj)
        by_target[(content_type.pk, object_id)] = spec
    if not by_target:
        return []
    ids_by_type: dict[int, list[str]] = {}
    for type_id, object_id in by_target:
        ids_by_type.setdefault(type_id, []).append(object_id)
    live_filter = Q()
    for type_id, object_ids in ids_by_type.items():
        live_filter |= Q(content_type_id=type_id, object_id__in=object_ids)
    live = {
        (d.content_type_id, d.object_id): d
        for d in Deadline.objects.select_for_update().filter(
            live_filter, kind=kind, status__in=LIVE
        )
    }
    rule = _rule(kind)
    now = timezone.now()
    restarted, created = [], []
    with calendar.batch():
        for (type_id, object_id), spec in by_target.items():
            start = spec.start or now
            deadline = live.get((type_id, object_id))
            if deadline is None:
                deadline = Deadline(content_type_id=type_id, object_id=object_id, kind=kind)
                created.append(deadline)
            else:
                restarted.append(deadline)
            deadline.owner_unit = spec.owner_unit
            deadline.owner_user = spec.owner_user
            deadline.started_at = start
            deadline.due_at = (
                spec.due_at
                if spec.working_days is None
                else calendar.add_working_days(start, spec.working_days)
            )
            for name, value in _RESTART_SAME.items():
                setattr(deadline, name, value)
            deadline.next_action_at = _next_action(deadline, rule)
    update_rows(Deadline, restarted, _RESTART_FIELDS, same=_RESTART_SAME)
    Deadline.objects.bulk_create(created, batch_size=500)
    return restarted + created


def _live(obj, kind):
    content_type, object_id = _target(obj)
    return Deadline.objects.select_for_update().filter(
        content_type=content_type, object_id=object_id, kind=kind, status__in=LIVE
    )


# One UPDATE is atomic by itself: no savepoint (two round trips on every case step).
_CLOSE_SQL = None


def _close_sql() -> str:
    """The UPDATE of `deadline_complete`, built once: it runs in every step of every process,
    and the ORM would build the same statement again each time."""
    global _CLOSE_SQL
    if _CLOSE_SQL is None:
        from django.db import connection

        quote = connection.ops.quote_name
        column = {f.name: quote(f.column) for f in Deadline._meta.concrete_fields}
        _CLOSE_SQL = (
            f"UPDATE {quote(Deadline._meta.db_table)} SET {column['status']} = %s, "  # noqa: S608
            f"{column['closed_at']} = %s, {column['next_action_at']} = NULL "
            f"WHERE {column['content_type']} = %s AND {column['object_id']} = %s "
            f"AND {column['kind']} = %s AND {column['status']} IN (%s, %s)"
        )
    return _CLOSE_SQL


def deadline_complete(*, obj, kind: str) -> None:
    content_type, object_id = _target(obj)
    # nobody reads what it closed: inside a step's write batch it goes with the next statement
    write_batch.execute(
        _close_sql(),
        [Deadline.Status.DONE, timezone.now(), content_type.pk, object_id, kind, *LIVE],
    )


def deadline_cancel(*, obj, kind: str) -> None:
    _live(obj, kind).update(
        status=Deadline.Status.CANCELLED, closed_at=timezone.now(), next_action_at=None
    )


def deadline_cancel_many(*, model, object_ids, kind: str) -> int:
    """`deadline_cancel` for many objects of one model in one statement."""
    return Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in object_ids],
        kind=kind,
        status__in=LIVE,
    ).update(status=Deadline.Status.CANCELLED, closed_at=timezone.now(), next_action_at=None)


@transaction.atomic
def deadline_pause(*, actor, obj, kind: str, reason: str) -> Deadline | None:
    deadline = _live(obj, kind).filter(status=Deadline.Status.OPEN).first()
    if deadline is None:
        return None
    deadline.status = Deadline.Status.PAUSED
    deadline.paused_at = timezone.now()
    deadline.next_action_at = None
    deadline.save(update_fields=["status", "paused_at", "next_action_at"])
    audit_record(
        actor=actor, action="deadline.pause", obj=obj, after={"kind": kind, "reason": reason}
    )
    return deadline


@transaction.atomic
def deadline_resume(*, actor, obj, kind: str) -> Deadline | None:
    deadline = _live(obj, kind).filter(status=Deadline.Status.PAUSED).first()
    if deadline is None:
        return None
    now = timezone.now()
    before = deadline.due_at
    deadline.due_at = calendar.shift_by_working_days(deadline.due_at, deadline.paused_at, now)
    deadline.status = Deadline.Status.OPEN
    deadline.paused_at = None
    deadline.next_action_at = _next_action(deadline, _rule(kind))
    deadline.save(update_fields=["due_at", "status", "paused_at", "next_action_at"])
    audit_record(
        actor=actor,
        action="deadline.resume",
        obj=obj,
        before={"kind": kind, "due_at": before.isoformat()},
        after={"kind": kind, "due_at": deadline.due_at.isoformat()},
    )
    return deadline


def open_deadlines_for(obj):
    content_type, object_id = _target(obj)
    return Deadline.objects.filter(
        content_type=content_type, object_id=object_id, status__in=LIVE
    ).order_by("due_at")


def deadline_rows(*objs) -> list[dict]:
    """Every deadline of the objects (a case and its notices), met ones too, in due order, each
    with the label its escalation rule gives it and the working days left: an object page shows
    them until the object closes, so no time limit vanishes once its step is done."""
    if not objs:
        return []
    match = Q()
    by_target = {}
    for obj in objs:
        content_type, object_id = _target(obj)
        match |= Q(content_type=content_type, object_id=object_id)
        by_target[(content_type.pk, str(object_id))] = obj
    now = timezone.now()
    labels = dict(EscalationRule.objects.values_list("kind", "label"))
    rows = []
    for deadline in Deadline.objects.filter(match).exclude(status=Deadline.Status.CANCELLED):
        live = deadline.status in LIVE
        days_left = calendar.working_days_left(deadline.due_at, now) if live else None
        # an object may name its own time limit (a 督办通知书's, under the rule of 整改通知书)
        owner = by_target.get((deadline.content_type_id, str(deadline.object_id)))
        named = getattr(owner, "deadline_label", None)
        label = (named(deadline.kind) if named else None) or labels.get(deadline.kind)
        rows.append(
            {
                "deadline": deadline,
                "label": label or _("Deadline"),
                "live": live,
                "overdue": live and deadline.due_at < now,
                "overdue_days": max(-days_left, 0) if live else 0,
                "days_left": days_left,
                "late": not live
                and deadline.closed_at is not None
                and deadline.closed_at > deadline.due_at,
            }
        )
    return sorted(rows, key=lambda row: (row["deadline"].due_at, row["deadline"].pk))


def overdue_for_units(units):
    return (
        Deadline.objects.filter(
            owner_unit__in=units, status=Deadline.Status.OPEN, due_at__lt=timezone.now()
        )
        .select_related("owner_unit", "owner_user", "content_type")
        .order_by("due_at")
    )


# --- the escalation sweep ----------------------------------------------------------------------

STEP_KIND = {
    Deadline.Level.REMINDED: "deadline.remind",
    Deadline.Level.LEADER: "deadline.leader",
    Deadline.Level.COLLEGE: "deadline.college",
}

notifications.register_kind(
    "deadline.remind",
    label=_("Deadline reminder"),
    title=_("Due soon: {{ label }} ({{ due }})"),
    body=_("“{{ obj }}” is due on {{ due }}. {{ url }}"),
)
notifications.register_kind(
    "deadline.leader",
    label=_("Overdue: unit leader"),
    audience=(OVERDUE_VIEW,),
    title=_("Overdue in your unit: {{ label }}"),
    body=_("“{{ obj }}” ({{ unit }}) was due on {{ due }} and is not done. {{ url }}"),
)
notifications.register_kind(
    "deadline.college",
    label=_("Overdue: college"),
    audience=(OVERDUE_VIEW,),
    title=_("Escalated to the college: {{ label }}"),
    body=_("“{{ obj }}” ({{ unit }}) was due on {{ due }} and is still not done. {{ url }}"),
)


def _due_levels(deadline: Deadline, rule: EscalationRule | None, now: datetime) -> list[int]:
    """Advance `deadline` (in memory) through every ladder step whose moment has come; returns
    the levels reached, in order."""
    levels = []
    while deadline.next_action_at is not None and deadline.next_action_at <= now and rule:
        level = deadline.escalation_level + 1
        if level == Deadline.Level.REMINDED and not rule.remind_before:
            level = Deadline.Level.LEADER
        deadline.escalation_level = level
        deadline.next_action_at = _next_action(deadline, rule)
        levels.append(level)
    return levels


def _escalate(batch: list[Deadline], rules: dict[str, EscalationRule], now: datetime) -> int:
    """Take the due steps of a claimed batch in a constant number of statements, whatever its
    size: recipients, notifications (one insert per kind), audit rows and the deadlines' new
    levels are each read or written once for the whole batch."""
    with calendar.batch():
        steps = [
            (deadline, rules[deadline.kind], level)
            for deadline in batch
            for level in _due_levels(deadline, rules.get(deadline.kind), now)
        ]
    for deadline in batch:
        if deadline.next_action_at is not None and deadline.next_action_at <= now:
            deadline.next_action_at = None  # no rule any more: nothing will ever be due
    update_rows(Deadline, batch, ["escalation_level", "next_action_at"])
    if not steps:
        return 0
    leaders = notifications.unit_leaders_many(
        deadline.owner_unit
        for deadline, _rule, level in steps
        if level == Deadline.Level.LEADER
        or (level == Deadline.Level.REMINDED and not deadline.owner_user_id)
    )
    college: dict[str, list] = {}
    messages: dict[int, list[notifications.Message]] = {level: [] for level in STEP_KIND}
    audits = []
    for deadline, rule, level in steps:
        if level == Deadline.Level.REMINDED and deadline.owner_user_id:
            recipients = [deadline.owner_user]
        elif level == Deadline.Level.COLLEGE:
            if rule.college_target not in college:
                college[rule.college_target] = list(notifications.role_holders(rule.college_target))
            recipients = college[rule.college_target]
        else:
            recipients = leaders[deadline.owner_unit_id]
        obj = deadline.obj
        messages[level].append(
            notifications.Message(
                recipients,
                f"deadline:{deadline.pk}:{deadline.due_at.isoformat()}:{level}",
                obj=obj,
                context={
                    "label": deadline.label,
                    "due": timezone.localtime(deadline.due_at).strftime("%Y-%m-%d"),
                    "unit": deadline.owner_unit,
                },
                unit=deadline.owner_unit,
            )
        )
        if obj is not None:
            audits.append(
                {
                    "actor": None,
                    "action": "deadline.remind"
                    if level == Deadline.Level.REMINDED
                    else "deadline.escalate",
                    "obj": obj,
                    "after": {
                        "kind": deadline.kind,
                        "level": int(level),
                        "due_at": deadline.due_at.isoformat(),
                    },
                    "record_ip": False,
                }
            )
        transaction.on_commit(
            lambda d=deadline, lv=int(level): signals.deadline_escalated.send(
                sender=Deadline, deadline=d, level=lv
            ),
            robust=True,
        )
    for level, kind in STEP_KIND.items():
        if messages[level]:
            notifications.notify_many(kind=kind, messages=messages[level])
    audit_record_many(audits)
    return len(steps)


def escalation_sweep(now: datetime | None = None, batch_size: int = 500) -> int:
    """Advance every deadline whose next step has come. Rows are claimed with SKIP LOCKED, and each
    step's notification has a dedup key, so two sweeps at once, or one run twice, send nothing
    twice. Reads only due rows (partial index on next_action_at); a batch costs the same number
    of statements whatever its size (bench/escalation_sweep.py)."""
    now = now or timezone.now()
    rules = {r.kind: r for r in EscalationRule.objects.filter(is_active=True)}
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Deadline.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Deadline.Status.OPEN, next_action_at__lte=now)
                .select_related("owner_unit", "owner_user", "content_type")
                .prefetch_related("obj")
                .order_by("next_action_at")[:batch_size]
            )
            if not batch:
                return total
            total += _escalate(batch, rules, now)


def open_work_in_units(units) -> list:
    """Open deadlines owned by the units: they move with the work to the unit taking it over."""
    from accounts.unit_work import Work

    open_deadlines = Deadline.objects.filter(owner_unit__in=units, status=Deadline.Status.OPEN)

    def hand_over(target):
        open_deadlines.update(owner_unit=target)

    return [Work(str(_("open deadlines")), open_deadlines.count(), hand_over)]


post_save.connect(forget_rule_labels, sender=EscalationRule)
post_delete.connect(forget_rule_labels, sender=EscalationRule)
request_started.connect(forget_rule_labels, dispatch_uid="engine.forget_rule_labels")
