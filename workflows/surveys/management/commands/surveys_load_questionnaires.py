from django.core.management.base import BaseCommand

from workflows.surveys import catalogue


class Command(BaseCommand):
    help = (
        "Load the shipped questionnaires (学生评教, 食堂/宿舍, graduates, employers) and map their "
        "questions to the indicators that exist (idempotent)."
    )

    def handle(self, *args, **options):
        created = catalogue.load()
        self.stdout.write(f"questionnaires: {created} new")
