"""Week periods (ISO 8601 weeks): indicators such as attendance are collected per week.

A week period's code is its ISO label, "2026-W48"; its name is "2026年第48周"; it runs Monday to
Sunday. Week periods are calendar facts, so imports and the API create one the first time a
well-formed week label names it; any other unknown period code is still an error.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Period, PeriodKind

# 2026-W48, 2026W48, 2026-w48, 2026-W48-1 (a day: the week it falls in), 2026年第48周
_WEEK = re.compile(r"^\s*(\d{4})\s*-?\s*[Ww]\s*(\d{1,2})(?:-[1-7])?\s*$")
_WEEK_ZH = re.compile(r"^\s*(\d{4})\s*年\s*第\s*(\d{1,2})\s*周\s*$")


def parse_week(label: str) -> tuple[int, int] | None:
    """(ISO year, week) of a week label, or None when it is not one (or no such week)."""
    match = _WEEK.match(label or "") or _WEEK_ZH.match(label or "")
    if match is None:
        return None
    year, week = int(match.group(1)), int(match.group(2))
    try:
        datetime.date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return year, week


def week_code(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


def week_name(year: int, week: int) -> str:
    return f"{year}年第{week}周"


def week_bounds(year: int, week: int) -> tuple[datetime.date, datetime.date]:
    monday = datetime.date.fromisocalendar(year, week, 1)
    return monday, monday + datetime.timedelta(days=6)


def week_of(day: datetime.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def week_period(year: int, week: int) -> Period:
    """The period of an ISO week, created when missing (concurrent creators get the same row);
    open unless it ended more than MONITORING_WEEK_OPEN_DAYS ago."""
    code = week_code(year, week)
    found = Period.objects.filter(code=code).first()
    if found is not None:
        return found
    start, end = week_bounds(year, week)
    is_open = end >= open_weeks_end_after()
    try:
        with transaction.atomic():
            return Period.objects.create(
                code=code,
                name=week_name(year, week),
                kind=PeriodKind.WEEK,
                start=start,
                end=end,
                is_open=is_open,
            )
    except IntegrityError:
        return Period.objects.get(code=code)


def open_weeks_end_after() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=settings.MONITORING_WEEK_OPEN_DAYS)


def close_past_weeks() -> int:
    """Close the week periods that ended long enough ago (the sweep stops evaluating them)."""
    return Period.objects.filter(
        kind=PeriodKind.WEEK, is_open=True, end__lt=open_weeks_end_after()
    ).update(is_open=False)


def resolve(label: str, known: dict[str, Period], *, weekly: bool) -> Period | None:
    """The period a row names: a known code, else (for a weekly indicator) a week label, whose
    period is created when missing."""
    label = (label or "").strip()
    if label in known:
        return known[label]
    week = parse_week(label) if weekly else None
    if week is None:
        return None
    code = week_code(*week)
    if code not in known:
        known[code] = week_period(*week)
    known[label] = known[code]
    return known[code]


def weeks_between(start: datetime.date, end: datetime.date) -> list[tuple[int, int]]:
    """The ISO weeks that overlap [start, end], in order."""
    weeks, day = [], start - datetime.timedelta(days=start.weekday())
    while day <= end:
        weeks.append(week_of(day))
        day += datetime.timedelta(days=7)
    return weeks
