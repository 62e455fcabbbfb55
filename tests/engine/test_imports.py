"""The import machinery: streamed reading with bounded memory, the record, failure and resume."""

import io
import os
import time
import tracemalloc
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import AuditEntry
from engine import imports
from engine.imports import ImportFileError, TableReader
from engine.models import ImportRun


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def xlsx(rows, *, write_only=False, name="t.xlsx") -> SimpleUploadedFile:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet() if write_only else wb.active
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def blank_rows(n: int, header=("编号", "名称")):
    yield header
    for _i in range(n):
        yield ()


# --- reading -------------------------------------------------------------------------------


def test_blank_rows_are_skipped_and_not_counted():
    upload = xlsx([("编号", "名称"), ("a", 1), (), (None, "  "), ("b", 2.0)])
    reader = TableReader(upload, max_rows=2)
    assert list(reader.rows()) == [(1, ("编号", "名称")), (2, ("a", 1)), (5, ("b", 2))]
    assert reader.count() == 2


def test_more_non_empty_rows_than_the_limit_stop_with_a_message():
    upload = xlsx([("编号",), *[(str(i),) for i in range(4)]])
    with pytest.raises(ImportFileError, match="3"):
        TableReader(upload, max_rows=3).count()


def test_huge_blank_sheet_is_refused_fast_with_bounded_memory(settings):
    """100,000 blank rows (no <dimension>, as a write-only workbook or a script writes them)."""
    settings.IMPORT_MAX_BLANK_ROWS = 200_000
    upload = xlsx(blank_rows(100_000), write_only=True)
    tracemalloc.start()
    started = time.monotonic()
    try:
        assert TableReader(upload, max_rows=50_000).count() == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024
    # generous: tracing slows it several times and the machine is shared (bench/imports.py times it)
    assert time.monotonic() - started < 120


def test_too_many_blank_rows_stop_early_with_a_message(settings):
    settings.IMPORT_MAX_BLANK_ROWS = 1000
    upload = xlsx(blank_rows(50_000), write_only=True)
    with pytest.raises(ImportFileError) as err:
        TableReader(upload, max_rows=50_000).count()
    assert "1,000" in str(err.value) and "空" in str(err.value)


def test_a_declared_huge_sheet_is_refused_before_reading(settings):
    settings.IMPORT_MAX_BLANK_ROWS = 10
    wb = Workbook()
    wb.active.append(["编号"])
    wb.active.cell(row=1_000_000, column=1).value = None
    wb.active["A1000000"].number_format = "0.00"  # formatting only: Excel's used range grows
    buffer = io.BytesIO()
    wb.save(buffer)
    reader = TableReader(SimpleUploadedFile("f.xlsx", buffer.getvalue()), max_rows=100)
    assert reader.declared_rows() == 1_000_000
    with pytest.raises(ImportFileError, match="1,000,000"):
        list(reader.rows())


def test_csv_is_streamed_too():
    upload = SimpleUploadedFile("t.csv", "编号,名称\r\na,1\r\n,\r\nb,2\r\n".encode("utf-8-sig"))
    reader = TableReader(upload, max_rows=10)
    assert [n for n, _v in reader.rows()] == [1, 2, 4] and reader.count() == 2
    assert reader.estimate() == 4


def test_not_a_workbook_or_not_utf8_is_a_file_error():
    with pytest.raises(ImportFileError):
        TableReader(SimpleUploadedFile("t.xlsx", b"a,b\n"), max_rows=10)
    with pytest.raises(ImportFileError, match="UTF-8"):
        TableReader(SimpleUploadedFile("t.csv", "编号\n甲\n".encode("gbk")), max_rows=10).count()


def test_uploads_above_the_size_limit_are_refused(settings):
    settings.MAX_UPLOAD_BYTES = 4
    with pytest.raises(ImportFileError):
        TableReader(SimpleUploadedFile("t.csv", b"a,b\n1,2\n"), max_rows=10)


# --- running -------------------------------------------------------------------------------


class Flaky(imports.Importer):
    """Writes rows to the cache-free audit trail stand-in: a list, and fails once on row 'x'."""

    kind = "test-flaky"
    label = "测试"
    audit_action = "test.import"
    extensions = (".xlsx", ".csv")
    chunk_size = 2
    written: list = []
    fail_on = {"x"}

    def max_rows(self):
        return 100

    def check(self, actor, options):
        if not actor.is_staff and options.get("deny"):
            raise PermissionDenied

    def columns(self, header):
        return imports.column_index(header, {"code": ("编号",)}, ("code",))

    def process(self, run, context, columns, chunk):
        for number, row in chunk:
            code = imports.cell(row, columns["code"])
            if code in self.fail_on:
                raise RuntimeError("database went away")
            if code == "bad":
                run.add_error(number, "坏行", column="编号")
                continue
            AuditEntry.objects.create(action="test.row", object_repr=code)
            run.created += 1


@pytest.fixture
def flaky():
    importer = imports.register(Flaky())
    Flaky.fail_on = {"x"}
    yield importer
    imports._REGISTRY.pop(Flaky.kind)


def rows_written():
    return list(
        AuditEntry.objects.filter(action="test.row")
        .order_by("pk")
        .values_list("object_repr", flat=True)
    )


def test_failure_part_way_is_recorded_and_a_rerun_resumes(cast, flaky):
    upload = xlsx([("编号",), ("a",), ("b",), ("bad",), ("x",), ("c",)])
    run = imports.import_start(actor=cast.quality_officer, kind=flaky.kind, file=upload)
    assert run.status == ImportRun.Status.FAILED
    assert "RuntimeError" in run.message
    # The first chunk (a, b) committed with its counters; the second (bad, x) rolled back.
    assert rows_written() == ["a", "b"]
    assert (run.total, run.processed, run.created, run.checkpoint) == (5, 2, 2, 3)
    entry = AuditEntry.objects.get(action="test.import")
    assert entry.after["status"] == "failed" and entry.object_id == str(run.pk)

    Flaky.fail_on = set()
    imports.import_retry(actor=cast.quality_officer, run=run)
    imports.execute(run.pk)  # the worker
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert rows_written() == ["a", "b", "x", "c"]  # a and b not written twice
    assert (run.processed, run.created, run.error_count) == (5, 4, 1)
    assert run.errors == [{"row": 4, "column": "编号", "message": "坏行"}]
    assert AuditEntry.objects.filter(action="test.import").count() == 2
    assert AuditEntry.objects.filter(action="import.retry").count() == 1


def test_only_a_failed_run_is_run_again(cast, flaky):
    run = imports.import_start(
        actor=cast.quality_officer, kind=flaky.kind, file=xlsx([("编号",), ("a",)])
    )
    assert run.status == ImportRun.Status.DONE
    with pytest.raises(ValidationError):
        imports.import_retry(actor=cast.quality_officer, run=run)


def test_permission_and_header_are_checked_before_anything_is_recorded(cast, flaky):
    with pytest.raises(PermissionDenied):
        imports.import_start(
            actor=cast.teacher, kind=flaky.kind, file=xlsx([("编号",)]), options={"deny": 1}
        )
    with pytest.raises(ImportFileError, match="编号"):
        imports.import_start(actor=cast.teacher, kind=flaky.kind, file=xlsx([("名称",), ("a",)]))
    with pytest.raises(ImportFileError):
        imports.import_start(
            actor=cast.teacher, kind=flaky.kind, file=xlsx([("编号",)], name="t.txt")
        )
    assert not ImportRun.objects.exists()


def test_a_large_file_is_queued_then_the_job_runs_it(
    cast, flaky, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 3
    upload = xlsx([("编号",), *[(f"r{i}",) for i in range(7)]])
    with django_capture_on_commit_callbacks(execute=True):
        run = imports.import_start(actor=cast.quality_officer, kind=flaky.kind, file=upload)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.created == 7 and run.total == 7


def test_a_large_blank_file_ends_with_zero_rows(cast, flaky, settings):
    settings.IMPORT_MAX_BLANK_ROWS = 100_000
    upload = xlsx(blank_rows(20_000, header=("编号",)), write_only=True)
    run = imports.import_start(actor=cast.quality_officer, kind=flaky.kind, file=upload)
    imports.execute(run.pk)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.total == 0 and run.created == 0


def test_runs_list_and_progress_are_for_their_owner_and_overseers(cast, login, flaky):
    run = imports.import_start(actor=cast.teacher, kind=flaky.kind, file=xlsx([("编号",), ("a",)]))
    teacher = login(cast.teacher)
    assert teacher.get(reverse("engine:import_progress", args=[run.pk])).json()["percent"] == 100
    assert "t.xlsx" in teacher.get(reverse("engine:import_runs")).content.decode()
    assert login(cast.student).get(reverse("engine:import_run", args=[run.pk])).status_code == 404
    assert "t.xlsx" not in login(cast.student).get(reverse("engine:import_runs")).content.decode()
    officer = login(cast.quality_officer)
    assert officer.get(reverse("engine:import_run", args=[run.pk])).status_code == 200
    assert officer.post(reverse("engine:import_retry", args=[run.pk])).status_code == 403


def test_import_run_admin_lists_runs(cast, login, flaky):
    imports.import_start(actor=cast.teacher, kind=flaky.kind, file=xlsx([("编号",), ("a",)]))
    response = login(cast.sysadmin).get(reverse("admin:engine_importrun_changelist"))
    assert response.status_code == 200 and "t.xlsx" in response.content.decode()


def test_a_done_run_keeps_no_file_a_failed_one_keeps_it_until_the_sweep(cast, flaky, settings):
    done = imports.import_start(
        actor=cast.quality_officer, kind=flaky.kind, file=xlsx([("编号",), ("a",)])
    )
    failed = imports.import_start(
        actor=cast.quality_officer, kind=flaky.kind, file=xlsx([("编号",), ("x",)])
    )
    assert not done.file and failed.status == "failed" and failed.file
    path = failed.file.path
    settings.IMPORT_FILES_KEEP_DAYS = 0
    imports.sweep_imports(now=timezone.now() + timedelta(seconds=1))
    failed.refresh_from_db()
    assert not failed.file and not os.path.exists(path)


def test_the_sweep_publishes_a_queued_run_whose_message_was_lost(
    cast, flaky, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 0
    monkeypatch.setattr("engine.tasks.publish_quietly", lambda *a, **k: False)
    with django_capture_on_commit_callbacks(execute=True):
        run = imports.import_start(
            actor=cast.quality_officer, kind=flaky.kind, file=xlsx([("编号",), ("a",)])
        )
    assert ImportRun.objects.get(pk=run.pk).status == "queued"
    monkeypatch.undo()
    later = timezone.now() + timedelta(seconds=settings.ENGINE_JOB_REDRIVE_AFTER_SECONDS + 1)
    assert imports.sweep_imports(now=later) == 1
    assert ImportRun.objects.get(pk=run.pk).status == "done"
