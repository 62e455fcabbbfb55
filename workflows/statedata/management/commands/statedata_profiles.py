"""Load the shipped state-data import profiles (profiles.py). Safe to re-run."""

from django.core.management.base import BaseCommand, CommandError

from workflows.statedata.profiles import PROFILES, load_profiles


class Command(BaseCommand):
    help = (
        "Create the shipped import profiles of the state-data platform's tables that are "
        "missing; profiles a college edited stay as they are."
    )

    def handle(self, *args, **options):
        try:
            created = load_profiles()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{len(PROFILES)} state-data profiles ({created} new).")
