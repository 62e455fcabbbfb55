from django.core.management.base import BaseCommand
from django.db import transaction

from workflows.plans import flows
from workflows.plans.models import ChangeRequest, ChangeState, ItemState, Plan, Standard, Target


class Command(BaseCommand):
    help = (
        "Start the approval process of every item awaiting review or the committee, and of every "
        "change request awaiting the committee, that has none (items submitted before the flows "
        "existed). Idempotent: a subject with an active process is left alone."
    )

    def handle(self, *args, **options):
        started = 0
        waiting = [
            *[
                (model, [ItemState.SUBMITTED, ItemState.REVIEWED])
                for model in (Plan, Target, Standard)
            ],
            (ChangeRequest, [ChangeState.SUBMITTED]),
        ]
        for model, states in waiting:
            field = flows.ApprovalProcess.field_for(model())
            active = flows.ApprovalProcess.objects.filter(
                status=flows.PROCESS.NEW, **{f"{field}__isnull": False}
            ).values(f"{field}_id")
            for pk in (
                model.objects.filter(state__in=states)
                .exclude(pk__in=active)
                .values_list("pk", flat=True)
            ):
                with transaction.atomic():
                    subject = model.objects.select_for_update().get(pk=pk)
                    if subject.state in states and flows.active_process(subject) is None:
                        flows.start_for(subject)
                        started += 1
        self.stdout.write(f"started {started} approval processes")
