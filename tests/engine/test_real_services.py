"""Crashes and outages with real services: a Celery worker killed mid-job, Redis stopped.

Each test starts its OWN redis-server on a free port (never the shared one) and real
`celery -A config worker` processes against the test database, so it needs PostgreSQL.
"""

import os
import signal
import time
from pathlib import Path

import pytest
from django.db import transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from engine import deadlines, jobs, nodes, notifications, tasks
from engine.demo_flow import DemoJobFlow, counter_key
from engine.models import Deadline, Notification, Sequence
from tests.workers import wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

notifications.register_kind("test.item", label="测试事项", title="新事项 {{ n }}", body="")


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
