"""Time `make seed` step by step on a fresh database, then a second pass (which must create
nothing), as `make run` does on a fresh clone.

    python bench/demo_seed.py                      (a throw-away SQLite file, eager Celery)
    DEMO_DATABASE_URL=postgres://.../zg_x python bench/demo_seed.py   (an empty database of yours)

Prints the seconds of every step, the rows the first pass created and the rows the second created.
"""

import atexit
import os
import shutil
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
workdir = tempfile.mkdtemp(prefix="zg-demo-bench-")
atexit.register(shutil.rmtree, workdir, ignore_errors=True)
os.environ["DATABASE_URL"] = os.environ.get(
    "DEMO_DATABASE_URL", f"sqlite:///{workdir}/demo.sqlite3"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

STEPS = ["seed_demo", "review_load_catalogues", "seed_indicators", "seed_plans", "seed_activity"]


def rows() -> int:
    return sum(model._default_manager.count() for model in apps.get_models())


def main() -> None:
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"make seed on {engine} (migrate {time.perf_counter() - started:.1f}s)")
    after_migrate = rows()
    for label in ("first pass", "second pass"):
        before = rows() if label == "second pass" else after_migrate
        total = 0.0
        for step in STEPS:
            started = time.perf_counter()
            call_command(step, stdout=StringIO())
            seconds = time.perf_counter() - started
            total += seconds
            print(f"  {label:<11} {step:<22} {seconds:6.1f}s")
        print(f"  {label:<11} {'total':<22} {total:6.1f}s, {rows() - before:,} rows created")


if __name__ == "__main__":
    main()
