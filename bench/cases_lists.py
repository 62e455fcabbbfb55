"""Case list and inbox (the cases' and 我的待办) server time with 100k cases and 2k users,
against a plain Django ListView over the same table, in the same run; and queries per page vs
page size and vs N.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<bench db> python bench/cases_lists.py [N]

Bulk-loads N cases (default 100,000) and 2,000 people into the demo college once (a throw-away
database), with the open CaseFlow task of every open case (the inbox lists those), then 8 client
processes request each page through Django's test client (server time, no network) and the
script prints p50/p95 per page and the ratio plain / ours (target >= 0.5). The plain side lists
the very rows the page lists for the same user; both sides are warmed alike and measured in
alternating rounds.
"""

import multiprocessing as mp
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _setup

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
from cases import selectors as case_selectors  # noqa: E402
from cases import views as case_views  # noqa: E402
from cases.models import Case, Category, Grade, Status  # noqa: E402
from engine import selectors as engine_selectors  # noqa: E402

CLIENTS = 8
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10"))  # per client per page and round
# only the pages whose label contains this (BENCH_PAGES="to-do": the one inbox alone)
ONLY = os.environ.get("BENCH_PAGES", "")
ROUNDS = 4  # the plain view and the page in turns, the order reversed every other round


class PlainCaseList(ListView):
    """The baseline: a plain ListView over the very rows the page lists for the same user (the
    same access filter, `selectors.case_list`), same template and page size, nothing else."""

    paginate_by = case_views.PAGE_SIZE
    template_name = "cases/case_list.html"

    def get_queryset(self):
        return case_selectors.case_list(self.request.user)

    def paginate_queryset(self, queryset, page_size):
        # as the page does (Paginator.get_page): a page past the end shows the last one
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(page=context["page_obj"], title="plain")
        return context


class PlainInbox(PlainCaseList):
    def get_queryset(self):
        return case_selectors.inbox_cases(self.request.user)


class PlainTodo(PlainCaseList):
    """我的待办's baseline: the same open tasks (the same filter: none, or the same process),
    the same page size, listed by the same template; no unit list, no filters form, no
    delegation notes, no side panel."""

    template_name = "engine/inbox.html"

    def get_paginate_by(self, queryset):
        return int(self.request.GET.get("per", 25))

    def get_queryset(self):
        return engine_selectors.inbox_filtered(
            self.request.user, process=self.request.GET.get("process", "")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = engine_selectors.task_rows(context["page"].object_list)
        return context


urlpatterns = [
    path("bench/plain/todo/", PlainTodo.as_view()),
    path("bench/plain/cases/", PlainCaseList.as_view()),
    path("bench/plain/inbox/", PlainInbox.as_view()),
    path("", include("config.urls")),
]


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
        load_supervisions(n_cases)
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
    load_supervisions(n_cases)


def load_supervisions(n_cases: int) -> None:
    """Open step-table tasks beside the cases' (我的待办 lists every process): a supervision
    request (督办) on every second open case, each waiting for its accepting body's leader seat
    (engine.step_rows.open_many, as imports open them), and every tenth of those claimed by a
    named leader (a task named to a person)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from cases.complaints.models import Supervision
    from cases.models import FINISHED
    from engine import step_rows

    if Supervision.objects.filter(request="bench").exists():
        return
    officer = User.objects.get(username="zgb")
    due = timezone.now() + timedelta(days=5)
    open_cases = (
        Case.objects.exclude(status__in=FINISHED)
        .order_by("pk")
        .values_list("pk", "accepting_unit_id")
    )
    rows = [
        Supervision(case_id=pk, unit_id=unit_id, issued_by=officer, request="bench", due_at=due)
        for i, (pk, unit_id) in enumerate(open_cases.iterator())
        if i % 2 == 0
    ]
    for start in range(0, len(rows), 5000):
        made = Supervision.objects.bulk_create(rows[start : start + 5000])
        step_rows.open_many(Supervision.objects.filter(pk__in=[s.pk for s in made]))
    leaders = {
        m.org_unit_id: m.user_id for m in Membership.objects.filter(role=Role.DEPARTMENT_LEADER)
    }
    seat_tasks = Task.objects.filter(
        flow_task_type="HUMAN", status=STATUS.NEW, owner_permission__startswith="role:"
    ).values_list("pk", "owner_permission_obj_pk")
    for pk, unit_pk in seat_tasks.iterator():
        if pk % 10 == 0 and unit_pk and int(unit_pk) in leaders:
            Task.objects.filter(pk=pk).update(
                owner_id=leaders[int(unit_pk)], status=STATUS.ASSIGNED
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


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


def hammer(username, url, requests, out):
    connections.close_all()
    times = []
    try:
        client = client_for(username)
        for i in range(requests):
            page = 1 + i % 3
            started = time.perf_counter()
            response = client.get(f"{url}{'&' if '?' in url else '?'}page={page}")
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
    finally:
        out.put(times)


def measure(username, url, requests=REQUESTS):
    """Server times of `requests` requests from each of CLIENTS processes at once."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    connections.close_all()
    procs = [
        ctx.Process(target=hammer, args=(username, url, requests, out)) for _ in range(CLIENTS)
    ]
    for p in procs:
        p.start()
    times = [t for _ in procs for t in out.get()]
    for p in procs:
        p.join()
    if len(times) < CLIENTS * requests:
        raise SystemExit(f"{url}: some requests failed (see the traceback above)")
    return times


def percentile(times, q):
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def queries(username, url, page_size):
    case_views.PAGE_SIZE = page_size
    if url.startswith("/inbox/"):
        url = f"/inbox/?per={page_size}"
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
    _setup.begin(
        "per role, a plain Django ListView over the same rows (the same access filter), same "
        "template and page size, measured in the same run in alternating rounds"
    )
    started = time.perf_counter()
    load(n)
    from viewflow.workflow.models import Task

    open_tasks = Task.objects.filter(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"])
    print(
        f"loaded: {Case.objects.count():,} cases, {User.objects.count():,} people, "
        f"{open_tasks.count():,} open tasks of {open_tasks.values('flow_task').distinct().count()} "
        f"steps ({open_tasks.filter(owner__isnull=False).count():,} named to a person) "
        f"({time.perf_counter() - started:.0f} s)"
    )
    settings.DEBUG = False
    student = Membership.objects.filter(role=Role.STUDENT, user__cases_reported__isnull=False)
    student = student.values_list("user__username", flat=True).first() or "student"
    # (label, user, the page, the plain ListView over the same rows)
    pages = [
        ("case list, quality office", "zgb", "/cases/", "/bench/plain/cases/"),
        ("case list, department leader", "xx_leader", "/cases/", "/bench/plain/cases/"),
        ("case list, student", student, "/cases/", "/bench/plain/cases/"),
        ("inbox, quality office", "zgb", "/cases/inbox/", "/bench/plain/inbox/"),
        ("inbox, department leader", "xx_leader", "/cases/inbox/", "/bench/plain/inbox/"),
        # 我的待办: every process's open tasks (engine.selectors.inbox_tasks), 25 and 100 rows
        ("my to-do, quality office", "zgb", "/inbox/", "/bench/plain/todo/"),
        ("my to-do, department leader", "xx_leader", "/inbox/", "/bench/plain/todo/"),
        ("my to-do 100 rows, q. office", "zgb", "/inbox/?per=100", "/bench/plain/todo/?per=100"),
        (
            "my to-do 100 rows, dep. leader",
            "xx_leader",
            "/inbox/?per=100",
            "/bench/plain/todo/?per=100",
        ),
    ]
    pages = [p for p in pages if ONLY in p[0]]
    print(
        f"server time, {CLIENTS} concurrent clients, {ROUNDS} alternating rounds of {REQUESTS} "
        f"requests each per side, page size {case_views.PAGE_SIZE}"
    )
    for label, user, url, plain_url in pages:
        for warm in (plain_url, url):  # both sides equally warm before anything is timed
            measure(user, warm, requests=2)
        rounds = _setup.alternate(
            {
                "plain": lambda who=user, u=plain_url: measure(who, u),
                "ours": lambda who=user, u=url: measure(who, u),
            },
            ROUNDS,
        )
        plain = [t for r in rounds["plain"] for t in r]
        ours = [t for r in rounds["ours"] for t in r]
        print(
            f"  {label:<30} plain p50 {percentile(plain, 0.5):6.1f} p95 "
            f"{percentile(plain, 0.95):6.1f} ms | page p50 {percentile(ours, 0.5):6.1f} p95 "
            f"{percentile(ours, 0.95):6.1f} ms | ratio plain/page "
            f"{percentile(plain, 0.5) / percentile(ours, 0.5):4.2f} (target >= 0.5)"
        )
    print("queries per page (page size 25 / 100):")
    for label, user, url, _plain in pages:
        if "?" in url:
            continue  # the same page as its 25-row line
        print(f"  {label:<32} {queries(user, url, 25):3d} / {queries(user, url, 100):3d}")


if __name__ == "__main__":
    main()
