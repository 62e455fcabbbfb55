"""Crashes and outages with real services: a Celery worker killed mid-job, Redis stopped.

Each test starts its OWN redis-server on a free port (never the shared one) and real
`celery -A config worker` processes against the test database, so it needs PostgreSQL.
"""

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
from django.db import connection, transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from config.celery import app
from engine import deadlines, jobs, nodes, notifications, tasks
from engine.demo_flow import DemoJobFlow, counter_key
from engine.models import Deadline, Notification, Sequence

ROOT = Path(settings.BASE_DIR)
pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

notifications.register_kind("test.item", label="测试事项", title="新事项 {{ n }}", body="")


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
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but there is no redis-server binary")
        pytest.skip("no redis-server binary")
    server = OwnRedis(tmp_path)
    server.start()
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

    def start(self) -> subprocess.Popen:
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

    def stop_all(self):
        for worker in self.running:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)


@pytest.fixture
def workers(own_redis, tmp_path):
    pool = Workers(own_redis.url, tmp_path)
    yield pool
    pool.stop_all()


def counter(process) -> int:
    row = Sequence.objects.filter(key=counter_key(process)).first()
    return row.value if row else 0


def test_worker_killed_mid_job_the_effect_happens_exactly_once(workers, tmp_path, settings):
    settings.ENGINE_JOB_REDRIVE_AFTER_SECONDS = 0
    hold = tmp_path / "hold"
    hold.touch()
    first = workers.start()
    process = DemoJobFlow.start.run(hold_while=str(hold))  # published on commit
    running = Path(f"{hold}.running")
    wait_for(running.exists, what="the job to start in the worker")
    workers.kill(first)  # SIGKILL, main process and pool child, in the middle of the job
    task = Task.objects.get(process=process, flow_task_type="JOB")
    wait_for(lambda: counter(process) == 0, 10, "the dead worker's transaction to roll back")
    assert task.status == STATUS.SCHEDULED  # the start was rolled back with the effect
    hold.unlink()
    workers.start()
    # the broker keeps the killed worker's message unacknowledged until its visibility time-out;
    # the periodic sweep publishes the job again meanwhile (a second copy is harmless)
    assert jobs.sweep_jobs() >= 1
    wait_for(lambda: Task.objects.get(pk=task.pk).status == STATUS.DONE, what="the job to finish")
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert counter(process) == 1
    assert nodes.run(task.pk) == "stale"  # any later copy of the message does nothing
    assert counter(process) == 1


def test_pool_process_killed_mid_job_the_message_is_redelivered_at_once(workers, tmp_path):
    hold = tmp_path / "hold"
    hold.touch()
    workers.start()
    process = DemoJobFlow.start.run(hold_while=str(hold))
    running = Path(f"{hold}.running")
    wait_for(lambda: running.exists() and running.read_text(), what="the job to start")
    os.kill(int(running.read_text()), signal.SIGKILL)  # only the process running the job
    hold.unlink()
    # acks_late + reject_on_worker_lost: the broker hands the message out again, no sweep needed
    task = Task.objects.get(process=process, flow_task_type="JOB")
    wait_for(lambda: Task.objects.get(pk=task.pk).status == STATUS.DONE, what="the job to finish")
    assert counter(process) == 1


def test_redis_down_while_200_items_are_created_then_all_delivered_once(own_redis, workers, cast):
    own_redis.stop()
    unit = cast.units.rj
    started = time.monotonic()
    for n in range(200):
        with transaction.atomic():
            # the stand-in for a domain change: one deadline per item
            item = deadlines.deadline_start(
                obj=unit,
                kind=f"test.item.{n}",
                owner_unit=unit,
                owner_user=cast.teacher,
                working_days=5,
            )
            notifications.notify(
                kind="test.item",
                recipients=[cast.teacher, cast.software_lead],
                obj=item,
                context={"n": n},
                dedup_key=f"item:{n}",
                unit=unit,
            )
    elapsed = time.monotonic() - started
    assert Deadline.objects.filter(kind__startswith="test.item.").count() == 200
    assert Notification.objects.count() == 400
    assert Notification.objects.filter(delivered_at__isnull=True).count() == 400
    # one refused connection, then publishing pauses: creating items never waited on Redis
    assert tasks._broker_down_until > 0
    own_redis.start()
    tasks._broker_down_until = 0.0  # the pause is over (it lasts ENGINE_BROKER_PAUSE_SECONDS)
    workers.start()
    assert tasks.publish_quietly(tasks.sweep_outbox)  # what beat sends every minute
    wait_for(
        lambda: not Notification.objects.filter(delivered_at__isnull=True).exists(),
        what="every notification to be delivered",
    )
    assert Notification.objects.count() == 400
    per_person = Notification.objects.values_list("recipient_id", "dedup_key")
    assert len(set(per_person)) == 400
    assert Notification.objects.filter(recipient=cast.teacher).count() == 200
    assert tasks.deliver_pending() == 0  # a second sweep finds nothing left
    print(f"200 items created with Redis down in {elapsed:.2f}s")
