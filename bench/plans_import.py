"""The plans import of a 10,000-row table, in the request vs as a background job.

    python bench/plans_import.py [--rows 10000] [--trace]      (SQLite in memory)
    DATABASE_URL=postgres://.../zg_x python bench/plans_import.py   (creates test_<db>, drops it)

For the preview and the confirm, prints seconds, queries (and per row) and, with --trace, the
Python heap peak (tracemalloc; a run of its own, as tracing slows the work several times) of:
the whole work in the request (IMPORT_INLINE_MAX_ROWS above the file), and, as a job, what the
request still pays (check and store the file, record the run) and what the worker pays. Also
the preview page, which is rendered in the request either way.
"""

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import plans_chain
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment

TRACE = False  # --trace: the heap peak too (tracing slows the work several times over)


def measure(label, rows, func):
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    if TRACE:
        tracemalloc.start()
    try:
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            result = func()
            seconds = time.perf_counter() - started
        peak = f"{tracemalloc.get_traced_memory()[1] / 2**20:>7.1f} MiB peak  " if TRACE else ""
    finally:
        tracemalloc.stop()
    print(
        f"  {label:<44} {seconds:>7.2f} s  {peak}{count[0]:>6,} queries ({count[0] / rows:.3f}/row)"
    )
    return result


def run(rows: int) -> None:
    from engine import imports as engine_imports
    from engine import tasks
    from workflows.plans import imports
    from workflows.plans.models import PendingImport, Plan, Task

    plans_chain.IMPORT_ROWS = rows
    college, units, officer, _chair = plans_chain.build_college()
    print(f"plans import of {rows:,} rows on {connection.vendor}")
    data = plans_chain.workbook(units)
    client = Client()
    client.force_login(officer)

    def new_plan(year):
        return Plan.objects.create(
            title=f"{year}年度工作计划",
            kind="annual",
            tier=1,
            level="school",
            owner_unit=college,
            start_year=2026,
            end_year=2026,
        )

    # In the request: the whole work where the user waits.
    settings.IMPORT_INLINE_MAX_ROWS = rows + 10  # the title and header rows count too
    plan = new_plan(1)
    run = measure(
        "inline: preview (upload → PendingImport)",
        rows,
        lambda: imports.import_preview(
            actor=officer, plan=plan, upload=SimpleUploadedFile("t.xlsx", data)
        ),
    )
    assert run.status == "done", run.message
    pending = PendingImport.objects.get(pk=run.result["pending"])
    measure(
        "preview page (rendered in the request)",
        rows,
        lambda: client.get(f"/plans/import/{pending.pk}/"),
    )
    run = measure(
        "inline: confirm",
        rows,
        lambda: imports.import_confirm(actor=officer, pending_id=pending.pk),
    )
    assert run.status == "done" and Task.objects.filter(plan=plan).count() == rows, run.message

    # As jobs: the request records the run; the worker (execute) does the work.
    settings.IMPORT_INLINE_MAX_ROWS = 500
    published = []
    real_publish = tasks.publish_quietly
    tasks.publish_quietly = lambda task, args=(), **kw: published.append(args[0]) or True
    try:
        plan = new_plan(2)
        run = measure(
            "job: preview, in the request",
            rows,
            lambda: imports.import_preview(
                actor=officer, plan=plan, upload=SimpleUploadedFile("t.xlsx", data)
            ),
        )
        assert run.status == "queued"
        measure("job: preview, in the worker", rows, lambda: engine_imports.execute(run.pk))
        run.refresh_from_db()
        pending = PendingImport.objects.get(pk=run.result["pending"])
        run = measure(
            "job: confirm, in the request",
            rows,
            lambda: imports.import_confirm(actor=officer, pending_id=pending.pk),
        )
        assert run.status == "queued"
        measure("job: confirm, in the worker", rows, lambda: engine_imports.execute(run.pk))
        run.refresh_from_db()
        assert run.status == "done" and run.created == rows, run.message
    finally:
        tasks.publish_quietly = real_publish


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--trace", action="store_true", help="measure the heap peak too")
    arguments = parser.parse_args()
    global TRACE
    rows, TRACE = arguments.rows, arguments.trace
    settings.PLANS_IMPORT_MAX_ROWS = max(settings.PLANS_IMPORT_MAX_ROWS, rows + 10)
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(rows)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
