"""Reading a state-data table through its profile, on the engine's import mechanism.

Two engine imports share one pass over the file (`_pass`): the preview (`statedata.preview`)
checks every row and counts what the import would write, writing nothing; the import
(`statedata`) writes the same readings. Both are whole-file runs started from the stored
upload, so a large table runs as a background job behind the engine's progress page; the
reading is streamed (engine.imports.TableReader: read-only xlsx, csv) and checked in chunks,
so memory stays flat whatever the table's length.

The readings are written as the readings import writes them (COPY on PostgreSQL, pending,
step rows opened set-wise for the indicator's approver); approval then counts them and
evaluation raises the warnings. A reading is new when its (indicator, subject, period) has
none yet, changed when the latest version holds another value, unchanged otherwise: the same
file imported twice writes nothing the second time.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import OrgUnit
from engine import step_rows
from engine.imports import Importer, ImportFileError, TableReader, cell, note_progress, register
from engine.models import ImportRun
from engine.numbers import plain
from workflows.levels import Level
from workflows.monitoring import access_rules, hooks
from workflows.monitoring.flows import ReadingFlow
from workflows.monitoring.imports import _in, _select, _write
from workflows.monitoring.models import Period, PeriodKind, Reading, Subject
from workflows.monitoring.periods import resolve as resolve_period
from workflows.monitoring.services import reading_value_errors

from .models import Profile, SubjectKey, Upload

CHUNK = 2000
SAMPLE_ROWS = 20
SOURCE = "statedata"
UNIT_KINDS = {
    SubjectKey.MAJOR: OrgUnit.Kind.MAJOR,
    SubjectKey.COURSE: OrgUnit.Kind.COURSE,
}


def normalize(header) -> str:
    """A header as compared: blanks and line breaks dropped, half-width brackets made
    full-width (exports mix 报到率(%) and 报到率（%）)."""
    text = "" if header is None else str(header)
    text = re.sub(r"\s+", "", text)
    return text.replace("(", "（").replace(")", "）")


# --- the file's shape --------------------------------------------------------------------------


def open_reader(file, name: str) -> TableReader:
    return TableReader(file, name=name, max_rows=settings.MONITORING_IMPORT_MAX_ROWS)


def _sheet(reader: TableReader, profile: Profile) -> str | None:
    if reader.is_csv or not profile.sheet_name:
        return None
    if profile.sheet_name not in reader.sheet_names:
        raise ImportFileError(
            _("The workbook has no sheet “%(s)s” (its sheets: %(names)s).")
            % {"s": profile.sheet_name, "names": "、".join(reader.sheet_names)}
        )
    return profile.sheet_name


def locate(reader: TableReader, profile: Profile, columns) -> tuple[dict, object]:
    """({role: column index}, the rows after the header): ImportFileError when the header row
    is not where the profile says or lacks one of the profile's columns."""
    rows = reader.rows(_sheet(reader, profile))
    header = None
    for number, values in rows:
        if number < profile.header_row:
            continue
        if number == profile.header_row:
            header = values
        break
    if header is None:
        rows.close()
        raise ImportFileError(
            _("Row %(n)s of the table, where the profile expects the column headers, is empty.")
            % {"n": profile.header_row}
        )
    found = {normalize(h): i for i, h in reversed(list(enumerate(header))) if normalize(h)}
    wanted = {"subject": profile.subject_column}
    if profile.period_column:
        wanted["period"] = profile.period_column
    for column in columns:
        wanted[column.pk] = column.header
    missing = [h for h in wanted.values() if normalize(h) not in found]
    if missing:
        rows.close()
        raise ImportFileError(
            _(
                "Row %(n)s of the table lacks the columns %(missing)s that the profile "
                "“%(profile)s” reads (the headers there: %(found)s). Check the table, the sheet "
                "and the profile's header row."
            )
            % {
                "n": profile.header_row,
                "missing": "、".join(f"“{h}”" for h in missing),
                "profile": profile.name,
                "found": "、".join(str(h) for h in header if h not in (None, "")) or "—",
            }
        )
    return {role: found[normalize(h)] for role, h in wanted.items()}, rows


def check_upload(reader: TableReader, profile: Profile) -> int | None:
    """Check the file's shape before anything is stored; returns the estimated row count."""
    locate(reader, profile, list(profile.columns.all()))[1].close()
    estimate = reader.estimate(_sheet(reader, profile))
    return None if estimate is None else max(0, estimate - profile.header_row + 1)


# --- the pass ----------------------------------------------------------------------------------


def _periods() -> dict[str, Period]:
    """Every period by code, by name and by the ways exports write a school year or a term
    (2026-2027, 2026-2027学年, 2026-2027-1, 2026-2027学年第1学期)."""
    known: dict[str, Period] = {}
    for period in Period.objects.all():
        year = period.start.year if period.start.month >= 9 else period.start.year - 1
        span = f"{year}-{year + 1}"
        aliases = [period.code, period.name]
        if period.kind == PeriodKind.YEAR:
            aliases += [span, f"{span}学年", f"{year}学年"]
        elif period.kind == PeriodKind.TERM:
            number = period.code.rsplit("-", 1)[-1]
            aliases += [f"{span}-{number}", f"{span}学年第{number}学期", f"{span}第{number}学期"]
        for alias in aliases:
            known.setdefault(normalize(alias), period)
    return known


def _subjects(profile: Profile, keys: set[str]) -> dict[str, list[Subject]]:
    """The subjects the keys of one chunk name, by the profile's kind of key."""
    found: dict[str, list[Subject]] = {}
    if not keys:
        return found
    kind = profile.subject_key
    if kind in (SubjectKey.STAFF, SubjectKey.STUDENT):
        level = Level.TEACHER if kind == SubjectKey.STAFF else Level.STUDENT
        lookups = [("accounts_user", "subject_user_id", "staff_no", "username")]
        where = f"s.level = '{level}'"
    else:
        lookups = [("accounts_orgunit", "subject_unit_id", "code", None)]
        unit_kind = UNIT_KINDS.get(kind)
        where = f"t.kind = '{unit_kind}'" if unit_kind else "TRUE"
    for table, join, column, fallback in lookups:
        for key_column in filter(None, (column, fallback)):
            cond, params = _in(f"t.{key_column}", keys)
            for pk, level, name, key in _select(
                f"SELECT s.id, s.level, s.name, t.{key_column} FROM monitoring_subject s "  # noqa: S608
                f"JOIN {table} t ON t.id = s.{join} WHERE {cond} AND {where}",
                params,
            ):
                bucket = found.setdefault(key, [])
                if all(s.pk != pk for s in bucket):
                    bucket.append(Subject(pk=pk, level=level, name=name))
    return found


def _number(raw: str, column) -> tuple[Decimal | None, str]:
    """The cell's number after the column's mapping and scale; (None, message) when it is none."""
    mapped = column.value_map.get(raw, column.value_map.get(normalize(raw), raw))
    text = str(mapped).strip().replace(",", "")
    percent = text.endswith("%") or text.endswith("％")
    try:
        value = Decimal(text.rstrip("%％"))
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        if column.value_map:
            return None, _("“%(v)s” is not a number and not one of the mapped values %(keys)s.") % {
                "v": raw,
                "keys": "、".join(column.value_map),
            }
        return None, _("“%(v)s” is not a number.") % {"v": raw}
    # A percentage typed as such (95.5%) is already in the indicator's unit: no scale.
    return (value if percent else value * column.scale), ""


class Context:
    def __init__(self, upload: Upload, actor, *, write: bool):
        self.upload = upload
        self.profile = upload.profile
        self.actor = actor
        self.write = write
        self.columns = list(self.profile.columns.select_related("indicator"))
        self.periods = _periods()
        self.fixed = self.profile.period
        self.weekly = any(c.indicator.period_kind == PeriodKind.WEEK for c in self.columns)
        self.last_opened = 0
        self.allowed = {c.pk: access_rules.can_enter(actor, c.indicator) for c in self.columns}
        self.seen = SeenKeys()
        self.counts = {"new": 0, "changed": 0, "unchanged": 0, "blank": 0}
        self.sample: list[dict] = []


def _check_chunk(ctx: Context, index: dict, chunk: list, run: ImportRun) -> list:
    """The good readings of a chunk as (row, column, key, value); every bad cell reported with
    the sheet's own header."""
    profile = ctx.profile
    subject_header, period_header = profile.subject_column, profile.period_column
    keys = {}
    for number, values in chunk:
        raw = cell(values, index["subject"])
        keys[number] = str(profile.subject_map.get(raw, raw)).strip() if raw else ""
    subjects = _subjects(profile, {k for k in keys.values() if k})
    good = []
    chunk_keys = set()
    for number, values in chunk:
        key = keys[number]
        if not key:
            run.add_error(number, _("The cell is empty."), subject_header)
            continue
        candidates = subjects.get(key, [])
        if not candidates:
            run.add_error(
                number,
                _("No %(kind)s “%(key)s” is known (no such subject in monitoring).")
                % {"kind": SubjectKey(profile.subject_key).label, "key": key},
                subject_header,
            )
            continue
        if ctx.fixed is not None:
            period = ctx.fixed
        else:
            label = cell(values, index["period"])
            period = ctx.periods.get(normalize(label)) or resolve_period(
                label, ctx.periods, weekly=ctx.weekly
            )
            if period is None:
                run.add_error(
                    number,
                    _("Unknown period “%(p)s”.") % {"p": label}
                    if label
                    else _("The cell is empty."),
                    period_header,
                )
                continue
        for column in ctx.columns:
            raw = cell(values, index[column.pk])
            if not raw:
                ctx.counts["blank"] += 1
                continue
            if not ctx.allowed[column.pk]:
                run.add_error(
                    number,
                    _("You do not enter data for “%(i)s”.") % {"i": column.indicator.name},
                    column.header,
                )
                continue
            indicator = column.indicator
            value, message = _number(raw, column)
            if value is None:
                run.add_error(number, message, column.header)
                continue
            subject = next((s for s in candidates if s.level == indicator.level), candidates[0])
            value, errors = reading_value_errors(
                indicator=indicator, subject=subject, period=period, raw_value=str(value)
            )
            if errors:
                run.add_error(number, " ".join(str(e) for e in errors.values()), column.header)
                continue
            reading_key = (indicator.pk, subject.pk, period.pk)
            if reading_key in chunk_keys:
                _repeated(run, number, key, period, column)
                continue
            chunk_keys.add(reading_key)
            good.append((number, column, key, period, reading_key, value, subject.name))
    first = ctx.seen.add_new(chunk_keys)
    for number, column, key, period, reading_key, *_rest in good:
        if reading_key not in first:
            _repeated(run, number, key, period, column)
    return [g for g in good if g[4] in first]


def _repeated(run: ImportRun, number: int, key: str, period, column) -> None:
    run.add_error(
        number,
        _("A row above already gives this indicator for %(s)s in %(p)s.")
        % {"s": key, "p": period.name},
        column.header,
    )


class SeenKeys:
    """The (indicator, subject, period) keys the rows above gave, kept in a temporary table of
    the pass's transaction rather than in memory: a table of any length checks its repeated
    rows with memory flat."""

    TABLE = "statedata_seen_keys"
    BATCH = 5000  # keys per statement where parameters are placeholders (SQLite)

    def __init__(self):
        drop = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
        with connection.cursor() as cur:
            cur.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.TABLE} (i bigint, s bigint, "
                f"p bigint, PRIMARY KEY (i, s, p)){drop}"
            )
            # an earlier pass in the same transaction (or, elsewhere, connection) left its keys
            cur.execute(f"DELETE FROM {self.TABLE}")  # noqa: S608

    def add_new(self, keys) -> set[tuple[int, int, int]]:
        """Record the chunk's distinct `keys`; return those that no earlier chunk gave."""
        keys = list(keys)
        first = set()
        if not keys:
            return first
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(
                    f"INSERT INTO {self.TABLE} SELECT * FROM UNNEST(%s::bigint[], "  # noqa: S608
                    "%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING RETURNING i, s, p",
                    [list(column) for column in zip(*keys, strict=True)],
                )
                first.update(map(tuple, cur.fetchall()))
                return first
            for start in range(0, len(keys), self.BATCH):
                batch = keys[start : start + self.BATCH]
                cur.execute(
                    f"INSERT INTO {self.TABLE} (i, s, p) VALUES "  # noqa: S608
                    + ", ".join(["(%s, %s, %s)"] * len(batch))
                    + " ON CONFLICT DO NOTHING RETURNING i, s, p",
                    [x for k in batch for x in k],
                )
                first.update(map(tuple, cur.fetchall()))
        return first


def _latest(good: list) -> dict:
    """{(indicator, subject, period): (version, value)} of the latest version of each key."""
    if not good:
        return {}
    keys = {g[4] for g in good}
    parts = [
        _in(name, {k[i] for k in keys})
        for i, name in enumerate(("r.indicator_id", "r.subject_id", "r.period_id"))
    ]
    rows = _select(
        "SELECT r.indicator_id, r.subject_id, r.period_id, r.version, r.value "  # noqa: S608
        "FROM monitoring_reading r WHERE "
        + " AND ".join(cond for cond, _p in parts)
        + " AND r.version = (SELECT MAX(m.version) FROM monitoring_reading m "
        "WHERE m.indicator_id = r.indicator_id AND m.subject_id = r.subject_id "
        "AND m.period_id = r.period_id)",
        [p for _c, params in parts for p in params],
    )
    return {(i, s, p): (v, Decimal(str(val))) for i, s, p, v, val in rows}


def _pass(run: ImportRun, reader: TableReader | None, ctx: Context) -> None:
    if reader is None:
        raise ImportFileError(_("The uploaded file is no longer kept; upload it again."))
    index, rows = locate(reader, ctx.profile, ctx.columns)
    now = timezone.now()
    note = _("State data: %(t)s") % {"t": ctx.profile.name}
    chunk = []

    def flush():
        good = _check_chunk(ctx, index, chunk, run)
        latest = _latest(good)
        new_rows = []
        for number, column, key, period, reading_key, value, name in good:
            version, before = latest.get(reading_key, (0, None))
            state = "new" if before is None else ("unchanged" if before == value else "changed")
            ctx.counts[state] += 1
            if len(ctx.sample) < SAMPLE_ROWS:
                ctx.sample.append(
                    {
                        "row": number,
                        # pages show names; the table's own key beside it, small
                        "subject": name,
                        "key": key,
                        "period": period.name,
                        "indicator": column.indicator.name,
                        "value": plain(value),
                        "before": "" if before is None else plain(before),
                        "state": state,
                    }
                )
            if state != "unchanged":
                new_rows.append(
                    (
                        *reading_key,
                        version + 1,
                        value,
                        "pending",
                        False,
                        SOURCE,
                        "",
                        ctx.upload.batch,
                        note,
                        ctx.actor.pk,
                        now,
                    )
                )
        run.processed += len(chunk)
        if ctx.write and new_rows:
            try:
                _write(new_rows)
            except IntegrityError as exc:
                raise ValidationError(
                    _("Another import of the same readings ran at the same time; import again.")
                ) from exc
            # the chunk's readings wait for their approver (engine inbox), opened set-wise
            step_rows.open_many(
                Reading.objects.filter(pk__in=_fresh(ctx, now)).select_related(
                    *ReadingFlow.table.related
                )
            )
        note_progress(run)
        chunk.clear()

    try:
        for number, values in rows:
            chunk.append((number, values))
            if len(chunk) >= CHUNK:
                flush()
        if chunk:
            flush()
    finally:
        rows.close()  # before the file closes
    run.total = run.processed
    run.unchanged = ctx.counts["unchanged"]
    run.result.update(
        {
            "upload": ctx.upload.pk,
            "new": ctx.counts["new"],
            "changed": ctx.counts["changed"],
            "blank": ctx.counts["blank"],
            "sample": ctx.sample,
        }
    )


def _fresh(ctx: Context, now) -> list[int]:
    """Ids of this batch's readings written at `now` and still without their approval step
    (the chunk just written): the ids above the last one opened."""
    ids = list(
        Reading.objects.filter(batch=ctx.upload.batch, entered_at=now, pk__gt=ctx.last_opened)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if ids:
        ctx.last_opened = ids[-1]
    return ids


# --- the two engine imports --------------------------------------------------------------------


def _upload(run: ImportRun) -> Upload:
    upload = (
        Upload.objects.select_related("profile", "profile__period")
        .filter(pk=run.options.get("upload"))
        .first()
    )
    if upload is None:
        raise ImportFileError(_("The upload of this import no longer exists."))
    return upload


class _Base(Importer):
    extensions = (".xlsx", ".csv")
    whole_file = True

    def max_rows(self) -> int:
        return settings.MONITORING_IMPORT_MAX_ROWS

    def check(self, actor, options) -> None:
        upload = Upload.objects.select_related("profile").filter(pk=options.get("upload")).first()
        if upload is None:
            raise PermissionDenied
        ensure_can_import(actor, upload.profile)

    def _reader(self, upload: Upload):
        if not upload.file:
            return None
        return open_reader(upload.file.open("rb"), upload.file_name)

    def done_url(self, run) -> str:
        upload = run.options.get("upload")
        return reverse("statedata:upload_detail", args=[upload]) if upload else ""


class PreviewImporter(_Base):
    """Checks the whole table against its profile and counts what the import would write."""

    kind = "statedata.preview"
    label = _lazy("State-data table (preview)")
    audit_action = "statedata.preview"

    def apply(self, run, reader) -> None:
        upload = _upload(run)
        ctx = Context(upload, run.actor, write=False)
        reader = self._reader(upload)
        try:
            _pass(run, reader, ctx)
        finally:
            upload.file.close()

    def summary(self, run) -> str:
        if run.status != ImportRun.Status.DONE:
            return ""
        return _(
            "Preview: %(new)s new readings, %(changed)s changed, %(same)s unchanged. Check it, "
            "then confirm the import."
        ) % {
            "new": run.result.get("new", 0),
            "changed": run.result.get("changed", 0),
            "same": run.unchanged,
        }


class StateDataImporter(_Base):
    """Writes the previewed table's readings: all, or (when the user keeps the good rows) all
    but the bad cells; nothing when a bad cell appears and the user did not say so."""

    kind = "statedata"
    label = _lazy("State-data table")
    audit_action = "statedata.import"

    def apply(self, run, reader) -> None:
        upload = _upload(run)
        ctx = Context(upload, run.actor, write=True)
        reader = self._reader(upload)
        try:
            _pass(run, reader, ctx)
        finally:
            upload.file.close()
        run.created = ctx.counts["new"] + ctx.counts["changed"]
        if run.error_count and not run.options.get("keep_good_rows"):
            raise ValidationError(
                _(
                    "%(n)s cells of the table have errors; nothing was imported. Fix them, or "
                    "confirm again keeping the good rows."
                )
                % {"n": run.error_count}
            )
        # The table holds personal numbers: once imported, only the record stays.
        transaction.on_commit(lambda: _forget(upload.pk))

    def audit_after(self, run) -> dict:
        return {"batch": f"statedata:{run.options.get('upload')}", "written": run.created}

    def summary(self, run) -> str:
        if run.status == ImportRun.Status.DONE and run.created:
            return _("%(n)s readings wait for their approver; they count once approved.") % {
                "n": run.created
            }
        return ""


def _forget(upload_pk: int) -> None:
    upload = Upload.objects.filter(pk=upload_pk).first()
    if upload is not None and upload.file:
        upload.file.delete(save=False)
        Upload.objects.filter(pk=upload_pk).update(file="")


register(PreviewImporter())
register(StateDataImporter())


@hooks.register_batch_namer
def upload_batch_names(codes) -> dict[str, str]:
    """An upload's batch ("statedata:<upload>") by its profile and file name."""
    pks = {int(c.split(":", 1)[1]): c for c in codes if re.fullmatch(r"statedata:\d+", c)}
    uploads = Upload.objects.filter(pk__in=pks).select_related("profile")
    return {pks[u.pk]: str(u) for u in uploads}


def ensure_can_import(actor, profile: Profile) -> None:
    """The quality office (or whoever enters the data) imports a profile's table when they
    may enter at least one of its indicators; cells of the others are refused row by row."""
    if not profile.is_active:
        raise PermissionDenied(_("This profile is not active."))
    columns = list(profile.columns.select_related("indicator"))
    if not any(access_rules.can_enter(actor, c.indicator) for c in columns):
        raise PermissionDenied
