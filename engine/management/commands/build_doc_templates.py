"""Write the shipped default Word templates from their python-docx build scripts.

    manage.py build_doc_templates              # every kind that has a script
    manage.py build_doc_templates review.self_diagnosis

Run after changing a build script and commit the .docx it writes next to the script.
"""

from django.core.management.base import BaseCommand, CommandError

from engine import doc_templates


class Command(BaseCommand):
    help = "Write the default .docx templates of official documents from their build scripts."

    def add_arguments(self, parser):
        parser.add_argument("kinds", nargs="*")

    def handle(self, *args, kinds, **options):
        unknown = [k for k in kinds if k not in doc_templates.KINDS]
        if unknown:
            raise CommandError(f"No such document: {', '.join(unknown)}")
        chosen = [doc_templates.KINDS[k] for k in kinds] or list(doc_templates.KINDS.values())
        for entry in chosen:
            if entry.build is None:
                self.stdout.write(f"{entry.kind}: crafted by hand, left as it is")
                continue
            doc = entry.build()
            entry.default.parent.mkdir(parents=True, exist_ok=True)
            doc.save(entry.default)
            self.stdout.write(f"{entry.kind}: {entry.default}")
