"""Two nodes on one PostgreSQL and one Redis, while a 60-second document job runs.

One test, because the issue's long document job takes a minute whatever else happens: the
documents worker holds it from the start, and during that minute
- a probe sends a notification every PROBE_SECONDS; each is delivered within
  NOTIFICATION_SECONDS (the notifications queue has its own worker);
- two gunicorn app nodes behind one proxy, as one browser sees them (one cookie jar, whichever
  node the proxy picks), show that
  - sessions hold across them, and so does the session *cache* (`cached_db` sessions, the cache
    in Redis): a logout on one node ends the session on the other at once, where a per-node
    cache would still hold it;
  - the login throttle and the anonymous intake's rate limit count attempts on both nodes as
    one;
  - a case row lock (every step on a case takes it, `cases.services._lock`) taken outside both
    nodes holds the same step posted to each until it is released, and then exactly one of the
    two steps is done;
  - a file uploaded through one node is downloaded through the other: both have the same
    `MEDIA_ROOT`. Storage is `STORAGES["default"]`, Django's FileSystemStorage on that directory
    (shared storage, NFS say, on real nodes); django-storages is not installed, so an object
    store is not configurable today;
- two workers on the default queue take jobs from one Redis: a job picked by one is not run by
  the other.
"""

import re
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection, transaction

from accounts.models import AuditEntry
from cases.models import Case, Status
from engine import notifications
from engine.models import Notification
from tests.config.test_celery_queues import queue_of
from tests.config.test_production import (
    PASSWORD,
    Proxy,
    _database_url,
    _production_env,
    _start,
    _stop,
)
from tests.factories import UserFactory
from tests.worker_tasks import hold, record
from tests.workers import wait_for

HOLD_SECONDS = 60  # the long document job (an annual report)
NOTIFICATION_SECONDS = 5
PROBE_SECONDS = 8
JOBS = 40
INTAKE_TRACKS = 3  # look-ups per client and hour on the nodes (INTAKE_RATE_TRACK)

notifications.register_kind("test.probe", label="测试通知", title="通知 {{ n }}", body="")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.production,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_two_nodes_share_everything_while_a_60_second_document_job_runs(
    workers, own_redis, cast, tmp_path
):
    held = tmp_path / "hold"
    held.touch()  # never removed: the job runs its whole minute
    hold.apply_async(
        args=[str(held), HOLD_SECONDS], queue=queue_of("workflows.review.tasks.build_document")
    )
    # the documents worker alone first: the minute starts as soon as it can, and everything
    # else (the other workers' and the nodes' start-up included) happens within it
    workers.start("-Q", "documents", "--include", "tests.worker_tasks", "-n", "documents@%h")
    for user in (cast.student, cast.teacher, cast.quality_officer):
        # the suite hashes with MD5 for speed; the nodes know only the production hashers
        user.password = PBKDF2PasswordHasher().encode(PASSWORD, "nodetestsalt", iterations=1000)
        user.save(update_fields=["password"])
    probe = Probe(UserFactory(), held)
    env = _production_env(tmp_path, _database_url(tmp_path))
    # no collectstatic here (test_production walks that path): pages name unhashed files
    env.update(DEBUG="1", REDIS_URL=own_redis.url, INTAKE_RATE_TRACK=f"{INTAKE_TRACKS}/h")
    wait_for(Path(f"{held}.running").exists, what="the document job to start")

    workers.start("-Q", "notifications", "-n", "notifications@%h")
    default = [
        workers.start("-Q", "default", "--include", "tests.worker_tasks", "-n", f"{name}@%h")
        for name in ("node-a", "node-b")
    ]
    wait_for(lambda: ready(tmp_path / "worker1.log"), what="the notifications worker")
    probe.start()
    try:
        with app_nodes(env, tmp_path) as (a, b):
            sessions_and_the_session_cache(a, b, cast.student)
            the_login_throttle(a, b, cast.teacher)
            the_intake_limit(a, b)
            case = uploads_seen_by_both(a, b, cast, tmp_path / "media")
            the_case_lock(a, b, case, cast.quality_officer)
        one_worker_per_job(tmp_path)
        workers.stop(*default)  # their shutdown too within the minute
        wait_for(Path(f"{held}.done").exists, timeout=HOLD_SECONDS + 30, what="the job")
    finally:
        probe.stop.set()
        probe.join(30)

    running = Path(f"{held}.done").stat().st_mtime - Path(f"{held}.running").stat().st_mtime
    assert running >= HOLD_SECONDS - 1, "the document job ran its minute"
    assert probe.error is None, probe.error
    assert len(probe.latencies) >= HOLD_SECONDS // PROBE_SECONDS - 2, probe.latencies
    assert max(probe.latencies) < NOTIFICATION_SECONDS, probe.latencies


def ready(log: Path) -> bool:
    return log.exists() and " ready." in log.read_text()


class Probe(threading.Thread):
    """While the document job runs: a notification every PROBE_SECONDS, timed from its commit
    to its delivery (a thread of its own, with its own database connection)."""

    def __init__(self, recipient, held: Path):
        super().__init__(daemon=True)
        self.recipient, self.done = recipient, Path(f"{held}.done")
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.error: BaseException | None = None

    def running(self) -> bool:
        return not (self.done.exists() or self.stop.is_set())

    def run(self):
        try:
            self.send(0, timeout=60)  # the notifications worker's first task (not timed)
            n = 0
            while self.running():
                n += 1
                started = time.monotonic()
                waited = self.send(n, timeout=30)
                if not self.done.exists():  # delivered while the job still ran
                    self.latencies.append(waited)
                while self.running() and time.monotonic() - started < PROBE_SECONDS:
                    self.stop.wait(0.2)
        except BaseException as exc:  # the test reports it, in its own thread
            self.error = exc
        finally:
            connection.close()

    def send(self, n: int, timeout: float) -> float:
        with transaction.atomic():
            notifications.notify(
                kind="test.probe", recipients=[self.recipient], context={"n": n}, dedup_key=f"p{n}"
            )
        published = time.monotonic()
        delivered = Notification.objects.filter(dedup_key=f"p{n}", delivered_at__isnull=False)
        wait_for(delivered.exists, timeout=timeout, what=f"notification {n}")
        return time.monotonic() - published


@contextmanager
def app_nodes(env, tmp_path):
    """Two gunicorn nodes, as one browser behind the proxy sees them: one cookie jar."""
    program = str(Path(sys.executable).with_name("gunicorn"))
    nodes, ports, logs = [], [], []
    try:
        for name in ("a", "b"):
            log = (tmp_path / f"node-{name}.log").open("w")
            logs.append(log)
            args = [program, "config.wsgi", "-w", "1", "-b", "127.0.0.1:0", "--timeout", "30"]
            node, port = _start(args, env, log)
            nodes.append(node)
            ports.append(port)
        yield browser(ports)
    finally:
        for node in nodes:
            _stop(node)
        for log in logs:
            log.close()


def browser(ports) -> tuple[Proxy, Proxy]:
    a, b = Proxy(ports[0]), Proxy(ports[1])
    b.cookies = a.cookies  # one browser, whichever node the proxy picks
    return a, b


def token(via: Proxy, path: str) -> str:
    response, page = via.get(path)
    assert response.status == 200, (path, page[:2000])
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1].decode()


def login(via: Proxy, username: str, password: str = PASSWORD):
    form = {"csrfmiddlewaretoken": token(via, "/accounts/login/")}
    form.update(username=username, password=password)
    return via.request("POST", "/accounts/login/", form=form)


def sessions_and_the_session_cache(a, b, student):
    """A session opened on B holds on A; a logout on A ends it on B at once, though B read it
    moments before (from the shared cache)."""
    a.cookies.clear()
    response, page = login(b, student.username)
    assert (response.status, response.getheader("Location")) == (302, "/"), page[:2000]
    response, page = a.get("/")
    assert response.status == 200 and student.full_name in page.decode()
    session = a.cookies["sessionid"]
    assert b.get("/")[0].status == 200
    form = {"csrfmiddlewaretoken": token(a, "/")}
    response, _ = a.request("POST", "/accounts/logout/", form=form)
    assert response.status == 302
    b.cookies["sessionid"] = session  # the old cookie, as a second tab would still send it
    response, _ = b.get("/")
    assert response.status == 302 and "/accounts/login/" in response.getheader("Location")


def the_login_throttle(a, b, user):
    """Failed logins spread over both nodes add up to one throttle."""
    a.cookies.clear()
    for attempt in range(django_settings.LOGIN_FREE_FAILURES + 1):
        response, _ = login([a, b][attempt % 2], user.username, "wrong-password")
        assert response.status == 200  # the form again, with its error
    response, _ = login([a, b][(django_settings.LOGIN_FREE_FAILURES + 1) % 2], user.username)
    assert response.status == 429 and int(response.getheader("Retry-After")) > 0


def the_intake_limit(a, b):
    """Anonymous look-ups of a complaint's tracking code, alternately on each node: the limit per
    client counts both."""
    a.cookies.clear()
    for attempt in range(INTAKE_TRACKS + 1):
        via = [a, b][attempt % 2]
        form = {"csrfmiddlewaretoken": token(via, "/complaint/track/"), "code": uuid.uuid4().hex}
        response, page = via.request("POST", "/complaint/track/", form=form)
        expected = 429 if attempt == INTAKE_TRACKS else 200
        assert response.status == expected, (attempt, page[:2000])


def uploads_seen_by_both(a, b, cast, media_root: Path) -> Case:
    """A student files a complaint with a file through node A; node B serves the file."""
    a.cookies.clear()
    assert login(a, cast.student.username)[0].status == 302
    content = "课表冲突的截图说明\n".encode()
    form = {
        "csrfmiddlewaretoken": token(a, "/cases/new/complaint/"),
        "idempotency_key": str(uuid.uuid4()),
        "title": "两门考试时间冲突",
        "subject_unit": cast.units.jwc.pk,
        "description": "两门考试安排在同一时间。",
    }
    response, page = a.request(
        "POST", "/cases/new/complaint/", form=form, files={"files": ("说明.txt", content)}
    )
    assert response.status == 302, page[:3000]
    case = Case.objects.get(title="两门考试时间冲突")
    response, page = b.get(f"/cases/{case.pk}/")
    assert response.status == 200
    [link] = re.findall(r'href="(/files/\d+/)"', page.decode())
    response, body = b.get(link)
    assert response.status == 200 and body == content
    assert [p.read_bytes() for p in media_root.rglob("*") if p.is_file()] == [content]
    return case


def the_case_lock(a, b, case, officer_user):
    """The quality office accepts the case through both nodes at once while the case row is
    locked (as a step under way elsewhere holds it): both wait; once it is free, one accepts
    and the other is told the case has moved on."""
    officer = browser([a.port, b.port])
    assert login(officer[0], officer_user.username)[0].status == 302
    path = f"/cases/{case.pk}/act/accept/"
    tokens = [token(via, path) for via in officer]
    answers = {}

    def accept(i):
        form = {"csrfmiddlewaretoken": tokens[i]}
        answers[i] = officer[i].request("POST", path, form=form)[0].status

    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        posts = [threading.Thread(target=accept, args=(i,)) for i in (0, 1)]
        for post in posts:
            post.start()
        time.sleep(2)
        assert all(post.is_alive() for post in posts), "a node went past the lock"
    for post in posts:
        post.join(30)
    assert answers == {0: 302, 1: 302}
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert AuditEntry.objects.filter(action="case.accept").count() == 1


def one_worker_per_job(tmp_path):
    logs = [tmp_path / "worker2.log", tmp_path / "worker3.log"]
    wait_for(lambda: all(map(ready, logs)), what="both workers on the default queue")
    done = tmp_path / "done"
    done.mkdir()
    for n in range(JOBS):
        record.apply_async(args=[str(done), n])
    wait_for(lambda: len(list(done.iterdir())) == JOBS, what="every job to run")
    time.sleep(2)  # a second run of any job (a redelivery, say) would land meanwhile
    runs = {path.name: path.read_text().split() for path in done.iterdir()}
    assert sorted(map(int, runs)) == list(range(JOBS))
    assert all(len(hosts) == 1 for hosts in runs.values()), "a job ran twice"
    by_node = {host.split("@")[0] for hosts in runs.values() for host in hosts}
    assert by_node == {"node-a", "node-b"}, "both workers took jobs"
