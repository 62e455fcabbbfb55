"""Survey benchmarks (PostgreSQL). Prints figures and ratios; never a test.

    .venv/bin/python bench/surveys_bench.py [--students 20000] [--sections-each 6]
        [--store 2000] [--clients 32] [--page-answers 640] [--aggregate 120000] [--rounds 4]

A 评教 week: N students in classes of 40, each class taking `sections-each` course sections.
1. store: answers stored per second through `response_submit` (lock, spend the eligibility,
   insert the response and its answers, one transaction each) against a raw INSERT of the same
   rows (one transaction each, no checks). Target ≥ 0.3×.
2. page: the answer page under `clients` concurrent clients, each a thread with its own HTTP
   connection and session, against gunicorn (4 worker processes × 8 threads, gthread) on this
   machine (DEBUG=1: no collected static files here); GET the page, POST the answers;
   p50/p95 of both, beside /healthz under the same concurrency (the floor of a request here).
3. aggregate: `aggregate` (results per group, subjects, readings, approval steps) over
   `aggregate` responses, against a raw GROUP BY of the same answers; each in a rolled-back
   transaction; Python peak (tracemalloc) and RSS growth. Target ≤ 2×, memory flat.
Sides alternate (bench/_setup.py). Database: $BENCH_DB (default zg_surveys_bench), dropped at end.
"""

import argparse
import datetime
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DB", "zg_surveys_bench")
# the gunicorn workers and this process must sign sessions alike
os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex * 2)
import _setup

CLASS_SIZE = 40
COURSES = 60
TEACHERS = 200


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(students: int, sections_each: int):
    """The college, the term, the indicators, the questionnaire, students, sections, enrolments
    (COPY), and one open 评教 survey."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.models import Membership, OrgUnit, Role, User
    from workflows.levels import Level
    from workflows.monitoring.models import Indicator, Period, PeriodKind
    from workflows.surveys import catalogue, services
    from workflows.surveys.models import CourseSection, Questionnaire

    root = OrgUnit.objects.add_root(
        create_kwargs={"code": "college", "name": "示范学院", "kind": "college"}
    )
    zgb = root.add_child(code="zgb", name="质量管理办公室", kind="office")
    dept = root.add_child(code="xx", name="信息工程系", kind="department")
    major = dept.add_child(code="rj", name="软件技术", kind="major")
    courses = [
        major.add_child(code=f"rj-c{i:02d}", name=f"课程{i:02d}", kind="course")
        for i in range(COURSES)
    ]
    term = Period.objects.create(
        code="2026-1",
        name="2026-2027学年第1学期",
        kind=PeriodKind.TERM,
        start=datetime.date(2026, 9, 1),
        end=datetime.date(2027, 1, 17),
        is_open=True,
    )
    for code, name, level in (
        ("C02", "课堂教学满意度", Level.COURSE),
        ("T02", "教学得分", Level.TEACHER),
    ):
        Indicator.objects.create(
            code=code, name=name, level=level, unit_of_measure="%", direction="higher",
            period_kind=PeriodKind.TERM, min_value=0, max_value=100, target_value=90,
            yellow_threshold=85, red_threshold=75, data_owner_unit=dept,
        )  # fmt: skip
    catalogue.load()
    officer = User.objects.create(username="zgb", full_name="张敏")
    Membership.objects.create(user=officer, org_unit=zgb, role=Role.QUALITY_OFFICER)
    password = make_password("bench-pass")
    teachers = User.objects.bulk_create(
        [
            User(username=f"t{i:04d}", full_name=f"教师{i}", password=password)
            for i in range(TEACHERS)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(user=t, org_unit=major, role=Role.TEACHER) for t in teachers]
    )
    with (
        connection.cursor() as cur,
        cur.copy(
            "COPY accounts_user (username, full_name, password, is_active, is_staff, is_superuser,"
            " first_name, last_name, email, date_joined, staff_no, phone) FROM STDIN"
        ) as copy,
    ):
        now = datetime.datetime.now(datetime.UTC)
        for i in range(students):
            copy.write_row(
                (f"s{i:06d}", f"学生{i}", password, True, False, False, "", "", "", now, "", "")
            )
    ids = list(
        User.objects.filter(username__startswith="s")
        .order_by("username")
        .values_list("pk", flat=True)
    )
    with (
        connection.cursor() as cur,
        cur.copy(
            "COPY accounts_membership (user_id, org_unit_id, role, created_at) FROM STDIN"
        ) as copy,
    ):
        for pk in ids:
            copy.write_row((pk, major.pk, Role.STUDENT, now))
    sections = []
    classes = [ids[i : i + CLASS_SIZE] for i in range(0, len(ids), CLASS_SIZE)]
    for c in range(len(classes)):
        for k in range(sections_each):
            sections.append(
                CourseSection(
                    course=courses[(c + k) % COURSES], period=term, code=f"{c:04d}-{k}",
                    name=f"{c:04d}班", teacher=teachers[(c * sections_each + k) % TEACHERS],
                )
            )  # fmt: skip
    sections = CourseSection.objects.bulk_create(sections, batch_size=2000)
    with (
        connection.cursor() as cur,
        cur.copy("COPY surveys_enrolment (section_id, student_id) FROM STDIN") as copy,
    ):
        for s_index, section in enumerate(sections):
            for pk in classes[s_index // sections_each]:
                copy.write_row((section.pk, pk))
    started = time.perf_counter()
    survey = services.survey_create(
        actor=officer, questionnaire=Questionnaire.objects.get(code="pj-ketang"), title="评教",
        period=term, audience="sections", unit=major,
        closes_on=datetime.date.today() + datetime.timedelta(days=7), grades_date=term.end,
    )  # fmt: skip
    services.survey_open(actor=officer, survey=survey)
    print(
        f"distributed {survey.groups.count():,} sections, "
        f"{sum(survey.groups.values_list('eligible', flat=True)):,} eligibilities "
        f"in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    connection.cursor().execute("VACUUM ANALYZE")
    return officer, survey


def _rows(questions, i):
    from workflows.surveys.models import QuestionKind

    rows = []
    for q in questions:
        if q.kind in (QuestionKind.LIKERT, QuestionKind.SINGLE):
            rows.append((q.pk, 1 + (i + q.pk) % q.points, ""))
        elif q.kind == QuestionKind.MULTIPLE:
            rows.extend([(q.pk, 1, ""), (q.pk, 2, "")])
        elif i % 4 == 0:
            rows.append((q.pk, None, "希望多一些上机练习"))
    return rows


def bench_store(survey, n: int, rounds: int) -> None:
    """response_submit against a raw INSERT of the same rows, one transaction per answer sheet."""
    from django.db import connection, transaction

    from workflows.surveys import services
    from workflows.surveys.models import Eligibility, Group
    from workflows.surveys.selectors import questions_of

    questions = questions_of(survey)
    per_round = max(1, n // rounds)
    todo = list(
        Eligibility.objects.filter(group__survey=survey)
        .order_by("?")
        .values_list("group_id", "user_id")[: per_round * rounds]
    )
    groups = {
        g.pk: g for g in Group.objects.filter(survey=survey).select_related("survey", "section")
    }
    from accounts.models import User

    users = User.objects.in_bulk({u for _g, u in todo})
    batches = [todo[i * per_round : (i + 1) * per_round] for i in range(rounds)]
    state = {"service": 0, "raw": 0}

    def service():
        batch = batches[state["service"]]
        state["service"] += 1
        start = time.perf_counter()
        for i, (g, u) in enumerate(batch):
            services.response_submit(user=users[u], group=groups[g], rows=_rows(questions, i))
        return len(batch) / (time.perf_counter() - start)

    def raw():
        batch = batches[state["raw"]]
        state["raw"] += 1
        start = time.perf_counter()
        for i, (g, _u) in enumerate(batch):
            rows = _rows(questions, i)
            rid = uuid.uuid4()
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("INSERT INTO surveys_response (id, group_id) VALUES (%s, %s)", [rid, g])
                values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
                params = [x for q, v, t in rows for x in (uuid.uuid4(), rid, q, v, t)]
                cur.execute(
                    "INSERT INTO surveys_answer (id, response_id, question_id, value, text) "
                    f"VALUES {values}",
                    params,
                )
        return len(batch) / (time.perf_counter() - start)

    results = _setup.alternate({"service": service, "raw": raw}, rounds)
    s, r = statistics.median(results["service"]), statistics.median(results["raw"])
    print(
        f"store: response_submit {s:,.0f} sheets/s, raw INSERT {r:,.0f} sheets/s, "
        f"ratio {s / r:.2f}× (target ≥ 0.3×); rounds {[round(x) for x in results['service']]} vs "
        f"{[round(x) for x in results['raw']]}",
        flush=True,
    )


def bench_page(survey, clients: int, answers: int) -> None:
    """The answer page under concurrent clients against gunicorn, beside /healthz."""
    import http.client

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import reverse

    from accounts.models import User
    from workflows.surveys.models import Eligibility
    from workflows.surveys.selectors import questions_of

    questions = questions_of(survey)
    picks = list(
        Eligibility.objects.filter(group__survey=survey)
        .order_by("?")
        .values_list("group_id", "user_id")[:answers]
    )
    users = User.objects.in_bulk({u for _g, u in picks})
    cookies = {}
    for _g, u in picks:
        if u in cookies:
            continue
        store = SessionStore()
        store[SESSION_KEY] = str(u)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = users[u].get_session_auth_hash()
        store.create()
        cookies[u] = store.session_key
    port = 8790
    env = {**os.environ, "DEBUG": "1", "ALLOWED_HOSTS": "*", "SECURE_SSL_REDIRECT": "0",
           "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0"}  # fmt: skip
    server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "4",
         "--threads", "8", "-k", "gthread", "--log-level", "warning"],
        cwd=str(_setup.ROOT), env=env,
    )  # fmt: skip
    try:
        for _i in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        token_re = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
        lock = threading.Lock()
        queue = list(picks)
        timings = {"get": [], "post": [], "health": []}
        errors = []

        def answer_worker():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while True:
                with lock:
                    if not queue:
                        return
                    g, u = queue.pop()
                cookie = f"{settings.SESSION_COOKIE_NAME}={cookies[u]}"
                url = reverse("surveys:answer", args=[g])
                t = time.perf_counter()
                conn.request("GET", url, headers={"Cookie": cookie, "Host": "localhost"})
                resp = conn.getresponse()
                body = resp.read().decode()
                timings["get"].append(time.perf_counter() - t)
                match = token_re.search(body)
                csrf = resp.getheader("Set-Cookie", "")
                csrf_cookie = re.search(r"csrftoken=([^;]+)", csrf)
                if resp.status != 200 or not match or not csrf_cookie:
                    errors.append((resp.status, resp.getheader("Location", "")[:40]))
                    continue
                from urllib.parse import urlencode

                data = [("csrfmiddlewaretoken", match.group(1))]
                for q, v, text in _rows(questions, u):
                    data.append((f"q{q}", text if v is None else str(v)))
                t = time.perf_counter()
                conn.request(
                    "POST", url, body=urlencode(data),
                    headers={"Cookie": f"{cookie}; csrftoken={csrf_cookie.group(1)}",
                             "Content-Type": "application/x-www-form-urlencoded",
                             "Host": "localhost", "Referer": f"http://localhost{url}"},
                )  # fmt: skip
                resp = conn.getresponse()
                resp.read()
                timings["post"].append(time.perf_counter() - t)
                if resp.status != 302:
                    errors.append((resp.status, ""))

        def health_worker(n):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _i in range(n):
                t = time.perf_counter()
                conn.request("GET", "/healthz", headers={"Host": "localhost"})
                conn.getresponse().read()
                timings["health"].append(time.perf_counter() - t)

        def run(target, *args):
            threads = [threading.Thread(target=target, args=args) for _i in range(clients)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return time.perf_counter() - start

        floor = run(health_worker, max(1, answers // clients))
        wall = run(answer_worker)

        def p(values, q):
            return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 2 else 0

        print(
            f"page ({clients} clients, gunicorn 4×8 gthread): {len(timings['post'])} sheets in "
            f"{wall:.1f}s ({len(timings['post']) / wall:.0f}/s); "
            f"GET p50 {p(timings['get'], 50):.0f} ms "
            f"p95 {p(timings['get'], 95):.0f} ms; POST p50 {p(timings['post'], 50):.0f} ms "
            f"p95 {p(timings['post'], 95):.0f} ms; /healthz p95 {p(timings['health'], 95):.0f} ms "
            f"(floor, {floor:.1f}s); errors {len(errors)} {sorted(set(errors))}",
            flush=True,
        )
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def fill(survey, n: int) -> int:
    """n answered sheets for the aggregation, written with COPY (every group gets its share)."""
    from django.db import connection

    from workflows.surveys.models import Group
    from workflows.surveys.selectors import questions_of

    questions = questions_of(survey)
    groups = list(Group.objects.filter(survey=survey).values_list("pk", flat=True))
    answers = 0
    with connection.cursor() as cur:
        with cur.copy("COPY surveys_response (id, group_id) FROM STDIN") as copy:
            ids = []
            for i in range(n):
                rid = uuid.uuid4()
                ids.append((rid, i))
                copy.write_row((rid, groups[i % len(groups)]))
        with cur.copy(
            "COPY surveys_answer (id, response_id, question_id, value, text) FROM STDIN"
        ) as copy:
            for rid, i in ids:
                for q, v, t in _rows(questions, i):
                    copy.write_row((uuid.uuid4(), rid, q, v, t))
                    answers += 1
        cur.execute("VACUUM ANALYZE surveys_response")
        cur.execute("VACUUM ANALYZE surveys_answer")
    return answers


def bench_aggregate(officer, survey, rounds: int) -> None:
    from django.db import connection, transaction

    from workflows.surveys import services
    from workflows.surveys.models import Response

    responses = Response.objects.filter(group__survey=survey).count()
    peaks = []

    def ours(trace=False):
        if trace:
            tracemalloc.start()
        rss = rss_mb()
        start = time.perf_counter()
        with transaction.atomic():
            written = services.aggregate(survey, actor=officer)
            transaction.set_rollback(True)
        took = time.perf_counter() - start
        if trace:
            peaks.append((tracemalloc.get_traced_memory()[1] / 1e6, rss_mb() - rss, written))
            tracemalloc.stop()
        return took

    def raw():
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "SELECT r.group_id, a.question_id, COUNT(*), AVG(a.value * 1.0), "
                "SUM(CASE WHEN a.value >= q.points - 1 THEN 1 ELSE 0 END) "
                "FROM surveys_answer a JOIN surveys_response r ON r.id = a.response_id "
                "JOIN surveys_group g ON g.id = r.group_id "
                "JOIN surveys_question q ON q.id = a.question_id "
                "WHERE g.survey_id = %s AND a.value IS NOT NULL GROUP BY r.group_id, a.question_id",
                [survey.pk],
            )
            cur.fetchall()
        return time.perf_counter() - start

    results = _setup.alternate({"aggregate": ours, "raw": raw}, rounds)
    ours(trace=True)  # memory measured apart: tracing slows Python down
    a, r = statistics.median(results["aggregate"]), statistics.median(results["raw"])
    print(
        f"aggregate {responses:,} responses: aggregate() {a:.2f}s, raw GROUP BY {r:.2f}s, ratio "
        f"{a / r:.2f}× (target ≤ 2×); rounds {[round(x, 2) for x in results['aggregate']]} vs "
        f"{[round(x, 2) for x in results['raw']]}; readings {peaks[0][2]}; Python peak "
        f"{peaks[0][0]:.1f} MB, RSS growth {peaks[0][1]:.1f} MB",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--sections-each", type=int, default=6)
    parser.add_argument("--store", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--page-answers", type=int, default=640)
    parser.add_argument("--aggregate", type=int, default=120_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--only", choices=["store", "page", "aggregate"])
    args = parser.parse_args()
    _setup.setup_database()
    _setup.begin(
        "store: raw INSERT of the same response and answer rows; page: /healthz under the same "
        "clients; aggregate: a raw GROUP BY of the same answers"
    )
    started = time.perf_counter()
    officer, survey = build(args.students, args.sections_each)
    print(f"built in {time.perf_counter() - started:.0f}s", flush=True)
    if args.only in (None, "store"):
        bench_store(survey, args.store, args.rounds)
    if args.only in (None, "page"):
        bench_page(survey, args.clients, args.page_answers)
    if args.only in (None, "aggregate"):
        from workflows.surveys.models import Response

        have = Response.objects.filter(group__survey=survey).count()
        started = time.perf_counter()
        answers = fill(survey, max(0, args.aggregate - have))
        print(
            f"filled to {args.aggregate:,} responses (+{answers:,} answers) "
            f"in {time.perf_counter() - started:.0f}s",
            flush=True,
        )
        bench_aggregate(officer, survey, args.rounds)
    print(f"process max RSS {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
