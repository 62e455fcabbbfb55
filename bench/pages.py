"""The pages people land on (home, the case list, the plans list, the monitoring overview,
我的待办, and with BENCH_NAV=1 every entry of each role's navigation) as several roles: requests
per second of each, as a ratio to a trivial signed-in page measured in the same rounds.

    python bench/pages.py            in-process (BENCH_SCALE=N: the demo college with N × 1000
                                     more people)
    python bench/pages.py --http     the README's production start, 16 clients

Both modes seed a throw-away PostgreSQL database (bench/_setup.py) with the demo college as
`make seed` does, and sign each role in.

In-process: Django's test client in this process, one request at a time; the figures are server
time (middleware, view, template, database; no network, no gunicorn), and each page's queries.

--http: collectstatic, then gunicorn (`config.wsgi`, 2 workers, DEBUG=0) on that database and
REDIS_URL's Redis, as the README's production section starts it; BENCH_CLIENTS (16) threads,
each with its own keep-alive connection, request one URL for BENCH_SECONDS (3) per side and
round. Printed per page and role: req/s, p50/p95 (ms), non-200 answers, and the ratio.

Baseline in both: /accounts/me/ (the session, the person, a tiny JSON body) as the same person,
measured in the same rounds, the two sides in turns (the order reversed every other round).
Target: every page >= 0.5x the baseline.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup

HTTP = "--http" in sys.argv
WORK = Path(tempfile.mkdtemp(prefix="zg-pages-"))
if HTTP:
    # the production settings (the gunicorn below reads the same environment): no debug, the
    # hashed static files, sessions and cache in Redis
    os.environ.update(_setup.production_env(WORK))
_setup.setup_database()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts import navigation  # noqa: E402
from accounts.models import User  # noqa: E402

SEED = ["seed_demo", "review_load_catalogues", "seed_indicators", "seed_plans", "seed_activity"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4" if not HTTP else "3"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "25"))  # per side and round, in-process
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))  # per side and round, --http
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
# the demo people whose pages are measured: a student, a teacher leading a major's team, a
# department leader, the quality office and the committee's chair
ROLES = os.environ.get("BENCH_ROLES", "student,rj_leader,xx_leader,zgb,chair").split(",")
PAGES = [
    ("home", "home"),
    ("case list", "cases:list"),
    ("plans list", "plans:index"),
    ("monitoring overview", "monitoring:overview"),
    ("inbox", "engine:inbox"),
]
# not a list nor a dashboard of the engine's own (Django's admin), or a form, not a page to land on
NOT_LANDING = {"admin:index", "accounts:roster_import"}
TARGET = 0.5


def pages_for(user) -> list[tuple[str, str]]:
    """The fixed landing pages, then (BENCH_NAV=1) the rest of the user's navigation."""
    pages = [(label, reverse(name)) for label, name in PAGES]
    if os.environ.get("BENCH_NAV") == "1":
        seen = {url for _, url in pages}
        for entry in navigation.menu_for(user):
            for item in entry.get("entries") or [entry]:
                if item["url"] not in seen and not item["url"].startswith("/admin/"):
                    seen.add(item["url"])
                    pages.append((str(item["label"]), item["url"]))
    return [(label, url) for label, url in pages if not _excluded(url)]


def _excluded(url: str) -> bool:
    return any(url == reverse(name) for name in NOT_LANDING)


# --- in-process: the test client, one request at a time ------------------------------------


def per_second(client, url: str) -> float:
    started = time.perf_counter()
    for _ in range(REQUESTS):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
    return REQUESTS / (time.perf_counter() - started)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def in_process() -> None:
    # as in production: no query log kept per request, the template engine without debug
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    for engine in engines.all():
        engine.engine.debug = False
    _setup.begin(
        f"/accounts/me/ (session, person, tiny JSON) as the same person, {ROUNDS} "
        f"alternating rounds of {REQUESTS} requests per side, Django test client in-process"
    )
    baseline = reverse("accounts:me")
    print(f"{'role':<10} {'page':<24} {'queries':>7} {'req/s':>8} {'me req/s':>8} {'ratio':>6}")
    worst = None
    for username in ROLES:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for label, url in pages_for(user):
            first = client.get(url)  # warm: what a process caches once is not the page's
            if first.status_code != 200:
                print(f"{username:<10} {label:<24} (not reachable: {first.status_code})")
                continue
            client.get(baseline)
            count = queries(client, url)
            sides = _setup.alternate(
                {
                    "me": lambda c=client: per_second(c, baseline),
                    "page": lambda c=client, u=url: per_second(c, u),
                },
                ROUNDS,
            )
            page, me = _setup.median(sides["page"]), _setup.median(sides["me"])
            ratio = page / me
            worst = ratio if worst is None else min(worst, ratio)
            mark = "" if ratio >= TARGET else "  < target"
            figures = f"{count:>7} {page:>8.1f} {me:>8.1f} {ratio:>5.2f}x{mark}"
            print(f"{username:<10} {label:<24} {figures}", flush=True)
    print(f"lowest ratio {worst:.2f}x (target >= {TARGET}x)")


# --- --http: gunicorn, CLIENTS threads with keep-alive connections -------------------------


def hammer(port: int, url: str, cookie: str) -> dict:
    """CLIENTS threads request `url` for SECONDS; every answer's latency and status kept."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)
    headers = {"Cookie": cookie, "Host": "127.0.0.1"}

    def client():
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], 0
        start.wait()
        stop = time.perf_counter() + SECONDS
        while True:
            began = time.perf_counter()
            if began >= stop:
                break
            conn.request("GET", url, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - began)
            bad += response.status != 200
            if response.getheader("Connection", "").lower() == "close":
                conn.close()  # the sync worker closes; the next request opens again
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    n = len(latencies)
    return {
        "rps": n / elapsed,
        "p50": latencies[n // 2] * 1000,
        "p95": latencies[min(n - 1, int(n * 0.95))] * 1000,
        "errors": errors[0],
    }


def over_http() -> None:
    call_command("collectstatic", "--noinput", verbosity=0)
    port = _setup.free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = (WORK / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - our own program
        [gunicorn, "config.wsgi", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--timeout", "30"],
        cwd=_setup.ROOT,
        env=os.environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _setup.wait_http(f"http://127.0.0.1:{port}/healthz")
        _setup.begin(
            f"/accounts/me/ (session, person, tiny JSON) as the same person, over HTTP to "
            f"gunicorn -w {WORKERS} (DEBUG=0, PostgreSQL, Redis), {CLIENTS} clients, {ROUNDS} "
            f"alternating rounds of {SECONDS:g}s per side"
        )
        baseline = reverse("accounts:me")
        heads = f"{'req/s':>7} {'p50':>6} {'p95':>6} {'me req/s':>8} {'me p95':>6} {'ratio':>6}"
        print(f"{'role':<10} {'page':<24} {heads}")
        worst = None
        for username in ROLES:
            user = User.objects.get(username=username)
            signed_in = Client()
            signed_in.force_login(user)  # the session lives in Redis and the database
            name = settings.SESSION_COOKIE_NAME
            cookie = f"{name}={signed_in.cookies[name].value}"
            for label, url in pages_for(user):
                first = _get(port, url, cookie)  # warm both workers' once-per-process work
                _get(port, url, cookie)
                if first != 200:
                    print(f"{username:<10} {label:<24} (not reachable: {first})")
                    continue
                sides = _setup.alternate(
                    {
                        "me": lambda c=cookie: hammer(port, baseline, c),
                        "page": lambda c=cookie, u=url: hammer(port, u, c),
                    },
                    ROUNDS,
                )
                page = {
                    k: _setup.median([s[k] for s in sides["page"]]) for k in ("rps", "p50", "p95")
                }
                me = {k: _setup.median([s[k] for s in sides["me"]]) for k in ("rps", "p95")}
                errors = sum(s["errors"] for s in sides["page"] + sides["me"])
                ratio = page["rps"] / me["rps"]
                worst = ratio if worst is None else min(worst, ratio)
                mark = "" if ratio >= TARGET else "  < target"
                mark += f"  {errors} non-200" if errors else ""
                print(
                    f"{username:<10} {label:<24} {page['rps']:>7.1f} {page['p50']:>6.0f} "
                    f"{page['p95']:>6.0f} {me['rps']:>8.1f} {me['p95']:>6.0f} {ratio:>5.2f}x{mark}",
                    flush=True,
                )
        print(f"lowest ratio {worst:.2f}x (target >= {TARGET}x)")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get(port: int, url: str, cookie: str) -> int:
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", url, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def main() -> None:
    scale = int(os.environ.get("BENCH_SCALE", "0"))
    started = time.perf_counter()
    for step in SEED:
        options = {"scale": scale} if step == "seed_demo" and scale else {}
        call_command(step, stdout=StringIO(), **options)
    print(f"demo college seeded in {time.perf_counter() - started:.0f}s (scale {scale})")
    over_http() if HTTP else in_process()


if __name__ == "__main__":
    main()
