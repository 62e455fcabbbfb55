from django.core.management.base import BaseCommand

from accounts import demo
from accounts.models import User


class Command(BaseCommand):
    help = "Print the demo accounts and their roles (the last step of `make seed`)."

    def handle(self, *args, **options):
        present = set(
            User.objects.filter(username__in=[p[0] for p in demo.PEOPLE]).values_list(
                "username", flat=True
            )
        )
        if not present:
            self.stdout.write("No demo accounts yet: run seed_demo first.")
            return
        self.stdout.write(f"demo logins (password {demo.DEMO_PASSWORD}):")
        for username, full_name, memberships in demo.PEOPLE:
            if username in present:
                roles = ", ".join(str(role.label) for role, _unit in memberships)
                self.stdout.write(f"  {username:<11} {full_name}  {roles}")
