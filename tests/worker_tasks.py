"""Tasks only the worker tests load (`celery worker --include tests.worker_tasks`)."""

import time
from pathlib import Path

from celery import shared_task


@shared_task(name="tests.hold", acks_late=True)
def hold(hold_path: str, max_seconds: float) -> float:
    """Stand-in for a long job (an annual report): busy while `hold_path` exists, at most
    `max_seconds`; `<hold_path>.running` and `.done` tell the test where it is."""
    started = time.monotonic()
    Path(f"{hold_path}.running").touch()
    while Path(hold_path).exists() and time.monotonic() - started < max_seconds:
        time.sleep(0.1)
    Path(f"{hold_path}.done").touch()
    return time.monotonic() - started


@shared_task(name="tests.record", bind=True, acks_late=True)
def record(self, directory: str, n: int) -> None:
    """Append the worker's name to `<directory>/<n>`: a job run twice leaves two lines."""
    with open(Path(directory) / str(n), "a") as out:
        out.write(f"{self.request.hostname}\n")
    time.sleep(0.2)  # long enough for the other worker to take the next job meanwhile
