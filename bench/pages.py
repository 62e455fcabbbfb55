"""The pages people land on (home, the case list, the plans list, the monitoring overview,
我的待办) as several roles: requests per second of each, as a ratio to a trivial signed-in page
measured in the same rounds, and the queries each page reads.

    python bench/pages.py            (BENCH_SCALE=N: the demo college with N × 1000 more people)

What it starts: nothing but Django's test client in this process, against a throw-away
PostgreSQL database (bench/_setup.py) seeded with the demo college as `make seed` does. The
figures are server time (middleware, view, template, database; no network, no gunicorn), one
request at a time. Baseline: /accounts/me/ (the session, the person, a tiny JSON body) as the
same person, measured in the same rounds, the two sides in turns (the order reversed every
other round). Target: every page >= 0.5x the baseline.
"""

import os
import sys
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup

_setup.setup_database()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402

SEED = ["seed_demo", "review_load_catalogues", "seed_indicators", "seed_plans", "seed_activity"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "25"))  # per side and round
# the demo people whose pages are measured: a student, a teacher leading a major's team, a
# department leader, the quality office and the committee's chair
ROLES = ["student", "rj_leader", "xx_leader", "zgb", "chair"]
PAGES = [
    ("home", "home"),
    ("case list", "cases:list"),
    ("plans list", "plans:index"),
    ("monitoring overview", "monitoring:overview"),
    ("inbox", "engine:inbox"),
]
TARGET = 0.5


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


def main() -> None:
    scale = int(os.environ.get("BENCH_SCALE", "0"))
    started = time.perf_counter()
    for step in SEED:
        options = {"scale": scale} if step == "seed_demo" and scale else {}
        call_command(step, stdout=StringIO(), **options)
    print(f"demo college seeded in {time.perf_counter() - started:.0f}s (scale {scale})")
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
    print(f"{'role':<10} {'page':<20} {'queries':>7} {'req/s':>8} {'me req/s':>8} {'ratio':>6}")
    worst = None
    for username in ROLES:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, name in PAGES:
            url = reverse(name)
            first = client.get(url)  # warm: what a process caches once is not the page's
            if first.status_code != 200:
                print(f"{username:<10} {label:<20} (not reachable: {first.status_code})")
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
            print(f"{username:<10} {label:<20} {figures}", flush=True)
    print(f"lowest ratio {worst:.2f}x (target >= {TARGET}x)")


if __name__ == "__main__":
    main()
