"""Importing readings from .xlsx or .csv (hundreds of thousands of rows, streamed).

Columns (Chinese or English headers): 指标代码/indicator, 对象/subject (a unit code, or a
teacher's/student's username or staff number), 期间/period (period code), 数值/value, and
optionally 来源编号/source_id. Every bad row gets its own message; the good rows are written only
when there are no errors or the user chose to keep them. Nothing is dropped silently.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from engine import step_rows
from engine.imports import Importer, cell, column_index, import_start, register
from engine.models import ImportRun

from . import access_rules, hooks
from .flows import ReadingFlow
from .models import Indicator, Period, PeriodKind, Reading, Subject
from .periods import resolve as resolve_period
from .services import reading_value_errors

COLUMNS = {
    "indicator": ("指标代码", "指标", "indicator"),
    "subject": ("对象", "对象编号", "工号/学号", "单位代码", "subject"),
    "period": ("期间", "期间代码", "period"),
    "value": ("数值", "值", "value"),
    "source_id": ("来源编号", "source_id"),
}
REQUIRED = ("indicator", "subject", "period", "value")
CHUNK = 5000


def _in(column: str, values) -> tuple[str, list]:
    """`column IN (...)`: one array parameter on PostgreSQL (thousands of placeholders cost more
    to parse than the query takes to run), plain placeholders elsewhere."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def _select(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _subjects(keys: set[str]) -> dict[str, list[Subject]]:
    """Subjects named by unit code, username or staff number: three indexed lookups per chunk
    (one OR across the joins would defeat the indexes)."""
    found: dict[str, list[Subject]] = {}
    for table, join, column in (
        ("accounts_orgunit", "subject_unit_id", "code"),
        ("accounts_user", "subject_user_id", "username"),
        ("accounts_user", "subject_user_id", "staff_no"),
    ):
        cond, params = _in(f"t.{column}", keys)
        rows = _select(
            f"SELECT s.id, s.level, t.{column} FROM monitoring_subject s "  # noqa: S608
            f"JOIN {table} t ON t.id = s.{join} WHERE {cond}",
            params,
        )
        for pk, level, key in rows:
            bucket = found.setdefault(key, [])
            if all(s.pk != pk for s in bucket):
                bucket.append(Subject(pk=pk, level=level))
    return found


class ReadingsImporter(Importer):
    """Readings from .xlsx or .csv. All or nothing unless the user keeps the good rows: the
    whole file is one transaction (a reading import is a batch approved as one)."""

    kind = "readings"
    label = _lazy("Readings")
    audit_action = "reading.import"
    extensions = (".xlsx", ".csv")
    chunk_size = CHUNK
    atomic = True

    def max_rows(self) -> int:
        return settings.MONITORING_IMPORT_MAX_ROWS

    def check(self, actor, options) -> None:
        ensure_can_import(actor)

    def columns(self, header) -> dict:
        return column_index(header, COLUMNS, REQUIRED)

    def start(self, run, columns):
        run.result["source"] = f"import:{uuid.uuid4().hex[:12]}"
        return {
            "indicators": {i.code: i for i in Indicator.objects.all()},
            "periods": {p.code: p for p in Period.objects.all()},
            "allowed": {},
            "seen": set(),
        }

    def process(self, run, context, columns, chunk) -> None:
        rows = [
            (number, {key: cell(raw, i) for key, i in columns.items()}) for number, raw in chunk
        ]
        try:
            _import_chunk(run.actor, rows, context, run)
        except IntegrityError as exc:
            raise ValidationError(
                _("Another import of the same readings ran at the same time; import again.")
            ) from exc

    def audit_after(self, run) -> dict:
        return {"source": run.result.get("source", ""), "written": run.created}

    def summary(self, run) -> str:
        if run.created and not run.result.get("rolled_back"):
            return _("The readings count once approved. Batch: %(b)s") % {
                "b": run.result.get("source", "")
            }
        return ""

    def done_url(self, run) -> str:
        return reverse("monitoring:approvals") if run.created else ""


register(ReadingsImporter())


def import_readings(*, actor, upload, name: str = "", keep_good_rows: bool) -> ImportRun:
    """Start the import (see ReadingsImporter); a large file runs in the background. Raises
    ImportFileError when the file as a whole cannot be read."""
    return import_start(
        actor=actor, kind="readings", file=upload, options={"keep_good_rows": keep_good_rows}
    )


def _import_chunk(actor, chunk, context, report) -> None:
    indicators, periods = context["indicators"], context["periods"]
    allowed, seen = context["allowed"], context["seen"]
    subjects = _subjects({row["subject"] for _n, row in chunk})
    good = []
    for number, row in chunk:
        indicator = indicators.get(row["indicator"])
        if indicator is None:
            report.add_error(number, _("Unknown indicator “%(c)s”.") % {"c": row["indicator"]})
            continue
        if indicator.pk not in allowed:
            allowed[indicator.pk] = access_rules.can_enter(actor, indicator)
        if not allowed[indicator.pk]:
            report.add_error(
                number, _("You do not enter data for “%(i)s”.") % {"i": indicator.name}
            )
            continue
        candidates = [s for s in subjects.get(row["subject"], []) if s.level == indicator.level]
        subject = candidates[0] if candidates else None
        period = resolve_period(
            row["period"], periods, weekly=indicator.period_kind == PeriodKind.WEEK
        )
        value, errors = reading_value_errors(
            indicator=indicator, subject=subject, period=period, raw_value=row["value"]
        )
        if subject is None:
            errors["subject"] = _("Unknown subject “%(s)s”.") % {"s": row["subject"]}
        if period is None:
            errors["period"] = _("Unknown period “%(p)s”.") % {"p": row["period"]}
        if errors:
            report.add_error(number, " ".join(errors.values()))
            continue
        key = (indicator.pk, subject.pk, period.pk)
        if key in seen:
            report.add_error(
                number, _("Duplicate of an earlier row (same indicator, subject and period).")
            )
            continue
        seen.add(key)
        good.append((key, value, row.get("source_id", "")))
    if not good:
        return
    keys = {
        name: _in(name, {k[i] for k, _v, _s in good})
        for i, name in enumerate(("indicator_id", "subject_id", "period_id"))
    }
    sids = {sid for _k, _v, sid in good if sid}
    already = set()
    if sids:
        cond, params = _in("source_id", sids)
        already = set(
            _select(
                "SELECT indicator_id, subject_id, period_id, source_id "  # noqa: S608
                "FROM monitoring_reading WHERE source = 'import' AND source_id <> '' "
                f"AND {keys['indicator_id'][0]} AND {keys['subject_id'][0]} AND {cond}",
                [*keys["indicator_id"][1], *keys["subject_id"][1], *params],
            )
        )
    versions = {
        (ind, subj, per): top
        for ind, subj, per, top in _select(
            "SELECT indicator_id, subject_id, period_id, MAX(version) "  # noqa: S608
            f"FROM monitoring_reading WHERE {keys['indicator_id'][0]} "
            f"AND {keys['period_id'][0]} AND {keys['subject_id'][0]} "
            "GROUP BY indicator_id, subject_id, period_id",
            [*keys["indicator_id"][1], *keys["period_id"][1], *keys["subject_id"][1]],
        )
    }
    now = timezone.now()
    rows = []
    for key, value, sid in good:
        if sid and (*key, sid) in already:
            report.unchanged += 1
            continue
        rows.append(
            (
                *key,
                versions.get(key, 0) + 1,
                value,
                "pending",
                False,
                "import",
                sid,
                report.result["source"],
                "",
                actor.pk,
                now,
            )
        )
    _write(rows)
    # the new readings wait for their approver (engine inbox), opened set-wise
    written = Reading.objects.filter(
        batch=report.result["source"], entered_by=actor, entered_at=now, status="pending"
    ).select_related(*ReadingFlow.table.related)
    step_rows.open_many(written)
    report.created += len(rows)


READING_COLUMNS = (
    "indicator_id",
    "subject_id",
    "period_id",
    "version",
    "value",
    "status",
    "is_current",
    "source",
    "source_id",
    "batch",
    "note",
    "entered_by_id",
    "entered_at",
)


def _write(rows: list[tuple]) -> None:
    """COPY on PostgreSQL (hundreds of thousands of rows); a plain bulk insert elsewhere."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cur,
            cur.copy(f"COPY monitoring_reading ({', '.join(READING_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    Reading.objects.bulk_create(
        [Reading(**dict(zip(READING_COLUMNS, row, strict=True))) for row in rows],
        batch_size=CHUNK,
    )


def ensure_can_import(actor) -> None:
    from . import selectors

    if not selectors.indicators_enterable(actor).exists():
        raise PermissionDenied


@hooks.register_batch_namer
def import_batch_names(codes) -> dict[str, str]:
    """An import's batch ("import:…") by the file it came from."""
    codes = [c for c in codes if c.startswith("import:")]
    if not codes:
        return {}
    runs = ImportRun.objects.filter(result__source__in=codes).values_list("result", "file_name")
    return {result["source"]: file_name for result, file_name in runs if file_name}
