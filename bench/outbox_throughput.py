"""Outbox throughput: notifications delivered per second by one Celery worker, against raw Celery
no-op tasks per second through the same broker and worker in the same run (target ratio >= 0.3).

Both worker legs are timed the same way: from the first publish until the work is done.
  baseline: N no-op tasks (`celery.accumulate`, results ignored) published, drained by the worker;
  outbox:   N notifications written by N causing transactions (not timed), then the N
            `deliver_pending` messages those commits publish, until every row is delivered in-app
            and the queue is drained.
A third figure times the whole path including the N causing transactions (`notify()` + commit
each), which the producer's own commits dominate.
Uses its own PostgreSQL database (created and dropped) and Redis db REDIS_URL (default db 5,
flushed first).

    python bench/outbox_throughput.py [--n 2000]
"""

import argparse
import os
import signal
import subprocess
import sys
import time

import _setup

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=2000)
args = parser.parse_args()

_setup.setup_database()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from config.celery import app  # noqa: E402
from engine import notifications, tasks  # noqa: E402
from engine.models import Notification  # noqa: E402

notifications.register_kind("bench.notice", label="bench", title="通知 {{ n }}", body="")
broker = redis.Redis.from_url(settings.REDIS_URL)
broker.flushdb()


def queue_drained() -> bool:
    return broker.llen("celery") == 0 and broker.hlen("unacked") == 0


def wait(predicate, timeout=600):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit("timed out")


worker = subprocess.Popen(
    [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=prefork",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=WARNING",
    ],
    cwd=_setup.ROOT,
    # the worker runs with the project's settings; BENCH_DB_REUSE_MAX=0 measures Celery's own
    # default (a new database connection around every task)
    env={
        **os.environ,
        "PYTHONPATH": str(_setup.ROOT),
        "CELERY_DB_REUSE_MAX": os.environ.get(
            "BENCH_DB_REUSE_MAX", str(settings.CELERY_DB_REUSE_MAX)
        ),
    },
    start_new_session=True,
)
try:
    noop = app.tasks["celery.accumulate"]
    # warm-up: the worker is up and both code paths are loaded
    noop.apply_async(args=[1], ignore_result=True)
    wait(queue_drained)
    time.sleep(2)

    started = time.perf_counter()
    for i in range(args.n):
        noop.apply_async(args=[i], ignore_result=True)
    wait(queue_drained)
    baseline = args.n / (time.perf_counter() - started)

    users = User.objects.bulk_create(
        [User(username=f"u{i}", full_name=f"用户{i}") for i in range(50)]
    )

    def create(prefix):
        for i in range(args.n):
            with transaction.atomic():
                notifications.notify(
                    kind="bench.notice",
                    recipients=[users[i % len(users)]],
                    context={"n": i},
                    dedup_key=f"{prefix}:{i}",
                )

    def all_delivered():
        return not Notification.objects.filter(delivered_at__isnull=True).exists()

    # worker leg: the rows exist (publishing paused while they were written), then the messages
    tasks._broker_down_until = time.monotonic() + 3600
    create("worker")
    tasks._broker_down_until = 0.0
    started = time.perf_counter()
    for _ in range(args.n):
        tasks.publish_quietly(tasks.deliver_pending)
    wait(queue_drained)  # polls Redis only: DB polling would compete with the worker
    wait(all_delivered)
    outbox = args.n / (time.perf_counter() - started)

    # whole path: causing transactions + delivery
    started = time.perf_counter()
    create("path")
    published = time.perf_counter() - started
    wait(queue_drained)
    wait(all_delivered)
    path = args.n / (time.perf_counter() - started)
finally:
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(30)

reuse = os.environ.get("BENCH_DB_REUSE_MAX", settings.CELERY_DB_REUSE_MAX)
print(f"worker CELERY_DB_REUSE_MAX={reuse}")
print(f"raw Celery no-op tasks:            {baseline:8.0f} /s  ({args.n} tasks, one worker)")
print(f"notifications delivered (worker):  {outbox:8.0f} /s  ({args.n} messages, one worker)")
print(f"ratio outbox / no-op:              {outbox / baseline:8.2f}x  (target >= 0.30)")
print(
    f"whole path incl. causing commits:  {path:8.0f} /s  "
    f"({published:.1f}s spent in the {args.n} causing transactions)"
)
