from django.core.management.base import BaseCommand
from django.db import transaction

from workflows.review import catalogues
from workflows.review.models import Catalogue


class Command(BaseCommand):
    help = (
        "Load the shipped diagnostic catalogues (Beijing 附件1, Beijing 附件2, seed 004 skeleton, "
        "the teachers' and students' personal catalogues)."
    )

    def handle(self, *args, **options):
        for name, data in catalogues.shipped().items():
            if Catalogue.objects.filter(code=data["code"], version=data["version"]).exists():
                self.stdout.write(f"{name}: already loaded")
                continue
            with transaction.atomic():
                catalogue = catalogues.load_data(data, status=Catalogue.Status.ACTIVE)
            self.stdout.write(
                f"{name}: {catalogue.elements.count()} elements loaded as {catalogue}"
            )
