"""CeleryJob: after commit, exactly-once effect, retries with back-off, the failed-jobs page."""

import pytest
from django.urls import reverse
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from accounts.models import AuditEntry
from engine import nodes, tasks
from engine.demo_flow import DemoJobFlow, counter_key
from engine.models import Notification, Sequence


def counter(process) -> int:
    row = Sequence.objects.filter(key=counter_key(process)).first()
    return row.value if row else 0


def job_task(process):
    return Task.objects.filter(process=process, flow_task_type="JOB").order_by("pk").last()


@pytest.fixture
def published(monkeypatch):
    """Record every message the engine publishes and deliver it at once (like eager Celery)."""
    calls = []
    original = tasks.publish_quietly

    def record(task, *, args=(), countdown=0):
        calls.append((task.name, list(args), countdown))
        return original(task, args=args, countdown=countdown)

    monkeypatch.setattr(tasks, "publish_quietly", record)
    return calls


def start(django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        process = DemoJobFlow.start.run(**data)
    return process, callbacks


@pytest.mark.django_db
def test_job_is_published_after_commit_and_the_flow_continues(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        process = DemoJobFlow.start.run()
        assert job_task(process).status == STATUS.SCHEDULED
    assert counter(process) == 0 and len(callbacks) == 1  # nothing ran before commit
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert job_task(process).status == STATUS.DONE
    assert counter(process) == 1


@pytest.mark.django_db
def test_a_message_delivered_twice_has_its_effect_once(django_capture_on_commit_callbacks):
    process, _ = start(django_capture_on_commit_callbacks)
    task = job_task(process)
    assert nodes.run(task.pk) == "stale"
    assert counter(process) == 1


@pytest.mark.django_db
def test_a_recorded_effect_is_not_repeated_when_completion_was_lost(
    django_capture_on_commit_callbacks,
):
    # The worker died after committing the effect but before completing the task.
    with django_capture_on_commit_callbacks(execute=False):
        process = DemoJobFlow.start.run()
    task = job_task(process)
    Sequence.objects.create(key=counter_key(process), value=1)
    task.status = STATUS.STARTED
    nodes._set_state(task, done=True)
    task.save()
    assert nodes.run(task.pk) == "done"
    assert counter(process) == 1
    process.refresh_from_db()
    assert process.status == PROCESS.DONE


@pytest.mark.django_db
def test_failures_are_retried_with_exponential_backoff(
    django_capture_on_commit_callbacks, published, settings
):
    settings.ENGINE_JOB_MAX_ATTEMPTS = 5
    settings.ENGINE_JOB_BACKOFF_SECONDS = 30
    process, _ = start(django_capture_on_commit_callbacks, fail_times=2)
    countdowns = [c for name, _args, c in published if name == "engine.run_flow_job"]
    assert countdowns == [0, 30, 60]
    assert job_task(process).status == STATUS.DONE
    assert nodes.job_state(job_task(process))["attempts"] == 2
    assert counter(process) == 1  # the failed attempts' increments were rolled back


@pytest.fixture
def failed(cast, django_capture_on_commit_callbacks, settings):
    settings.ENGINE_JOB_MAX_ATTEMPTS = 3
    process, _ = start(django_capture_on_commit_callbacks, fail_times=99)
    return process


def test_after_the_last_attempt_the_job_is_in_error_and_listed(failed, cast, login):
    task = job_task(failed)
    assert task.status == STATUS.ERROR
    state = nodes.job_state(task)
    assert state["attempts"] == 3 and "demo step failed" in state["error"]
    assert counter(failed) == 0
    assert Notification.objects.filter(kind="job.failed", recipient=cast.sysadmin).exists()
    page = login(cast.sysadmin).get(reverse("engine:failed_jobs"))
    assert page.status_code == 200
    assert "demo step failed" in page.content.decode()
    assert reverse("engine:failed_job_retry", args=[task.pk]) in page.content.decode()


def test_failed_jobs_are_for_system_administrators_only(failed, cast, login):
    client = login(cast.quality_officer)
    assert client.get(reverse("engine:failed_jobs")).status_code == 403
    task = job_task(failed)
    assert client.post(reverse("engine:failed_job_retry", args=[task.pk])).status_code == 404
    assert client.get("/api/v1/jobs/failed/").status_code == 403
    assert job_task(failed).status == STATUS.ERROR


def test_administrator_retries_a_failed_job_from_the_page(
    failed, cast, login, django_capture_on_commit_callbacks
):
    failed.data = {}  # the administrator fixed the cause
    failed.save()
    task = job_task(failed)
    client = login(cast.sysadmin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("engine:failed_job_retry", args=[task.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == PROCESS.DONE and counter(failed) == 1
    task.refresh_from_db()
    assert task.status == STATUS.REVIVED
    assert AuditEntry.objects.filter(action="job.retry", actor=cast.sysadmin).exists()
    assert client.post(reverse("engine:failed_job_retry", args=[task.pk])).status_code == 302
    assert Task.objects.filter(process=failed, flow_task_type="JOB").count() == 2


def test_administrator_cancels_a_failed_job_through_the_api(failed, cast, login):
    task = job_task(failed)
    client = login(cast.sysadmin)
    listed = client.get("/api/v1/jobs/failed/").json()
    assert [row["id"] for row in listed["results"]] == [task.pk]
    response = client.post(f"/api/v1/jobs/failed/{task.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == STATUS.CANCELED
    again = client.post(f"/api/v1/jobs/failed/{task.pk}/cancel/")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert AuditEntry.objects.filter(action="job.cancel").count() == 1


def _locked_out(flow_class, process_pk):
    raise FlowLockFailed("Lock failed")


def test_a_lock_conflict_is_a_clear_409_page_and_409_json(failed, cast, login, monkeypatch):
    monkeypatch.setattr(DemoJobFlow, "lock_impl", _locked_out)
    task = job_task(failed)
    client = login(cast.sysadmin)
    page = client.post(reverse("engine:failed_job_retry", args=[task.pk]))
    assert page.status_code == 409
    assert "Someone else is completing this task" in page.content.decode() or (
        "其他人正在处理" in page.content.decode()
    )
    api = client.post(f"/api/v1/jobs/failed/{task.pk}/retry/")
    assert api.status_code == 409 and api.json()["code"] == "locked"
    assert job_task(failed).status == STATUS.ERROR


@pytest.mark.django_db
def test_the_sweep_republishes_jobs_whose_message_was_lost(
    django_capture_on_commit_callbacks, published, settings
):
    from engine import jobs

    settings.ENGINE_JOB_REDRIVE_AFTER_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=False):
        process = DemoJobFlow.start.run()  # the broker never got the message
    assert counter(process) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.sweep_jobs() == 1
    assert counter(process) == 1 and job_task(process).status == STATUS.DONE
    assert jobs.sweep_jobs() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_row_lock_held_elsewhere_gives_409_not_500(cast, login, monkeypatch, settings):
    import threading
    from types import SimpleNamespace

    from django.db import connection, transaction
    from viewflow.workflow import lock
    from viewflow.workflow.models import Process

    settings.ENGINE_JOB_MAX_ATTEMPTS = 1
    monkeypatch.setattr(lock, "time", SimpleNamespace(sleep=lambda seconds: None))
    process = DemoJobFlow.start.run(fail_times=9)
    nodes.run(job_task(process).pk)
    task = job_task(process)
    assert task.status == STATUS.ERROR
    holding, release = threading.Event(), threading.Event()

    def hold_the_process():
        with transaction.atomic():
            Process.objects.select_for_update().get(pk=process.pk)
            holding.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_process)
    holder.start()
    holding.wait(5)
    try:
        client = login(cast.sysadmin)
        page = client.post(reverse("engine:failed_job_retry", args=[task.pk]))
        api = client.post(f"/api/v1/jobs/failed/{task.pk}/retry/")
    finally:
        release.set()
        holder.join()
    assert page.status_code == 409 and api.status_code == 409
    assert api.json()["code"] == "locked"
    assert job_task(process).status == STATUS.ERROR
    assert client.post(f"/api/v1/jobs/failed/{task.pk}/retry/").status_code == 200


@pytest.mark.django_db
def test_a_lock_conflict_after_the_effect_finishes_later_without_repeating_it(
    django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.ENGINE_JOB_BACKOFF_SECONDS = 30
    with django_capture_on_commit_callbacks(execute=False):
        process = DemoJobFlow.start.run()
    task = job_task(process)
    later = []
    monkeypatch.setattr(nodes, "publish", lambda pk, countdown=0: later.append((pk, countdown)))
    monkeypatch.setattr(DemoJobFlow, "lock_impl", _locked_out)
    assert nodes.run(task.pk) == "locked"
    assert counter(process) == 1 and nodes.job_state(job_task(process))["done"]
    assert later == [(task.pk, 30)]
    monkeypatch.undo()
    assert nodes.run(task.pk) == "done"
    assert counter(process) == 1 and job_task(process).status == STATUS.DONE


def test_what_counts_as_a_lock_conflict():
    from django.db import IntegrityError, OperationalError

    from engine.flows import is_lock_conflict

    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    timed_out = OperationalError("canceling statement due to lock timeout")
    timed_out.__cause__ = LockNotAvailable()
    assert is_lock_conflict(FlowLockFailed("Lock failed"))
    assert is_lock_conflict(timed_out)
    assert is_lock_conflict(OperationalError("database is locked"))
    assert not is_lock_conflict(OperationalError("server closed the connection"))
    assert not is_lock_conflict(IntegrityError("duplicate key"))
    assert not is_lock_conflict(ValueError("database is locked"))
