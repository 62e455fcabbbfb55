"""The digest of a person's open work, daily or weekly by their choice: their open tasks (the
one inbox), what of it is overdue, and what the apps add (monitoring: new warnings of their
units); leaders also get the overdue count of the units they oversee.

It goes through the outbox like any message (in-app, e-mail, DingTalk/WeCom per the person's
preferences), with a dedup key per person and day (or ISO week), so two beats running at once,
or a re-run after a crash, send it once. Nothing to report: nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import notifications
from .models import Deadline, DigestPreference

User = get_user_model()


@dataclass(frozen=True)
class Section:
    key: str
    label: object
    count: Callable  # (user, since: datetime) -> int


SECTIONS: list[Section] = []


def register_section(key: str, *, label, count) -> None:
    """An app's line in the digest: `count(user, since)` of what is new for the person."""
    if all(s.key != key for s in SECTIONS):
        SECTIONS.append(Section(key, label, count))


notifications.register_kind(
    "engine.digest",
    label=_("Digest of my open work"),
    title=_("诊改 digest for {{ day }}"),
    body=_("{{ lines }}\nOpen my to-do list: {{ url }}"),
)


def lines_for(user, since: datetime) -> list[str]:
    """The digest's lines for one person; empty when there is nothing to report."""
    from .selectors import inbox_count, led_units, overdue_visible_to

    now = timezone.now()
    lines = []
    open_tasks = inbox_count(user)
    if open_tasks:
        lines.append(_("Waiting for me: %(n)d") % {"n": open_tasks})
    mine_overdue = Deadline.objects.filter(
        Q(owner_user=user) | Q(owner_user__isnull=True, owner_unit__in=led_units(user)),
        status=Deadline.Status.OPEN,
        due_at__lt=now,
    ).count()
    if mine_overdue:
        lines.append(_("Overdue among them: %(n)d") % {"n": mine_overdue})
    for section in SECTIONS:
        count = section.count(user, since)
        if count:
            lines.append(f"{section.label}：{count}")
    if led_units(user).exists():
        overseen = overdue_visible_to(user).count()
        if overseen:
            lines.append(_("Overdue in the units I oversee: %(n)d") % {"n": overseen})
    return [str(line) for line in lines]


def digests_send(*, today: date | None = None) -> int:
    """Queue today's digests (daily ones every day, weekly ones on DIGEST_WEEKDAY); returns how
    many were new. Safe to run twice at once: the dedup key makes the second a no-op."""
    today = today or timezone.localdate()
    weekly_day = today.isoweekday() == settings.DIGEST_WEEKDAY
    people = (
        User.objects.filter(is_active=True, memberships__isnull=False)
        .distinct()
        .select_related("digest_preference")
    )
    sent = 0
    url = reverse("engine:inbox")
    for user in people.iterator(chunk_size=500):
        preference = getattr(user, "digest_preference", None)
        frequency = preference.frequency if preference else DigestPreference.Frequency.DAILY
        if frequency == DigestPreference.Frequency.OFF:
            continue
        if frequency == DigestPreference.Frequency.WEEKLY and not weekly_day:
            continue
        days = 7 if frequency == DigestPreference.Frequency.WEEKLY else 1
        since = timezone.make_aware(
            datetime.combine(today - timedelta(days=days), datetime.min.time())
        )
        lines = lines_for(user, since)
        if not lines:
            continue
        key = (
            f"digest:{today.isocalendar()[0]}-W{today.isocalendar()[1]}"
            if frequency == DigestPreference.Frequency.WEEKLY
            else f"digest:{today.isoformat()}"
        )
        sent += notifications.notify(
            kind="engine.digest",
            recipients=[user],
            url=url,
            context={"day": today.isoformat(), "lines": "\n".join(lines)},
            dedup_key=key,
        )
    return sent
