"""Real services for worker tests: a private redis-server on a free port (never the shared one)
and real `celery -A config worker` processes against the test database (PostgreSQL)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app
from engine import tasks

ROOT = Path(settings.BASE_DIR)


def wait_for(predicate, timeout=90, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class OwnRedis:
    def __init__(self, workdir: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 20, "redis-server")

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path, settings):
    if not shutil.which("redis-server"):
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but there is no redis-server binary")
        pytest.skip("no redis-server binary")
    server = OwnRedis(tmp_path)
    server.start()
    # the workers' cache too (REDIS_URL is both): the outbox's nudge mark is shared with them
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = server.url, False
    _reset_broker_connections()
    tasks._broker_down_until = 0.0
    yield server
    server.stop()
    app.conf.broker_url, app.conf.task_always_eager = saved
    _reset_broker_connections()


def _reset_broker_connections():
    # fresh pools for the new broker URL; closing the old ones would break other holders of them
    app._pool = None
    app.amqp._producer_pool = None


class Workers:
    def __init__(self, broker_url: str, tmp_path: Path):
        db = connection.settings_dict
        login = quote(db["USER"] or "postgres") + (
            ":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else ""
        )
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": broker_url,
            "PYTHONPATH": str(ROOT),
        }
        self.tmp_path = tmp_path
        self.running = []

    def start(self, *options: str) -> subprocess.Popen:
        """A worker as production starts one; `options` add e.g. `-Q notifications`."""
        log = open(self.tmp_path / f"worker{len(self.running)}.log", "wb")  # noqa: SIM115
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
                "--loglevel=INFO",
                *options,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes the pool children too
        )
        self.running.append(worker)
        return worker

    def kill(self, worker):
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    def stop(self, *workers):
        """Warm shutdown, every worker told at once (their shutdowns overlap)."""
        stopping = [worker for worker in workers if worker.poll() is None]
        for worker in stopping:
            os.killpg(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for worker in stopping:
            try:
                worker.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)

    def stop_all(self):
        self.stop(*self.running)


@pytest.fixture
def workers(own_redis, tmp_path):
    pool = Workers(own_redis.url, tmp_path)
    yield pool
    pool.stop_all()
