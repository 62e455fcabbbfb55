"""A state-data table through its import profile vs the plain readings import (PostgreSQL).
Prints figures; never a test.

    .venv/bin/python bench/statedata_import.py [--rows 200000] [--format csv|xlsx] [--rounds 1]

The same readings (N rows: students × weeks of 学生出勤率, as a platform export gives them: one
row per student and week, the student number, the week, the rate) go in three ways, each in a
fresh child process on an empty readings table, sides in turns:

- profile: the table as the platform exports it, through the shipped-style profile: the preview
  pass (checks every row, writes nothing), then the confirmed import (writes the readings);
- plain: the same rows in the readings import's own columns (指标代码/对象/期间/数值), through
  monitoring.imports — the baseline;
- profile again: the same table a second time (every reading unchanged: nothing written).

Each child prints its wall time and the growth of its peak RSS (bounded memory: it must not
grow with N). Database: $BENCH_DB (default zg_statedata_bench), created and dropped here;
Celery runs eagerly (the background job runs in the child, measured with it).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import _setup  # noqa: E402

os.environ["BENCH_DB"] = os.environ.get("BENCH_DB", "zg_statedata_bench")
_setup.NAME = os.environ["BENCH_DB"]
os.environ["REDIS_URL"] = ""  # eager Celery: the job runs in the child, measured with it
WEEKS = 10


def _rss_mb() -> float:
    """This process's peak RSS. Not getrusage's ru_maxrss: Linux keeps that across exec, so a
    child reported the parent's peak (the one that wrote the files) and a growth of 0."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _django():
    os.environ["DATABASE_URL"] = f"{_setup.SERVER}/{_setup.NAME}"
    os.environ["REDIS_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- parent: the college, the students, the two files ----------------------------------------


def prepare(rows: int, fmt: str, tmp: Path) -> dict:
    _setup.setup_database()
    from django.conf import settings
    from django.core.management import call_command

    call_command("createcachetable")  # progress notes go to the cache (the database's here)
    from django.db import connection

    from accounts.models import Membership, OrgUnit, Role, User
    from workflows.monitoring.models import Indicator
    from workflows.statedata.models import Profile, ProfileColumn, SubjectKey

    settings.MEDIA_ROOT = str(tmp / "media")
    root = OrgUnit.objects.add_root(
        create_kwargs={"code": "college", "name": "示范学院", "kind": "college"}
    )
    dept = OrgUnit.objects.add_child(
        root, create_kwargs={"code": "xx", "name": "信息工程系", "kind": "department"}
    )
    major = OrgUnit.objects.add_child(
        dept, create_kwargs={"code": "rj", "name": "软件技术", "kind": "major"}
    )
    students = rows // WEEKS
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
              email, is_staff, is_active, date_joined, full_name, staff_no, phone)
            SELECT '!', false, 'u' || g, '', '', '', false, true, now(), '学生' || g,
              'S' || lpad(g::text, 8, '0'), ''
            FROM generate_series(1, %s) g
            """,
            [students],
        )
        cur.execute(
            "INSERT INTO monitoring_subject (level, subject_user_id, responsible_unit_id, name) "
            "SELECT 'student', id, %s, full_name FROM accounts_user WHERE username LIKE 'u%%'",
            [major.pk],
        )
    indicator = Indicator.objects.create(
        code="P01",
        name="学生出勤率",
        level="student",
        direction="higher",
        period_kind="week",
        min_value=0,
        max_value=100,
        yellow_threshold=95,
        red_threshold=90,
        data_owner_unit=dept,
    )
    clerk = User.objects.create(username="clerk", full_name="数据员")
    Membership.objects.create(user=clerk, org_unit=dept, role=Role.DEPARTMENT_MEMBER)
    profile = Profile.objects.create(
        code="kq",
        name="学生考勤情况",
        subject_key=SubjectKey.STUDENT,
        subject_column="学号",
        period_column="周次",
        header_row=1,
    )
    ProfileColumn.objects.create(profile=profile, header="出勤率（%）", indicator=indicator)

    def table():
        for k in range(rows):
            s, w = k % students + 1, k // students + 1
            yield f"S{s:08d}", f"学生{s}", f"2026-W{w:02d}", 88 + k % 12

    platform = tmp / f"platform.{fmt}"
    plain = tmp / f"plain.{fmt}"
    _write(platform, ["学号", "姓名", "周次", "出勤率（%）"], table(), fmt)
    _write(
        plain,
        ["指标代码", "对象", "期间", "数值"],
        (("P01", number, week, value) for number, _n, week, value in table()),
        fmt,
    )
    from django.db import connections

    connections.close_all()
    return {"platform": str(platform), "plain": str(plain), "media": settings.MEDIA_ROOT}


def _write(path: Path, header, rows, fmt: str) -> None:
    if fmt == "csv":
        import csv

        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    book.save(path)


# --- child: one side -------------------------------------------------------------------------


def _empty_readings() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE monitoring_reading, viewflow_task, viewflow_process CASCADE")


def child(side: str, files: dict) -> dict:
    _django()
    from django.conf import settings

    # as in production: with DEBUG the connection keeps the text of its last 9,000 statements
    # (each chunk's 2,000-row INSERTs among them), a growth with the table that is not the import's
    settings.DEBUG = False
    from django.core.files import File

    from accounts.models import User
    from workflows.monitoring import imports
    from workflows.statedata import services
    from workflows.statedata.models import Profile

    settings.MEDIA_ROOT = files["media"]
    clerk = User.objects.get(username="clerk")
    if side != "profile again":
        _empty_readings()
    rss_before = _rss_mb()
    started = time.perf_counter()
    if side == "plain":
        with open(files["plain"], "rb") as handle:
            run = imports.import_readings(
                actor=clerk,
                upload=File(handle, name=Path(files["plain"]).name),
                keep_good_rows=False,
            )
        run.refresh_from_db()
        outcome = f"{run.status}: {run.total:,} rows, {run.created:,} written"
        preview_s = None
    else:
        profile = Profile.objects.get(code="kq")
        with open(files["platform"], "rb") as handle:
            upload = services.upload_preview(
                actor=clerk, profile=profile, file=File(handle, name=Path(files["platform"]).name)
            )
        upload.refresh_from_db()
        preview_s = time.perf_counter() - started
        preview = upload.preview_run
        if preview.status != "done":
            raise SystemExit(f"preview {preview.status}: {preview.message}")
        run = services.upload_confirm(actor=clerk, upload=upload)
        run.refresh_from_db()
        outcome = (
            f"{run.status}: {preview.total:,} rows, preview {preview.result.get('new', 0):,} new "
            f"/ {preview.unchanged:,} unchanged, {run.created:,} written {run.message[:60]}"
        )
    elapsed = time.perf_counter() - started
    return {
        "side": side,
        "seconds": round(elapsed, 1),
        "preview_seconds": None if preview_s is None else round(preview_s, 1),
        "rss_growth_mb": round(_rss_mb() - rss_before, 1),
        "rss_max_mb": round(_rss_mb()),
        "outcome": outcome,
    }


def _spawn(side: str, files: dict) -> dict:
    out = subprocess.run(  # noqa: S603 - this script, its own arguments
        [sys.executable, __file__, "--child", side, "--files", json.dumps(files)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child")
    parser.add_argument("--files")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, json.loads(args.files))))
        return
    _setup.begin(
        "the plain readings import (monitoring.imports) of the same readings, same process "
        "kind, same database, sides in turns"
    )
    tmp = Path(tempfile.mkdtemp())
    started = time.perf_counter()
    files = prepare(args.rows, args.format, tmp)
    print(f"{args.rows:,} rows (.{args.format}) prepared in {time.perf_counter() - started:.0f}s")
    results = _setup.alternate(
        {side: (lambda s=side: _spawn(s, files)) for side in ("profile", "plain")},
        args.rounds,
    )
    results["profile again"] = [_spawn("profile again", files)]
    for side, measures in results.items():
        for m in measures:
            preview = f" (preview {m['preview_seconds']}s)" if m["preview_seconds"] else ""
            print(
                f"{side:14} {m['seconds']:7.1f}s{preview}  {args.rows / m['seconds']:9,.0f} rows/s"
                f"  peak RSS {m['rss_max_mb']} MB (growth {m['rss_growth_mb']:.1f})  {m['outcome']}"
            )
    profile = _setup.median([m["seconds"] for m in results["profile"]])
    plain = _setup.median([m["seconds"] for m in results["plain"]])
    print(f"ratio profile (preview + import) / plain import: {profile / plain:.2f}x")


if __name__ == "__main__":
    main()
