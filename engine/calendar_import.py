"""Import a school calendar (terms, holidays, make-up days) from an .xlsx sheet.

One sheet, a header row, then one row per entry:

    类型 | 名称 | 开始 | 结束 | 学期 | 教学周
    学期 | 2026-2027学年第一学期 | 2026-09-01 | 2027-01-17 |  | 18
    节假日 | 国庆节 | 2026-10-01 | 2026-10-07 | 2026-2027学年第一学期 |
    调休 | 国庆调休 | 2026-10-10 |  |  |

类型 is 学期 / 节假日 / 调休 (or term / holiday / workday). A holiday may span 开始–结束. 学期 names
the term a day belongs to (it must lie inside it); left empty, the term containing the date is used.
The file is imported whole or not at all: any bad row is reported by number and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts import access

from .capabilities import CALENDAR_MANAGE
from .imports import Importer, ImportFileError, TableReader, import_start, register
from .models import CalendarDay, ImportRun, Term

KINDS = {
    "学期": "term",
    "term": "term",
    "节假日": CalendarDay.Kind.HOLIDAY,
    "假日": CalendarDay.Kind.HOLIDAY,
    "holiday": CalendarDay.Kind.HOLIDAY,
    "调休": CalendarDay.Kind.WORKDAY,
    "补班": CalendarDay.Kind.WORKDAY,
    "workday": CalendarDay.Kind.WORKDAY,
}
COLUMNS = {
    "kind": ("类型", "kind", "type"),
    "name": ("名称", "name"),
    "start": ("开始", "日期", "start", "date"),
    "end": ("结束", "end"),
    "term": ("学期", "term"),
    "weeks": ("教学周", "teaching weeks", "weeks"),
}
MAX_ROWS = 2000
MAX_SPAN_DAYS = 60  # a "holiday" longer than two months is a typo (summer is outside terms)


CalendarFileError = ImportFileError  # the file as a whole cannot be read; nothing was imported


class CalendarImporter(Importer):
    """The calendar applies the whole file, all or nothing: days name their terms."""

    kind = "calendar"
    label = _lazy("School calendar")
    audit_action = "calendar.import"
    whole_file = True

    def max_rows(self) -> int:
        return MAX_ROWS

    def check(self, actor, options) -> None:
        access.require(actor, CALENDAR_MANAGE)

    def check_file(self, reader) -> None:
        rows = reader.rows()
        first = next(rows, None)
        rows.close()
        _columns(first[1] if first else ())

    def apply(self, run, reader) -> None:
        body = _read(reader)
        report = _apply(*_parse(body))
        run.total = run.processed = len(body)
        for number, problem in report.errors:
            run.add_error(number, problem)
        if report.errors:
            raise ValidationError(_("Nothing was imported: fix the rows below."))
        run.created = report.terms + report.days
        run.result = {"terms": report.terms, "days": report.days}


register(CalendarImporter())


@dataclass
class CalendarReport:
    terms: int = 0
    days: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _columns(header) -> dict:
    header = [str(c or "").strip().lower() for c in header]
    columns = {}
    for key, names in COLUMNS.items():
        for index, title in enumerate(header):
            if title in names:
                columns[key] = index
                break
    missing = [COLUMNS[k][0] for k in ("kind", "name", "start") if k not in columns]
    if missing:
        raise CalendarFileError(_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)})
    return columns


def _read(reader: TableReader) -> list[tuple[int, dict]]:
    rows = reader.rows()
    first = next(rows, None)
    columns = _columns(first[1] if first else ())
    return [
        (number, {k: row[i] if i < len(row) else None for k, i in columns.items()})
        for number, row in rows
    ]


def _date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            _("“%(value)s” is not a date (use 2026-10-01).") % {"value": value}
        ) from None


def _parse(rows) -> tuple[list, list, list[tuple[int, str]]]:
    terms, days, errors = [], [], []
    for number, row in rows:
        kind = KINDS.get(str(row.get("kind") or "").strip().lower())
        name = str(row.get("name") or "").strip()[:60]
        try:
            start, end = _date(row.get("start")), _date(row.get("end"))
        except ValueError as exc:
            errors.append((number, str(exc)))
            continue
        if kind is None:
            errors.append((number, _("Unknown type: use 学期, 节假日 or 调休.")))
        elif start is None:
            errors.append((number, _("The start date is missing.")))
        elif kind == "term":
            weeks = row.get("weeks")
            if not name or end is None:
                errors.append((number, _("A term needs a name and an end date.")))
            elif end <= start:
                errors.append((number, _("The term must end after it starts.")))
            elif weeks not in (None, "") and not (
                str(weeks).strip().isdigit() and 0 < int(weeks) <= 30
            ):
                errors.append((number, _("Teaching weeks must be a whole number from 1 to 30.")))
            else:
                terms.append(
                    (number, name, start, end, int(weeks) if weeks not in (None, "") else 18)
                )
        else:
            end = end or start
            if end < start:
                errors.append((number, _("The end date lies before the start date.")))
            elif (end - start).days >= MAX_SPAN_DAYS:
                errors.append((number, _("A holiday longer than 60 days is not plausible.")))
            else:
                term_name = str(row.get("term") or "").strip()
                days.append((number, kind, name, start, end, term_name))
    return terms, days, errors


def calendar_import(*, actor, file, inline: bool = False) -> ImportRun:
    """Import a calendar file as an engine import run: in the request when it is small (or
    `inline`), else as a background job. Raises CalendarFileError for a file that cannot be
    read at all, PermissionDenied."""
    return import_start(actor=actor, kind="calendar", file=file, inline=inline)


def _apply(terms, days, errors) -> CalendarReport:
    """Write the terms and days (the caller rolls all back when the report has errors)."""
    report = CalendarReport(errors=errors)
    term_by_name = {t.name: t for t in Term.objects.all()}
    for _number, name, start, end, weeks in terms:
        term, _created = Term.objects.update_or_create(
            name=name, defaults={"start": start, "end": end, "teaching_weeks": weeks}
        )
        term_by_name[name] = term
        report.terms += 1
    overlapping = _overlaps(list(term_by_name.values()))
    if overlapping:
        report.errors.append((0, overlapping))
    seen: dict[date, int] = {}
    for number, kind, name, start, end, term_name in days:
        term = None
        if term_name:
            term = term_by_name.get(term_name)
            if term is None:
                report.errors.append((number, _("No term named “%(t)s”.") % {"t": term_name}))
                continue
        day = start
        while day <= end:
            if day in seen:
                report.errors.append(
                    (
                        number,
                        _("%(d)s is already listed in row %(r)d.") % {"d": day, "r": seen[day]},
                    )
                )
                break
            seen[day] = number
            owner = term or next(
                (t for t in term_by_name.values() if t.start <= day <= t.end), None
            )
            if term is not None and not (term.start <= day <= term.end):
                report.errors.append(
                    (number, _("%(d)s lies outside the term “%(t)s”.") % {"d": day, "t": term.name})
                )
                break
            CalendarDay.objects.update_or_create(
                date=day, defaults={"kind": kind, "name": name, "term": owner}
            )
            report.days += 1
            day += timedelta(days=1)
    report.errors.sort()
    return report


def _overlaps(terms: list[Term]) -> str:
    ordered = sorted(terms, key=lambda t: t.start)
    for first, second in pairwise(ordered):
        if second.start <= first.end:
            return _("The terms “%(a)s” and “%(b)s” overlap.") % {"a": first.name, "b": second.name}
    return ""
