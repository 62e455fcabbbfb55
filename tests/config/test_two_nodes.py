"""Two nodes on the same PostgreSQL and Redis: what one worker picks up, the other never runs."""

import time

import pytest

from tests.worker_tasks import record
from tests.workers import wait_for

JOBS = 40

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_a_job_picked_by_one_worker_is_not_run_by_the_other(workers, tmp_path):
    for name in ("node-a", "node-b"):
        workers.start("--include", "tests.worker_tasks", "-n", f"{name}@%h")
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    wait_for(
        lambda: all(log.exists() and " ready." in log.read_text() for log in logs),
        what="both workers to be ready",
    )
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
