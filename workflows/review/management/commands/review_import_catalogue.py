from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from workflows.review import catalogues


class Command(BaseCommand):
    help = "Import a diagnostic catalogue version from an .xlsx workbook (see catalogues.py)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--activate", action="store_true")

    def handle(self, *args, path, activate, **options):
        from workflows.review.models import Catalogue

        try:
            with open(path, "rb") as fh:
                data = catalogues.parse_xlsx(fh)
            with transaction.atomic():
                catalogue = catalogues.load_data(
                    data,
                    status=Catalogue.Status.ACTIVE if activate else Catalogue.Status.DRAFT,
                )
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"imported {catalogue} ({catalogue.elements.count()} elements)")
