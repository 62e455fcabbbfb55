"""The reference flow for `CeleryJob`: start → a background step → end.

It is small on purpose: the engine's tests and benchmarks drive it to prove the job guarantees
(exactly-once effect, retries, the failed-jobs page, lock conflicts), and feature flows copy its
shape. Its process data may ask the step to fail a few times (`fail_times`) or to hold on while a
file exists (`hold_while`, used to kill a worker mid-job).
"""

import os
import time
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from . import sequences
from .nodes import CeleryJob, job_state


class DemoJobFlow(flow.Flow):
    process_title = _("Background step demo")
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.count)
    count = CeleryJob(this.count_once).Next(this.end)
    end = flow.End()

    def start_process(self, activation, **data):
        activation.process.data = data
        return activation.process

    def count_once(self, activation):
        """The step's effect: one increment of the process's counter."""
        process = activation.process
        sequences.next_value(counter_key(process))
        if job_state(activation.task).get("attempts", 0) < process.data.get("fail_times", 0):
            raise RuntimeError("demo step failed on purpose")
        hold = process.data.get("hold_while")
        if hold:
            Path(f"{hold}.running").write_text(str(os.getpid()))
            while Path(hold).exists():
                time.sleep(0.05)


def counter_key(process) -> str:
    return f"demo-job-{process.pk}"
