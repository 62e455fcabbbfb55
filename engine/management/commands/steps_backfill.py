"""Open the waiting task of every object of every step table (engine.steps) that has none."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from engine import steps


class Command(BaseCommand):
    help = _("Start the step processes of objects that predate their flow (idempotent).")

    def handle(self, *args, **options):
        for model, flow_class in steps.REGISTRY.items():
            started = 0
            for pk in steps.without_process(flow_class).values_list("pk", flat=True).iterator():
                with transaction.atomic():
                    obj = model.objects.select_for_update().get(pk=pk)
                    if steps.start(obj, fresh_only=True) is not None:
                        started += 1
            self.stdout.write(
                _("%(process)s: %(n)d processes started.")
                % {"process": flow_class.process_title, "n": started}
            )
