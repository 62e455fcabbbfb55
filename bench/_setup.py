"""Shared set-up for the benchmarks: a throw-away PostgreSQL database, created at start and dropped
at exit, and Django configured against it (`setup_database`); and what makes a figure honest
(`begin`: the baseline in one line and the load average before and after; `alternate`: the
sides measured in turns).

Environment: BENCH_PG (server URL, default postgres://postgres@127.0.0.1:5432), BENCH_DB (database
name, default zg_engine_bench), REDIS_URL (default redis://127.0.0.1:6379/5).
"""

import atexit
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
NAME = os.environ.get("BENCH_DB", "zg_engine_bench")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_database() -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{NAME}"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    _admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{NAME}"')
    atexit.register(drop_database)
    django.setup()
    call_command("migrate", verbosity=0)


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    _admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


# --- honest figures: what the baseline is, how loaded the machine was, sides in turn ----------


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def begin(baseline: str) -> None:
    """Print the baseline in one line and the load average now and when the benchmark ends: a
    figure measured on a busy machine says so beside it."""
    print(f"baseline: {baseline}")
    print(f"before: {load_average()}", flush=True)
    atexit.register(lambda: print(f"after:  {load_average()}", flush=True))


def alternate(sides: dict, rounds: int) -> dict[str, list]:
    """Call every side once per round, in reverse order every other round, so that neither
    always runs first (on a cold cache) or last (on a warmer, or busier, machine). Each side
    returns its measure; the measures come back per side, in round order."""
    names = list(sides)
    results: dict[str, list] = {name: [] for name in names}
    for round_no in range(rounds):
        for name in names if round_no % 2 == 0 else reversed(names):
            results[name].append(sides[name]())
    return results


def median(values) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


# --- a server of the project's own, started by a benchmark -----------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(work) -> dict[str, str]:
    """The settings of the README's production start for a local gunicorn: no debug, hashed
    static files and uploads under `work`, and plain-http cookies (no TLS proxy in front)."""
    import secrets

    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "STATIC_ROOT": str(work / "static"),
        "MEDIA_ROOT": str(work / "media"),
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }


def wait_http(url: str, seconds: int = 120) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds}s")
