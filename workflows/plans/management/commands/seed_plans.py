from django.core.management.base import BaseCommand, CommandError

from engine.seeding import quietly
from workflows.plans import demo


class Command(BaseCommand):
    help = "Create the demo plan, target, standard and task chains of seed 001 (idempotent)."

    def handle(self, *args, **options):
        try:
            with quietly():
                created = demo.seed()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if created:
            self.stdout.write(f"created {created} plans, targets, standards and tasks")
        else:
            self.stdout.write("the demo chains are already there")
