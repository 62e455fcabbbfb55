from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from engine.calendar_import import CalendarFileError, calendar_import


class Command(BaseCommand):
    help = "Import terms, holidays and make-up working days from an .xlsx sheet (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx file")
        parser.add_argument(
            "--user", required=True, help="username of the person importing (for the audit)"
        )

    def handle(self, *args, path, user, **options):
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"no user named {user!r}")
        try:
            with open(path, "rb") as file:
                run = calendar_import(actor=actor, file=file, inline=True)
        except FileNotFoundError as exc:
            raise CommandError(f"no such file: {path}") from exc
        except CalendarFileError as exc:
            raise CommandError(str(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(f"{user} may not manage the calendar") from exc
        if run.status != run.Status.DONE:
            for error in run.errors:
                self.stderr.write(f"row {error['row']}: {error['message']}")
            raise CommandError(f"{run.error_count} bad rows; nothing was imported")
        terms, days = run.result["terms"], run.result["days"]
        self.stdout.write(f"imported {terms} terms and {days} calendar days")
