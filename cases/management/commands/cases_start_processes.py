"""Start the CaseFlow process of every open case that has none (cases filed before the flow).

Idempotent: a case with a running process is left alone, so running it twice starts nothing
new. Each case is started in its own transaction with its row locked, so it is safe while the
site is in use.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from viewflow.workflow.status import PROCESS

from cases import flows
from cases.models import FINISHED, Case


class Command(BaseCommand):
    help = "Start the CaseFlow process of every open case that has none."

    def handle(self, *args, **options):
        pending = (
            Case.objects.exclude(status__in=FINISHED)
            .exclude(processes__status=PROCESS.NEW)
            .values_list("pk", flat=True)
            .order_by("pk")
        )
        started = 0
        for pk in list(pending):
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=pk)
                if case.is_finished or case.processes.filter(status=PROCESS.NEW).exists():
                    continue
                flows.start(case)
                started += 1
        self.stdout.write(f"Started {started} case processes.")
