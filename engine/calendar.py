"""School working days: Monday–Friday, minus holidays (节假日), plus make-up days (调休)."""

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from . import memo
from .models import CalendarDay, Term

# How far past the naive estimate we load calendar exceptions: long holidays (Spring Festival,
# National Day) add at most a few weeks to any span.
_SLACK_DAYS = 45


def _load_all() -> dict[date, str]:
    return dict(CalendarDay.objects.values_list("date", "kind"))


# Every deadline and every due date on a page reads the calendar's exceptions: a few dozen rows
# a year, kept in memory and forgotten when a day changes (engine.memo). Where no copy can be
# kept (not PostgreSQL, a first read inside a transaction) they are read per lookup, or once
# for a whole `batch()` of lookups.
_memo = memo.SharedMemo("calendar", _load_all)


def days_changed(**kwargs) -> None:
    _memo.changed()


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(days_changed, sender=CalendarDay, dispatch_uid="calendar-days")
    post_delete.connect(days_changed, sender=CalendarDay, dispatch_uid="calendar-days")


@contextmanager
def batch():
    """Answer calendar lookups from one read for the duration of the block (computing
    thousands of deadlines costs one query instead of one per date)."""
    with memo.one_copy():
        yield


def _exceptions(start: date, end: date) -> dict[date, str]:
    return {d: kind for d, kind in _memo.get().items() if start <= d <= end}


def _is_working(d: date, exceptions: dict[date, str]) -> bool:
    kind = exceptions.get(d)
    if kind == CalendarDay.Kind.HOLIDAY:
        return False
    if kind == CalendarDay.Kind.WORKDAY:
        return True
    return d.weekday() < 5


def is_working_day(d: date) -> bool:
    return _is_working(d, _exceptions(d, d))


def end_of_day(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.max))


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def business_hours() -> tuple[time, time] | None:
    """settings.ENGINE_BUSINESS_HOURS ("08:00-17:30") as (opening, closing), or None."""
    spec = (settings.ENGINE_BUSINESS_HOURS or "").strip()
    if not spec:
        return None
    opening, closing = (time.fromisoformat(part.strip()) for part in spec.split("-", 1))
    return opening, closing


def _counting_day(start: datetime) -> date:
    """The day a span starts from: start's local date, or the next day when business hours are
    set and start falls after closing time (work that arrives after hours arrives tomorrow)."""
    day = _local_date(start)
    hours = business_hours()
    if hours and timezone.is_aware(start) and timezone.localtime(start).time() >= hours[1]:
        day += timedelta(days=1)
    return day


def add_working_days(start: datetime, n: int) -> datetime:
    """The end of the n-th working day after start's date; n = 0 is the end of start's day when it
    is a working day, else of the next working day. With business hours set, a start after
    closing time counts as a start on the next day."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = _counting_day(start)
    if day != _local_date(start) and n > 0:
        # arrived after hours: the span starts from the next working day, which does not count
        exceptions = _exceptions(day, day + timedelta(days=_SLACK_DAYS))
        while not _is_working(day, exceptions):
            day += timedelta(days=1)
    horizon = day + timedelta(days=n * 2 + _SLACK_DAYS)
    exceptions = _exceptions(day, horizon)
    if n == 0:
        while not _is_working(day, exceptions):
            day += timedelta(days=1)
        return end_of_day(day)
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if day > horizon:
            horizon = day + timedelta(days=n * 2 + _SLACK_DAYS)
            exceptions |= _exceptions(day, horizon)
        if _is_working(day, exceptions):
            counted += 1
    return end_of_day(day)


def subtract_working_days(day: date, n: int) -> date:
    """The n-th working day before `day` (one calendar query)."""
    horizon = day - timedelta(days=n * 2 + _SLACK_DAYS)
    exceptions = _exceptions(horizon, day)
    counted = 0
    while counted < n:
        day -= timedelta(days=1)
        if day < horizon:
            horizon = day - timedelta(days=n * 2 + _SLACK_DAYS)
            exceptions |= _exceptions(horizon, day)
        if _is_working(day, exceptions):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: 0 when end == start; negative when end is before start."""
    if end == start:
        return 0
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    exceptions = _exceptions(start, end)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if _is_working(day, exceptions):
            count += 1
    return sign * count


def working_days_left(due: datetime, now: datetime | None = None) -> int:
    """Working days from today to the due day: 0 due today, negative overdue."""
    today = _local_date(now or timezone.now())
    return working_days_between(today, _local_date(due))


def end_of_term(at: date) -> datetime:
    term = Term.objects.filter(start__lte=at, end__gte=at).first()
    if term is None:
        raise ValueError(f"no term covers {at}")
    return end_of_day(term.end)


def shift_by_working_days(due: datetime, paused_from: datetime, resumed_at: datetime) -> datetime:
    """A pause moves the due date by the working days it lasted."""
    paused = working_days_between(_local_date(paused_from), _local_date(resumed_at))
    if paused <= 0:
        return due
    return add_working_days(due, paused)
