"""Import a 2,000-row task-decomposition table and render the full chain tree of a college with
50 units, 500 targets, 1,000 standards and 5,000 tasks.

    DATABASE_URL=postgres://.../zg_plans python bench/plans_chain.py   (creates test_<db>, drops it)
    python bench/plans_chain.py            (no DATABASE_URL: a throw-away PostgreSQL database,
                                            bench/_setup.py, as the other benchmarks use)
    python bench/plans_chain.py --sqlite   (SQLite in memory: query counts only, not timings)

The deadline restart compares one deadline_start per task with deadline_start_many over the same
tasks, in alternating rounds (each side restarts the same live deadlines).

Prints seconds and query counts for preview, confirm and the tree page, and the tree page at a
tenth of the size, so the ratio shows the page's query count does not grow with the tree. At full
size the tree page (the view through the test client, as the quality officer) is timed against
one raw SELECT of the rows it shows (plans, targets, standards, tasks with the columns on the
page: one cursor.execute + fetchall), in alternating rounds; target: page <= 3x the SELECT.

    python bench/plans_chain.py --tree     (the tree page against the raw SELECT only)
"""

import datetime
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
SQLITE = "--sqlite" in sys.argv
TREE_ONLY = "--tree" in sys.argv
ROUNDS = 3
TREE_ROUNDS = 7
THROWAWAY = not SQLITE and not os.environ.get("DATABASE_URL", "").startswith("postgres")
if SQLITE:
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
elif THROWAWAY:
    _setup.setup_database()  # created, migrated and dropped at exit by bench/_setup.py
else:
    import django

    django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from openpyxl import Workbook  # noqa: E402

UNITS = 50
TARGETS = 500
STANDARDS = 1000
TASKS = 5000
IMPORT_ROWS = 2000


def build_college():
    from accounts.models import Membership, OrgUnit, Role, User

    K = OrgUnit.Kind
    college = OrgUnit.objects.add_root(
        create_kwargs={"code": "college", "name": "示范职业技术学院", "kind": K.COLLEGE}
    )
    committee = OrgUnit.objects.add_child(
        college, create_kwargs={"code": "qac", "name": "质量保证委员会", "kind": K.COMMITTEE}
    )
    units = []
    for i in range(UNITS - 2):
        kind = K.OFFICE if i % 2 else K.DEPARTMENT
        parent = OrgUnit.objects.get(pk=college.pk)
        units.append(
            OrgUnit.objects.add_child(
                parent, create_kwargs={"code": f"u{i}", "name": f"单位{i:02d}", "kind": kind}
            )
        )
    # The quality office: the cases inbox in the page's header routes to it by this code.
    OrgUnit.objects.filter(pk=units[1].pk).update(code=settings.CASES_COLLEGE_BODY_CODE)
    officer = User.objects.create(username="zgb", full_name="质管办")
    Membership.objects.create(user=officer, org_unit=units[1], role=Role.QUALITY_OFFICER)
    chair = User.objects.create(username="chair", full_name="院长")
    Membership.objects.create(user=chair, org_unit=committee, role=Role.COMMITTEE_CHAIR)
    return college, units, officer, chair


def build_chain(college, units, officer, scale: float):
    """Plans, targets, standards and tasks in bulk (setup, not measured)."""
    from workflows.plans.models import Plan, Standard, Target, Task

    root = Plan.objects.create(
        title="发展规划纲要",
        kind="general",
        tier=1,
        level="school",
        owner_unit=college,
        start_year=2026,
        end_year=2030,
        state="in_force",
        version=1,
    )
    plans = Plan.objects.bulk_create(
        Plan(
            title=f"专项规划{i}",
            kind="special",
            tier=2,
            level="school",
            parent=root,
            owner_unit=units[i % len(units)],
            start_year=2026,
            end_year=2030,
        )
        for i in range(len(units))
    )
    n_targets, n_standards, n_tasks = (int(x * scale) for x in (TARGETS, STANDARDS, TASKS))
    targets = Target.objects.bulk_create(
        Target(
            title=f"目标{i}",
            level="school",
            category="school_scale",
            plan=plans[i % len(plans)],
            owner_unit=plans[i % len(plans)].owner_unit,
            indicator="在校生数",
            unit_of_measure="人",
        )
        for i in range(n_targets)
    )
    standards = Standard.objects.bulk_create(
        Standard(title=f"标准{i}", level="school", owner_unit=units[i % len(units)])
        for i in range(n_standards)
    )
    Standard.targets.through.objects.bulk_create(
        Standard.targets.through(standard_id=s.pk, target_id=targets[i % len(targets)].pk)
        for i, s in enumerate(standards)
    )
    tasks = Task.objects.bulk_create(
        Task(
            plan=plans[i % len(plans)],
            position=i,
            category="明确目标",
            title=f"任务{i}",
            deliverable="文本",
            lead_unit=units[i % len(units)],
            person=officer,
            deadline=datetime.date(2027, 6, 30),
            import_key=f"k{scale}-{i}",
        )
        for i in range(n_tasks)
    )
    Task.assisting_units.through.objects.bulk_create(
        Task.assisting_units.through(task_id=t.pk, orgunit_id=units[(i + 1) % len(units)].pk)
        for i, t in enumerate(tasks)
    )
    return root


def workbook(units, deadline="2026年12月") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["任务分解及具体进度安排表"])
    ws.append(["类别", "建设任务", "成果形式", "牵头\n部门", "协助\n部门", "完成时限", "备注"])
    for i in range(IMPORT_ROWS):
        ws.append(
            [
                f"类别{i // 20}" if i % 20 == 0 else None,
                f"导入任务{i}",
                f"成果{i}",
                units[i % len(units)].name,
                f"{units[(i + 1) % len(units)].name}\n二级单位",
                deadline,
                "",
            ]
        )
    for start in range(3, IMPORT_ROWS + 3, 20):
        ws.merge_cells(start_row=start, start_column=1, end_row=start + 19, end_column=1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# The rows and columns the tree page shows, in one statement: what the page costs at the least.
RAW_TREE = """
SELECT 'p', p.id, p.parent_id, p.title, p.tier::text, p.state, p.start_year || '-' || p.end_year,
       u.name, COALESCE(NULLIF(o.full_name, ''), o.username)
  FROM plans_plan p JOIN accounts_orgunit u ON u.id = p.owner_unit_id
  LEFT JOIN accounts_user o ON o.id = p.owner_user_id
UNION ALL
SELECT 't', t.id, t.plan_id, t.title, t.category, NULL, NULL, NULL, NULL FROM plans_target t
UNION ALL
SELECT 's', s.id, l.target_id, s.title, NULL, NULL, NULL, NULL, NULL
  FROM plans_standard s JOIN plans_standard_targets l ON l.standard_id = s.id
UNION ALL
SELECT 'k', k.id, k.plan_id, k.title, k.lead_unit_name, NULL, k.deadline::text, u.name,
       COALESCE(NULLIF(w.full_name, ''), w.username)
  FROM plans_task k LEFT JOIN accounts_orgunit u ON u.id = k.lead_unit_id
  LEFT JOIN accounts_user w ON w.id = k.person_id
 ORDER BY 1, 3, 2
"""


def raw_tree_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(RAW_TREE)
        return len(cursor.fetchall())


def measure(label, func):
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = func()
        seconds = time.perf_counter() - started
    print(f"  {label:<50} {seconds:>7.2f} s  {count[0]:>7,} queries")
    return result, seconds, count[0]


def main() -> None:
    setup_test_environment()
    if THROWAWAY:
        run()
        return
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    college, units, officer, _chair = build_college()
    vendor = connection.vendor
    print(f"plans chain benchmark on {vendor}")
    _setup.begin(
        "for the deadlines, one deadline_start per task over the same tasks (alternating "
        "rounds); for the tree page, one raw SELECT of the rows it shows (alternating rounds)"
    )
    if not TREE_ONLY:
        run_import(college, units, officer)
    run_tree(college, units, officer)


def run_import(college, units, officer) -> None:
    from workflows.plans import imports
    from workflows.plans.models import PendingImport, Plan, Task

    annual = Plan.objects.create(
        title="年度工作计划",
        kind="annual",
        tier=1,
        level="school",
        owner_unit=college,
        start_year=2026,
        end_year=2026,
    )
    data = workbook(units)
    upload = SimpleUploadedFile("table.xlsx", data)
    # Measured in the request (bench/plans_import.py compares with the background job).
    settings.IMPORT_INLINE_MAX_ROWS = IMPORT_ROWS + 10  # the title and header rows count too
    run, _s, _q = measure(
        f"import preview ({IMPORT_ROWS:,} rows)",
        lambda: imports.import_preview(actor=officer, plan=annual, upload=upload),
    )
    pending = PendingImport.objects.get(pk=run.result["pending"])
    from engine.models import Deadline

    # The deadlines start inside the confirm (deadline_start_many): one figure for both. Before
    # the bulk call they followed in a Celery task: 14,002 queries for 2,000 tasks on SQLite.
    measure(
        f"import confirm ({IMPORT_ROWS:,} rows, with deadlines)",
        lambda: imports.import_confirm(actor=officer, pending_id=pending.pk),
    )
    assert Deadline.objects.filter(kind="plan.task", status="open").count() == IMPORT_ROWS
    from workflows.plans.services import task_deadline_sync, tasks_deadline_sync

    imported = list(Task.objects.filter(plan=annual).select_related("lead_unit", "person"))

    def one_by_one():
        for task in imported:
            task_deadline_sync(task)

    rounds = _setup.alternate(
        {
            "one": lambda: measure(
                f"baseline: deadline_start per task ({len(imported):,}, the former path)",
                one_by_one,
            ),
            "bulk": lambda: measure(
                f"deadline_start_many for the same {len(imported):,} tasks",
                lambda: tasks_deadline_sync(imported),
            ),
        },
        ROUNDS,
    )
    one_s = _setup.median([seconds for _r, seconds, _q in rounds["one"]])
    bulk_s = _setup.median([seconds for _r, seconds, _q in rounds["bulk"]])
    one_q, bulk_q = rounds["one"][-1][2], rounds["bulk"][-1][2]
    print(
        f"  deadlines bulk/one-by-one: {bulk_q}/{one_q} queries; median time ratio "
        f"{bulk_s / one_s:.2f}x over {ROUNDS} alternating rounds"
    )
    upload = SimpleUploadedFile("table.xlsx", data)
    run = imports.import_preview(actor=officer, plan=annual, upload=upload)
    pending = PendingImport.objects.get(pk=run.result["pending"])
    measure(
        "re-import of the same file (nothing changes)",
        lambda: imports.import_confirm(actor=officer, pending_id=pending.pk),
    )
    upload = SimpleUploadedFile("table.xlsx", workbook(units, deadline="2026年11月"))
    run = imports.import_preview(actor=officer, plan=annual, upload=upload)
    pending = PendingImport.objects.get(pk=run.result["pending"])
    measure(
        "re-import with every deadline moved",
        lambda: imports.import_confirm(actor=officer, pending_id=pending.pk),
    )
    assert Task.objects.filter(plan=annual).count() == IMPORT_ROWS
    Task.objects.filter(plan=annual).delete()
    annual.delete()


def run_tree(college, units, officer) -> None:
    from workflows.plans.models import Plan, Task

    client = Client()
    client.force_login(officer)

    client.get("/plans/")  # the first request of the process fills its caches: not measured
    build_chain(college, units, officer, scale=0.1)
    _r, small_s, small_q = measure("tree page at 1/10 size", lambda: client.get("/plans/"))
    build_chain(college, units, officer, scale=0.9)
    counts = (Plan.objects.count(), Task.objects.count())
    response, big_s, big_q = measure(
        f"tree page ({counts[0]} plans, {counts[1]:,} tasks, full size)",
        lambda: client.get("/plans/"),
    )
    assert response.status_code == 200
    print(f"  tree queries full/tenth: {big_q}/{small_q}; time ratio {big_s / small_s:.1f}x")
    if SQLITE:
        return  # the raw SELECT is PostgreSQL's SQL; on SQLite only the counts above count
    rows = raw_tree_rows()
    rounds = _setup.alternate(
        {
            "page": lambda: measure(
                "tree page (test client, quality officer)", lambda: client.get("/plans/")
            ),
            "raw": lambda: measure(
                f"baseline: raw SELECT of the same {rows:,} rows", raw_tree_rows
            ),
        },
        TREE_ROUNDS,
    )
    page_s = _setup.median([seconds for _r, seconds, _q in rounds["page"]])
    raw_s = _setup.median([seconds for _r, seconds, _q in rounds["raw"]])
    print(
        f"  tree page/raw SELECT: median {page_s * 1000:.0f}/{raw_s * 1000:.1f} ms, ratio "
        f"{page_s / raw_s:.1f}x over {TREE_ROUNDS} alternating rounds (target <= 3x)"
    )


if __name__ == "__main__":
    main()
