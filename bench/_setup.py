"""Shared set-up for the engine benchmarks: a throw-away PostgreSQL database, created at start and
dropped at exit, and Django configured against it.

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
os.environ["DATABASE_URL"] = f"{SERVER}/{NAME}"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_database() -> None:
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
