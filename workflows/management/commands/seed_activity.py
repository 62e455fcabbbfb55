import time

from django.core.management.base import BaseCommand, CommandError

from cases import demo as cases_demo
from engine.seeding import quietly
from workflows.monitoring import demo as monitoring_demo
from workflows.observations import demo as observations_demo
from workflows.plans import demo as plans_demo
from workflows.review import demo as review_demo
from workflows.review import personal_demo
from workflows.statedata import demo as statedata_demo
from workflows.surveys import demo as surveys_demo

STEPS = [
    ("monitoring", monitoring_demo.seed),
    ("plans", plans_demo.seed_activity),
    ("review", review_demo.seed),
    ("personal", personal_demo.seed),
    ("cases", cases_demo.seed),
    ("observations", observations_demo.seed),
    ("statedata", statedata_demo.seed),
    ("surveys", surveys_demo.seed),
]


class Command(BaseCommand):
    help = (
        "Bring the demo college to life through the services, as its people would (idempotent): "
        "periods, readings, warnings, improvements, cycles, plan changes, review rounds, cases, "
        "complaints, supervision requests, confidential reports and student evaluations."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        with quietly():
            for name, seed in STEPS:
                try:
                    created = seed()
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
                summary = ", ".join(f"{k} {v}" for k, v in created.items())
                self.stdout.write(f"{name}: {summary}")
        self.stdout.write(f"demo activity ready in {time.perf_counter() - started:.1f}s")
