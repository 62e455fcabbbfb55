"""Spreadsheet imports, one mechanism for all of them.

The engine owns the reading (streamed, bounded memory, blank rows skipped and capped), the
batching (one transaction per chunk, counters and checkpoint committed with the chunk), the
record (`ImportRun`: counts, per-row errors, who, when, also when it failed), the audit row,
the background job and the progress page. Each domain keeps its own row rules in an `Importer`
registered under its kind: row by row (`process`, chunked) or, where rows depend on each other,
the whole file at once (`apply`, one transaction).

A file whose declared size is more than a page's worth (IMPORT_INLINE_MAX_ROWS) runs as a
Celery job and the user watches its progress page; a small one runs in the request but is
recorded the same way. Imports are keyed upserts: a failed run, run again, continues after its
checkpoint, and repeating a finished file changes nothing.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from contextlib import contextmanager
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils.cell import coordinate_to_tuple

from accounts.audit import audit_record

from .archives import check_archive
from .models import ImportRun

log = logging.getLogger(__name__)

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
MAX_COLUMNS = 256  # cells further right belong to no known column


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""


# --- reading -------------------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def open_upload(file, name: str = ""):
    """The one point where an uploaded import file is first opened: the size limit is checked
    here (and any other check on the raw file belongs here too)."""
    size = getattr(file, "size", None)
    if size is None and hasattr(file, "seek"):
        position = file.tell()
        size = file.seek(0, io.SEEK_END)
        file.seek(position)
    if size and size > settings.MAX_UPLOAD_BYTES:
        raise ImportFileError(_("The file is larger than the upload limit."))
    if not name.lower().endswith(".csv") and hasattr(file, "seek"):
        # A workbook is a zip: judge it from its directory before anything is inflated.
        check_archive(file, error=ImportFileError)
    if hasattr(file, "seek"):
        file.seek(0)
    return file


class TableReader:
    """The non-empty rows of an .xlsx sheet or a .csv file, streamed.

    Rows come as (row number, tuple of values). Blank rows are skipped and not counted, but more
    than IMPORT_MAX_BLANK_ROWS of them stop the reading with a clear message (a sheet formatted
    down to row 1,048,576 would otherwise cost minutes to say nothing); more than `max_rows`
    non-empty rows after the header stop it too. A sheet that declares more rows than both
    together is refused before any row is read.
    """

    def __init__(self, file, *, name: str = "", max_rows: int, data_only: bool = True):
        self.name = name or getattr(file, "name", "") or ""
        self.max_rows = max_rows
        self.max_blank = settings.IMPORT_MAX_BLANK_ROWS
        self.data_only = data_only
        self.file = open_upload(file, self.name)
        self.is_csv = self.name.lower().endswith(".csv")
        self._reader = None
        if not self.is_csv:
            self._open_xlsx()

    # xlsx ----------------------------------------------------------------------------------
    def _open_xlsx(self) -> None:
        # openpyxl's read-only workbook sizes every sheet on load and, when a sheet declares no
        # dimension, parses the whole sheet to find out: the steps of ExcelReader.read() minus
        # read_worksheets give the shared strings, styles and sheet paths without that.
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            reader = ExcelReader(self.file, read_only=True, data_only=self.data_only)
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            self.sheets = {
                sheet.name: str(PurePosixPath(rel.target)).lstrip("/")
                for sheet, rel in reader.parser.find_sheets()
            }
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportFileError(_("This file is not a valid .xlsx workbook.")) from exc
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise ImportFileError(_("This file is not a valid .xlsx workbook.")) from exc
        if not self.sheets:
            raise ImportFileError(_("The workbook is empty."))
        self._reader = reader

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets) if not self.is_csv else []

    def _path(self, sheet: str | None) -> str:
        if sheet is None:
            return next(iter(self.sheets.values()))
        if sheet not in self.sheets:
            raise ImportFileError(_("The workbook has no sheet “%(s)s”.") % {"s": sheet})
        return self.sheets[sheet]

    def _iterparse(self, source, tags):
        from lxml import etree

        return etree.iterparse(
            source,
            events=("end",),
            tag=tags,
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
        )

    def declared_rows(self, sheet: str | None = None) -> int | None:
        """The row count the sheet declares in its <dimension> (Excel writes one), read from the
        start of the sheet only; None when it declares none (then a whole scan would tell)."""
        if self.is_csv:
            return None
        from lxml import etree
        from openpyxl.utils.cell import range_boundaries

        with self._reader.archive.open(self._path(sheet)) as source:
            for event, element in etree.iterparse(
                source, events=("start",), resolve_entities=False, no_network=True
            ):
                if element.tag == NS + "dimension":
                    try:
                        return range_boundaries(element.get("ref", ""))[3]
                    except (TypeError, ValueError):
                        return None
                if element.tag == NS + "sheetData":
                    return None
                del event
        return None

    def _check_declared(self, sheet) -> None:
        declared = self.declared_rows(sheet)
        if declared and declared > self.max_rows + self.max_blank + 1:
            raise ImportFileError(
                _(
                    "The sheet declares %(rows)s rows, more than the %(limit)s rows an import "
                    "may have. Delete the empty rows at the end (or split the file) and upload "
                    "it again."
                )
                % {"rows": f"{declared:,}", "limit": f"{self.max_rows:,}"}
            )

    def _xlsx_rows(self, sheet):
        from openpyxl.worksheet._reader import WorkSheetParser

        self._check_declared(sheet)
        workbook = self._reader.wb
        with self._reader.archive.open(self._path(sheet)) as source:
            parser = WorkSheetParser(
                source,
                self._reader.shared_strings,
                data_only=self.data_only,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            for _event, element in self._iterparse(source, NS + "row"):
                values = None
                number = None
                if len(element):
                    number, cells = _parse_row(parser, element)
                    width = min(MAX_COLUMNS, max((c["column"] for c in cells), default=0))
                    row = [None] * width
                    for cell in cells:
                        if cell["column"] <= width:
                            row[cell["column"] - 1] = cell["value"]
                    if not all(_blank(v) for v in row):
                        values = tuple(row)
                # Free the row and the ones before it: libxml2 keeps the tree otherwise.
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del element.getparent()[0]
                yield number, values

    def merged_ranges(self, sheet: str | None = None) -> list[tuple[int, int, int, int]]:
        """(min_col, min_row, max_col, max_row) of each merged range; a pass over the sheet."""
        if self.is_csv:
            return []
        from openpyxl.utils.cell import range_boundaries

        self._check_declared(sheet)
        ranges, rows = [], 0
        with self._reader.archive.open(self._path(sheet)) as source:
            for _event, element in self._iterparse(source, (NS + "row", NS + "mergeCell")):
                if element.tag == NS + "row":
                    rows += 1
                    if rows > self.max_rows + self.max_blank + 1:
                        raise self._too_many_blank()
                else:
                    ranges.append(range_boundaries(element.get("ref", "")))
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del element.getparent()[0]
        return ranges

    # csv -----------------------------------------------------------------------------------
    def _csv_rows(self):
        text = io.TextIOWrapper(self.file, encoding="utf-8-sig", newline="")
        try:
            for number, row in enumerate(csv.reader(text), start=1):
                row = row[:MAX_COLUMNS]
                yield number, (None if all(_blank(v) for v in row) else tuple(row))
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("The .csv file is not UTF-8 text.")) from exc
        except csv.Error as exc:
            raise ImportFileError(_("The .csv file cannot be read: %(e)s") % {"e": exc}) from exc
        finally:
            text.detach()

    # both ------------------------------------------------------------------------------------
    def _too_many_blank(self) -> ImportFileError:
        return ImportFileError(
            _(
                "The file has more than %(n)s empty rows. Delete the empty rows (often formatting "
                "that reaches the end of the sheet) and upload it again."
            )
            % {"n": f"{self.max_blank:,}"}
        )

    def rows(self, sheet: str | None = None):
        """Yield (row number, values) for every non-empty row, the header row included."""
        if self.is_csv:
            self.file.seek(0)
        source = self._csv_rows() if self.is_csv else self._xlsx_rows(sheet)
        blank = filled = 0
        for number, values in source:
            if values is None:
                blank += 1
                if blank > self.max_blank:
                    raise self._too_many_blank()
                continue
            filled += 1
            if filled > self.max_rows + 1:  # the header row is not counted
                raise ImportFileError(
                    _("The file has more than %(n)s rows; split it.") % {"n": f"{self.max_rows:,}"}
                )
            yield number, values

    def count(self, sheet: str | None = None) -> int:
        """Non-empty rows after the header (a full pass: the limits above apply)."""
        return max(0, sum(1 for _row in self.rows(sheet)) - 1)

    def estimate(self, sheet: str | None = None) -> int | None:
        """A cheap upper bound of the rows, None when only a pass would tell."""
        if self.is_csv:
            self.file.seek(0)
            lines = 0
            while block := self.file.read(1 << 20):
                lines += block.count(b"\n")
            self.file.seek(0)
            return lines
        declared = self.declared_rows(sheet)
        return declared - 1 if declared else None


def _parse_row(parser, element):
    """openpyxl's WorkSheetParser.parse_row, with inline strings read directly: openpyxl builds
    a rich-text object per inline string (write-only workbooks and many export tools write every
    text cell so), which costs more than all the rest of the reading."""
    r = element.get("r")
    parser.row_counter = int(float(r)) if r else parser.row_counter + 1
    parser.col_counter = 0
    cells = []
    for child in element:
        if child.tag != NS + "c":
            continue
        if child.get("t") == "inlineStr" and child.find(NS + "f") is None:
            ref = child.get("r")
            column = coordinate_to_tuple(ref)[1] if ref else parser.col_counter + 1
            parser.col_counter = column
            text = child.find(NS + "is")
            value = None
            if text is not None:
                # the plain text and the rich-text runs; not the phonetic guides (rPh)
                value = "".join(t.text or "" for t in text.iterfind(f"{NS}t")) + "".join(
                    t.text or "" for t in text.iterfind(f"{NS}r/{NS}t")
                )
            cells.append({"column": column, "value": value})
        else:
            cells.append(parser.parse_cell(child))
    return parser.row_counter, cells


# --- importers -----------------------------------------------------------------------------

_REGISTRY: dict[str, Importer] = {}


class Importer:
    """A domain's row rules. Subclass, set the attributes, and `register()` an instance."""

    kind = ""
    label = ""
    audit_action = ""
    extensions = (".xlsx",)
    chunk_size = 500
    # All or nothing: the whole file in one transaction, rolled back when any row is bad
    # (unless the run's options say to keep the good rows). Otherwise each chunk commits.
    atomic = False
    data_only = True
    sheet: str | None = None
    # Whole-file imports (rows that depend on each other: a calendar's terms and days, a
    # catalogue's items, a task list confirmed from its preview) override `apply` instead of
    # `columns`/`process`: it runs once, in one transaction, so the file lands whole or not at
    # all, and a failed run run again repeats it from the start.
    whole_file = False

    def max_rows(self) -> int:
        raise NotImplementedError

    def check(self, actor, options: dict) -> None:
        """Raise PermissionDenied unless `actor` may run this import."""
        raise NotImplementedError

    def check_file(self, reader: TableReader) -> None:
        """Refuse, before the run is recorded, a file that cannot be imported at all (raise
        ImportFileError): by default its header must name the importer's columns."""
        _header(reader, self)

    def apply(self, run: ImportRun, reader: TableReader | None) -> None:
        """A whole-file import's work (`reader` is None for a run started without a file, from
        data saved earlier): count on `run`, report bad rows with `run.add_error`, and raise
        (ValidationError) to roll everything back. Runs inside the run's one transaction; call
        `note_progress(run)` now and then on a long pass."""
        raise NotImplementedError

    def columns(self, header: tuple) -> dict:
        """Map the header row to column indexes; ImportFileError naming the missing ones."""
        raise NotImplementedError

    def start(self, run: ImportRun, columns: dict):
        """Lookups shared by every chunk (returned as the context)."""
        return None

    def process(self, run: ImportRun, context, columns: dict, chunk: list) -> None:
        """Write one chunk of (row number, values): count on `run`, report bad rows with
        `run.add_error`. Runs inside the chunk's transaction."""
        raise NotImplementedError

    def finish(self, run: ImportRun, context) -> None:
        """After the last chunk, in the last transaction."""

    def keeps_good_rows(self, run: ImportRun) -> bool:
        return not self.atomic or bool(run.options.get("keep_good_rows"))

    def audit_after(self, run: ImportRun) -> dict:
        return {}

    def summary(self, run: ImportRun) -> str:
        """A domain's sentence under the counts on the run's page."""
        return ""

    def done_url(self, run: ImportRun) -> str:
        return ""


def register(importer: Importer) -> Importer:
    _REGISTRY[importer.kind] = importer
    return importer


def importer_for(kind: str) -> Importer | None:
    return _REGISTRY.get(kind)


def importers() -> list[Importer]:
    return list(_REGISTRY.values())


def column_index(header: tuple, aliases: dict, required=()) -> dict:
    """{key: index} of the first header cell that matches one of a key's aliases (case and
    surrounding blanks ignored); ImportFileError naming each required column that is missing."""
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    found = {}
    for key, options in aliases.items():
        wanted = {str(o).lower() for o in options}
        for i, name in enumerate(names):
            if name in wanted:
                found[key] = i
                break
    missing = [aliases[k][0] for k in required if k not in found]
    if missing:
        raise ImportFileError(_("Missing columns: %(cols)s") % {"cols": "、".join(missing)})
    return found


def cell(row: tuple, index: int | None) -> str:
    """A cell as trimmed text; whole numbers typed as numbers (2024001.0) lose the .0."""
    if index is None or index >= len(row) or row[index] is None:
        return ""
    value = row[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- who sees a run ------------------------------------------------------------------------


def visible_runs(user):
    from accounts import access

    from .capabilities import IMPORTS_VIEW

    runs = ImportRun.objects.select_related("actor")
    if access.has_capability(user, IMPORTS_VIEW):
        return runs
    return runs.filter(actor=user)


def get_run(user, pk) -> ImportRun:
    """404 for a run that is neither the user's own nor theirs to oversee."""
    from django.http import Http404

    run = visible_runs(user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


# --- running -------------------------------------------------------------------------------


def _header(reader: TableReader, importer: Importer):
    rows = reader.rows(importer.sheet)
    first = next(rows, None)
    rows.close()
    if first is None:
        raise ImportFileError(_("The file is empty."))
    return importer.columns(first[1])


def import_start(
    *,
    actor,
    kind: str,
    file=None,
    options: dict | None = None,
    rows: int | None = None,
    file_name: str = "",
    inline: bool = False,
) -> ImportRun:
    """Check the permission and the file, record the run, and run it: in this request when it
    is small (or `inline`, as a management command wants), else as a background job
    (published after commit).

    A whole-file importer may start without a file, from data saved earlier (a confirmed
    preview): `rows` then says how large the work is.

    Raises PermissionDenied, or ImportFileError when the file as a whole cannot be imported
    (nothing is recorded then: the form says what is wrong)."""
    importer = _REGISTRY[kind]
    options = options or {}
    importer.check(actor, options)
    run = ImportRun(kind=kind, actor=actor, options=options)
    if file is not None:
        name = getattr(file, "name", "") or ""
        if not name.lower().endswith(importer.extensions):
            raise ImportFileError(
                _("Upload a file of type %(types)s.") % {"types": " / ".join(importer.extensions)}
            )
        reader = TableReader(
            file, name=name, max_rows=importer.max_rows(), data_only=importer.data_only
        )
        importer.check_file(reader)
        rows = reader.estimate(importer.sheet)
        file.seek(0)
        run.file_name = PurePosixPath(name).name[:200]
        content = File(file) if hasattr(file, "read") else file
        run.file.save(run.file_name or "import", content, False)
    else:
        run.file_name = file_name[:200]
    run.save()
    if inline or (rows is not None and rows <= settings.IMPORT_INLINE_MAX_ROWS):
        execute(run.pk)
        run.refresh_from_db()
    else:
        from .tasks import publish_quietly, run_import

        transaction.on_commit(lambda: publish_quietly(run_import, args=[run.pk]), robust=True)
    return run


def import_retry(*, actor, run: ImportRun) -> ImportRun:
    """Run a failed import again from its checkpoint."""
    importer = _REGISTRY[run.kind]
    importer.check(actor, run.options)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ImportRun.Status.FAILED:
            raise ValidationError(_("Only a failed import can be run again."))
        run.status = ImportRun.Status.QUEUED
        run.message = ""
        run.save(update_fields=["status", "message"])
        audit_record(actor=actor, action="import.retry", obj=run, after={"kind": run.kind})
        from .tasks import publish_quietly, run_import

        transaction.on_commit(lambda: publish_quietly(run_import, args=[run.pk]), robust=True)
    return run


COUNTERS = ["total", "processed", "created", "updated", "unchanged", "error_count", "errors"]


def execute(run_pk: int) -> ImportRun | None:
    """Run (or continue) one import. Never raises for a bad file or a failing chunk: the run
    ends failed with the message and an audit row."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_pk).first()
        if run is None or run.status == ImportRun.Status.DONE:
            return run
        run.status = ImportRun.Status.RUNNING
        run.started_at = run.started_at or timezone.now()
        run.save(update_fields=["status", "started_at"])
    importer = _REGISTRY[run.kind]
    try:
        _run(run, importer)
    except Exception as exc:
        if not isinstance(exc, ImportFileError | ValidationError | PermissionDenied):
            log.exception("import %s failed", run.pk)
        _fail(run, importer, exc)
    return run


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    if isinstance(exc, ImportFileError | PermissionDenied):
        return str(exc) or _("You may not run this import.")
    return _("The import stopped on an unexpected error (%(e)s).") % {"e": type(exc).__name__}


def _fail(run: ImportRun, importer: Importer, exc: Exception) -> None:
    """Record the failure in its own transaction (the chunk's was rolled back): counters from
    the database (what the committed chunks wrote), the message, and the audit row."""
    with transaction.atomic():
        saved = ImportRun.objects.select_for_update().get(pk=run.pk)
        if importer.atomic or importer.whole_file:
            # Nothing stays; the errors found so far do: they name the rows to fix.
            saved.processed = saved.created = saved.updated = saved.unchanged = 0
            saved.errors, saved.error_count = run.errors, run.error_count
        # Otherwise the saved counters are those of the committed chunks, where a re-run
        # continues (the failed chunk's errors are found again then).
        saved.total = run.total
        saved.status = ImportRun.Status.FAILED
        saved.message = _message(exc)
        saved.finished_at = timezone.now()
        saved.save()
        _audit(saved, importer)
    run.refresh_from_db()


def _audit(run: ImportRun, importer: Importer) -> None:
    audit_record(
        actor=run.actor,
        action=importer.audit_action,
        obj=run,
        after={
            "file": run.file_name,
            "status": run.status,
            "rows": run.total,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "errors": run.error_count,
            "bad_rows": sorted({e["row"] for e in run.errors}),
            "message": run.message,
            **importer.audit_after(run),
        },
        record_ip=False,
    )


def _chunks(rows, size: int):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextmanager
def _open(run: ImportRun, importer: Importer):
    if not run.file:
        yield None
        return
    with run.file.open("rb") as handle:
        yield TableReader(
            handle, name=run.file_name, max_rows=importer.max_rows(), data_only=importer.data_only
        )


def _run(run: ImportRun, importer: Importer) -> None:
    if importer.whole_file:
        _run_whole(run, importer)
    else:
        _run_rows(run, importer)
    with transaction.atomic():
        run.status = ImportRun.Status.DONE
        run.finished_at = timezone.now()
        run.save()
        _audit(run, importer)
    _forget_file(run)


def _run_whole(run: ImportRun, importer: Importer) -> None:
    with _open(run, importer) as reader:
        if run.total is None and reader is not None:
            # The progress bar's scale until `apply` counts the rows it read.
            run.total = reader.estimate(importer.sheet)
            ImportRun.objects.filter(pk=run.pk).update(total=run.total)
        run.processed = run.created = run.updated = run.unchanged = run.error_count = 0
        run.errors, run.result = [], {}
        with transaction.atomic():
            importer.apply(run, reader)


def _run_rows(run: ImportRun, importer: Importer) -> None:
    with _open(run, importer) as reader:
        columns = _header(reader, importer)
        if run.total is None:
            run.total = reader.count(importer.sheet)  # also enforces the limits before writing
            ImportRun.objects.filter(pk=run.pk).update(total=run.total)
        rows = reader.rows(importer.sheet)
        next(rows, None)  # the header
        if importer.atomic:
            run.processed = run.created = run.updated = run.unchanged = run.error_count = 0
            run.errors, run.checkpoint = [], 0
            with transaction.atomic():
                context = importer.start(run, columns)
                for chunk in _chunks(rows, importer.chunk_size):
                    importer.process(run, context, columns, chunk)
                    run.processed += len(chunk)
                    note_progress(run)
                importer.finish(run, context)
                if run.error_count and not importer.keeps_good_rows(run):
                    transaction.set_rollback(True)
                    run.created = run.updated = run.unchanged = 0
                    run.result["rolled_back"] = True
        else:
            context = importer.start(run, columns)
            for chunk in _chunks(rows, importer.chunk_size):
                if chunk[-1][0] <= run.checkpoint:
                    continue  # committed by an earlier attempt of this run
                with transaction.atomic():
                    importer.process(run, context, columns, chunk)
                    run.processed += len(chunk)
                    run.checkpoint = chunk[-1][0]
                    run.save(update_fields=[*COUNTERS, "checkpoint", "result"])
            with transaction.atomic():
                importer.finish(run, context)


def _forget_file(run: ImportRun) -> None:
    """A done run needs its file no more (rosters hold personal data): only the record stays."""
    if run.file:
        run.file.delete(save=False)
        ImportRun.objects.filter(pk=run.pk).update(file="")


def note_progress(run: ImportRun) -> None:
    """Progress of an all-or-nothing run (`run.processed`), which commits only at the end:
    kept in the cache, where the progress page looks first."""
    from django.core.cache import cache

    cache.set(f"import-progress:{run.pk}", run.processed, 3600)


def progress(run: ImportRun) -> dict:
    from django.core.cache import cache

    processed = run.processed
    if run.status == ImportRun.Status.RUNNING:
        processed = max(processed, cache.get(f"import-progress:{run.pk}", 0))
    total = run.total
    percent = 100 if run.status == ImportRun.Status.DONE else 0
    if total and run.status != ImportRun.Status.DONE:
        percent = min(99, processed * 100 // total)
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "total": total,
        "processed": processed,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "errors": run.error_count,
        "percent": percent,
        "finished": run.finished,
        "message": run.message,
    }


def sweep_imports(now=None) -> int:
    """Publish again the runs still queued after the grace period (their message was lost; a
    worker that dies mid-run gets its message back from the broker, acks being late), and
    delete the files of failed runs nobody ran again within IMPORT_FILES_KEEP_DAYS."""
    from datetime import timedelta

    from .tasks import publish_quietly, run_import

    now = now or timezone.now()
    grace = timedelta(seconds=settings.ENGINE_JOB_REDRIVE_AFTER_SECONDS)
    published = 0
    for pk in ImportRun.objects.filter(
        status=ImportRun.Status.QUEUED, created_at__lt=now - grace
    ).values_list("pk", flat=True):
        published += publish_quietly(run_import, args=[pk])
    stale = now - timedelta(days=settings.IMPORT_FILES_KEEP_DAYS)
    for run in ImportRun.objects.filter(finished_at__lt=stale).exclude(file=""):
        _forget_file(run)
    return published
