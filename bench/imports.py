"""Import memory and time (PostgreSQL). Prints figures; never a test.

    .venv/bin/python bench/imports.py [--roster-rows 100000] [--blank-rows 1000000] [--baseline]

Builds the files with openpyxl in write-only mode (as a script or an export tool writes them: no
declared <dimension>, inline strings), then measures each case in a fresh child process: wall
time, the growth of the process's peak RSS, and the Python peak (tracemalloc; for the roster only
with --tracemalloc, as tracing slows it down).

- roster: a roster of N people → import_start (the request's part) and the job that imports it;
  then the same file again (every row unchanged).
- blank: a sheet with a header and N blank rows, read through the engine's reader with the
  default blank-row cap (refused with a message), with the cap lifted (a full scan: "0 rows"),
  and through the plans import's preview parser.
- --baseline: the same blank file through openpyxl's read-only `iter_rows` (what the imports
  did before), for the ratio.

Database: $BENCH_DB (default zg_imports), created and dropped here. Celery runs eagerly.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import _setup  # noqa: E402

os.environ["BENCH_DB"] = os.environ.get("BENCH_DB", "zg_imports")
os.environ["REDIS_URL"] = ""  # eager Celery: the job runs in this process, measured with it
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
os.environ["DATABASE_URL"] = f"{SERVER}/{os.environ['BENCH_DB']}"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_roster(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["工号/学号", "姓名", "单位", "角色", "邮箱", "手机"])
    for i in range(rows):
        ws.append([f"B{i:07d}", f"学生{i}", "bench-dept", "学生", f"b{i}@example.edu.cn", ""])
    wb.save(path)


def build_blank(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["类别", "建设任务", "成果形式", "牵头部门", "协助部门"])
    for _i in range(rows):
        ws.append([])
    wb.save(path)


def _measure(label: str, action, *, trace: bool = True) -> dict:
    rss_before = _rss_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = action()
    except Exception as exc:  # a refusal is an outcome here
        outcome = f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - started
    peak = None
    if trace:
        peak = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
        tracemalloc.stop()
    return {
        "case": label,
        "seconds": round(elapsed, 2),
        "python_peak_mb": peak,
        "rss_growth_mb": round(_rss_mb() - rss_before, 1),
        "outcome": str(outcome)[:160],
    }


# --- child process: one case ---------------------------------------------------------------


def _django():
    import django

    django.setup()


def child_roster(path: str, trace: bool) -> list[dict]:
    _django()
    from django.core.files import File

    from accounts.models import Membership, OrgUnit, Role, User
    from engine.imports import import_start

    root = OrgUnit.objects.filter(depth=1).first() or OrgUnit.add_root(
        code="bench-college", name="基准学院", kind=OrgUnit.Kind.COLLEGE
    )
    if not OrgUnit.objects.filter(code="bench-dept").exists():
        root.add_child(code="bench-dept", name="基准系", kind=OrgUnit.Kind.DEPARTMENT)
    admin, _c = User.objects.get_or_create(username="bench-admin")
    Membership.objects.get_or_create(user=admin, org_unit=root, role=Role.SYSTEM_ADMIN)

    def run():
        with open(path, "rb") as handle:
            started = time.perf_counter()
            # The request's part: checks, stores the file, queues the job (which, eager and
            # outside a transaction, runs right here: the time after is the job's).
            run = import_start(actor=admin, kind="roster", file=File(handle, name="roster.xlsx"))
            run.refresh_from_db()
        if run.status != "done":
            return f"{run.status}: {run.message}"
        return (
            f"{run.status}: {run.total:,} rows, {run.created:,} created, {run.updated:,} updated, "
            f"{run.unchanged:,} unchanged, {run.error_count} errors "
            f"({time.perf_counter() - started:.1f}s)"
        )

    first = _measure("roster import (new people)", run, trace=trace)
    second = _measure("roster import again (unchanged)", run, trace=trace)
    return [first, second]


def child_blank(path: str, mode: str) -> list[dict]:
    _django()
    from django.conf import settings

    from engine.imports import TableReader

    if mode == "cap":
        return [
            _measure(
                f"blank file, engine reader, default cap {settings.IMPORT_MAX_BLANK_ROWS:,}",
                lambda: _count(TableReader, path, settings.ROSTER_MAX_ROWS),
            )
        ]
    if mode == "scan":
        settings.IMPORT_MAX_BLANK_ROWS = 10**8
        return [
            _measure(
                "blank file, engine reader, full scan (cap lifted)",
                lambda: _count(TableReader, path, settings.ROSTER_MAX_ROWS),
            )
        ]
    if mode == "plans":
        from workflows.plans.imports import parse_workbook

        class Plan:  # parse_workbook reads only the period of the plan
            period_start = period_end = None
            period_label = ""

        def parse():
            with open(path, "rb") as handle:
                parsed = parse_workbook(handle, plan=Plan())
            return f"{len(parsed.rows)} rows, {len(parsed.bad_rows)} bad"

        return [_measure("blank file, plans preview parser", parse)]
    if mode == "baseline":
        from openpyxl import load_workbook

        def old():
            book = load_workbook(path, read_only=True, data_only=True)
            rows = sum(
                1
                for row in book.worksheets[0].iter_rows(values_only=True)
                if any(v not in (None, "") for v in row)
            )
            return f"{rows - 1} non-empty rows"

        return [_measure("blank file, openpyxl read-only iter_rows (before)", old)]
    raise SystemExit(f"unknown mode {mode}")


def _count(reader_class, path, limit):
    with open(path, "rb") as handle:
        return f"{reader_class(handle, name='blank.xlsx', max_rows=limit).count():,} rows"


# --- parent --------------------------------------------------------------------------------


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _child(*args) -> list[dict]:
    out = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--roster-rows", type=int, default=100_000)
    parser.add_argument("--blank-rows", type=int, default=1_000_000)
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="Python peak of the roster too (slows it ~2x)"
    )
    parser.add_argument("--only", choices=["roster", "blank"])
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    # The roster's row limit must let the benchmark's roster in.
    os.environ["ROSTER_MAX_ROWS"] = str(max(50_000, args.roster_rows))
    if args.child:
        kind, path, *rest = args.child
        if kind == "roster":
            result = child_roster(path, trace=bool(rest and rest[0] == "trace"))
        else:
            result = child_blank(path, rest[0])
        print(json.dumps(result))
        return

    _setup.begin(
        "the blank sheet through openpyxl's read-only iter_rows (--baseline), each case in its "
        "own fresh process"
    )
    name = os.environ["BENCH_DB"]
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], check=True, cwd=ROOT, env=os.environ
        )
        with tempfile.TemporaryDirectory() as tmp:
            roster, blank = Path(tmp) / "roster.xlsx", Path(tmp) / "blank.xlsx"
            started = time.perf_counter()
            if args.only != "blank":
                build_roster(roster, args.roster_rows)
            if args.only != "roster":
                build_blank(blank, args.blank_rows)
            print(
                f"files: roster {args.roster_rows:,} rows, blank {args.blank_rows:,} rows "
                f"(built in {time.perf_counter() - started:.0f}s)",
                flush=True,
            )
            results = []
            if args.only != "blank":
                size = roster.stat().st_size / 1e6
                print(f"roster file {size:.1f} MB", flush=True)
                results += _child("roster", str(roster), *(["trace"] if args.tracemalloc else []))
            if args.only != "roster":
                print(f"blank file {blank.stat().st_size / 1e3:.0f} KB", flush=True)
                for mode in ("cap", "scan", "plans", *(["baseline"] if args.baseline else [])):
                    results += _child("blank", str(blank), mode)
        print(f"{'case':52} {'time s':>8} {'py peak MB':>11} {'RSS +MB':>8}  outcome")
        for r in results:
            print(
                f"{r['case']:52} {r['seconds']:8.2f} {r['python_peak_mb'] or '—':>11} "
                f"{r['rss_growth_mb']:8.1f}  {r['outcome']}"
            )
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
