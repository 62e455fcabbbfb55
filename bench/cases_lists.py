"""Case list and inbox (the cases' and 我的待办) server time with 100k cases and 2k users,
against a plain Django ListView over the same table, in the same run; and queries per page vs
page size and vs N.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<bench db> python bench/cases_lists.py [N]

Bulk-loads N cases (default 100,000) and 2,000 people into the demo college once (a throw-away
database), with the open CaseFlow task of every open case (the inbox lists those), then 8 client
processes request each page through Django's test client (server time, no network) and the
script prints p50/p95 per page and the ratio plain / ours (target >= 0.5).
"""

import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.generic import ListView  # noqa: E402

from accounts.models import Membership, OrgUnit, Role, User  # noqa: E402
from cases import views as case_views  # noqa: E402
from cases.models import Case, Category, Grade, Status  # noqa: E402

CLIENTS = 8
REQUESTS = 40  # per client per page


class PlainCaseList(ListView):
    """The baseline: every case, no access filter, same template and page size."""

    model = Case
    paginate_by = case_views.PAGE_SIZE
    template_name = "cases/case_list.html"
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "subject_unit", "accepting_unit", "responsible_unit", "category__parent", "grade"
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(page=context["page_obj"], title="plain")
        return context


urlpatterns = [path("bench/plain/", PlainCaseList.as_view()), path("", include("config.urls"))]


def load(n_cases: int, n_people: int = 2000) -> None:
    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="zgb").exists():
        call_command("seed_demo", verbosity=0)
    have = Case.objects.count()
    teaching = list(OrgUnit.objects.filter(kind__in=["major", "course"], code__regex=r"^[a-z]"))
    offices = list(OrgUnit.objects.filter(kind="office"))
    if User.objects.filter(username__startswith="bench-").count() < n_people:
        people = User.objects.bulk_create(
            [User(username=f"bench-{i:05d}", full_name=f"测试{i}") for i in range(n_people)],
            ignore_conflicts=True,
        )
        people = list(User.objects.filter(username__startswith="bench-"))
        Membership.objects.bulk_create(
            [
                Membership(
                    user=u,
                    org_unit=random.choice(teaching),
                    role=Role.STUDENT if i % 5 else Role.TEACHER,
                )
                for i, u in enumerate(people)
            ],
            ignore_conflicts=True,
        )
    if have >= n_cases:
        load_processes()
        return
    people = list(User.objects.filter(username__startswith="bench-").only("pk"))
    zgb = OrgUnit.objects.get(code="zgb")
    categories = list(Category.objects.filter(parent__isnull=False))
    grades = list(Grade.objects.all())
    statuses = [s for s in Status.values]
    now = timezone.now()
    rng = random.Random(7)
    batch = []
    for i in range(have, n_cases):
        office = rng.random() < 0.2
        unit = rng.choice(offices if office else teaching)
        status = rng.choice(statuses)
        classified = status not in ("submitted", "withdrawn", "refused", "accepted")
        batch.append(
            Case(
                number=f"ZL-BENCH-{i:07d}",
                kind=rng.choice(["complaint", "report"]),
                title=f"测试案件{i}",
                description="bench",
                subject_unit=unit,
                accepting_unit=zgb if office else unit.department(),
                responsible_unit=unit if classified else None,
                reporter=rng.choice(people),
                status=status,
                category=rng.choice(categories) if classified else None,
                grade=rng.choice(grades) if classified else None,
                created_at=now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60)),
            )
        )
        if len(batch) == 5000:
            Case.objects.bulk_create(batch)
            batch = []
    if batch:
        Case.objects.bulk_create(batch)
    load_processes()


def load_processes() -> None:
    """Every open case waits in its CaseFlow process on the task of its state (what the inbox
    reads), loaded in one statement: a process, its case link and one open task per case."""
    from viewflow.workflow.fields import get_flow_ref, get_task_ref

    from cases.flows import _STATE_NODE, CaseFlow
    from cases.models import FINISHED

    nodes = {**_STATE_NODE, Status.INVESTIGATING: "findings", Status.RECTIFYING: "rectify"}
    when = " ".join(
        f"WHEN '{state}' THEN '{get_task_ref(getattr(CaseFlow, node))}'"
        for state, node in nodes.items()
    )
    finished = ", ".join(f"'{state}'" for state in FINISHED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH todo AS (
                SELECT c.id, c.status FROM cases_case c
                WHERE c.status NOT IN ({finished})
                AND NOT EXISTS (SELECT 1 FROM cases_caseprocess cp WHERE cp.case_id = c.id)
            ), p AS (
                INSERT INTO viewflow_process (flow_class, status, created, data)
                SELECT %s, 'NEW', now(), jsonb_build_object('case', id, 'status', status)
                FROM todo RETURNING id, data
            ), cp AS (
                INSERT INTO cases_caseprocess (process_ptr_id, case_id)
                SELECT id, (data->>'case')::bigint FROM p RETURNING process_ptr_id
            )
            INSERT INTO viewflow_task (flow_task, flow_task_type, status, created, token, data,
                process_id)
            SELECT CASE data->>'status' {when} END, 'HUMAN', 'NEW', now(), 'start', '{{}}', id
            FROM p
            """,
            [get_flow_ref(CaseFlow)],
        )
        cursor.execute("ANALYZE")


def client_for(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def hammer(username, url, out):
    connections.close_all()
    times = []
    try:
        client = client_for(username)
        for i in range(REQUESTS):
            page = 1 + i % 3
            started = time.perf_counter()
            response = client.get(f"{url}?page={page}")
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
    finally:
        out.put(times)


def measure(username, url):
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    connections.close_all()
    procs = [ctx.Process(target=hammer, args=(username, url, out)) for _ in range(CLIENTS)]
    for p in procs:
        p.start()
    times = [t for _ in procs for t in out.get()]
    for p in procs:
        p.join()
    if len(times) < CLIENTS * REQUESTS:
        raise SystemExit(f"{url}: some requests failed (see the traceback above)")
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000


def queries(username, url, page_size):
    case_views.PAGE_SIZE = page_size
    if url == "/inbox/":
        url = f"{url}?per={page_size}"
    client = client_for(username)
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    case_views.PAGE_SIZE = PlainCaseList.paginate_by
    return len(captured)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        sys.exit("run this on PostgreSQL (DATABASE_URL=postgres://...)")
    settings.ROOT_URLCONF = __name__
    started = time.perf_counter()
    load(n)
    print(
        f"loaded: {Case.objects.count():,} cases, {User.objects.count():,} people "
        f"({time.perf_counter() - started:.0f} s)"
    )
    settings.DEBUG = False
    student = Membership.objects.filter(role=Role.STUDENT, user__cases_reported__isnull=False)
    student = student.values_list("user__username", flat=True).first() or "student"
    pages = [
        ("plain ListView (all cases)", "zgb", "/bench/plain/"),
        ("case list, quality office", "zgb", "/cases/"),
        ("case list, department leader", "xx_leader", "/cases/"),
        ("case list, student", student, "/cases/"),
        ("inbox, quality office", "zgb", "/cases/inbox/"),
        ("inbox, department leader", "xx_leader", "/cases/inbox/"),
        # 我的待办: every process's open tasks (engine.selectors.inbox_tasks)
        ("my to-do, quality office", "zgb", "/inbox/"),
        ("my to-do, department leader", "xx_leader", "/inbox/"),
    ]
    print(
        f"server time, {CLIENTS} concurrent clients x {REQUESTS} requests, page size "
        f"{case_views.PAGE_SIZE}"
    )
    results = {}
    for label, user, url in pages:
        p50, p95 = measure(user, url)
        results[label] = p50
        print(f"  {label:<32} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    plain = results["plain ListView (all cases)"]
    for label in list(results)[1:]:
        print(f"  ratio plain / {label:<24} {plain / results[label]:5.2f}  (target >= 0.5)")
    print("queries per page (page size 25 / 100):")
    for label, user, url in pages[1:]:
        print(f"  {label:<32} {queries(user, url, 25):3d} / {queries(user, url, 100):3d}")


if __name__ == "__main__":
    main()
