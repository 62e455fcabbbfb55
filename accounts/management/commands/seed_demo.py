import time

from django.core.management.base import BaseCommand, CommandError

from accounts import demo


class Command(BaseCommand):
    help = "Create the demo college (idempotent). --scale N adds N departments and N×1000 people."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=0, help="extra departments × 1000 people")

    def handle(self, *args, scale, **options):
        if scale < 0 or scale > 10_000:
            raise CommandError("--scale must be between 0 and 10000")
        created = demo.seed_demo()
        self.stdout.write(
            f"demo college: {created['units']} units, {created['users']} people, "
            f"{created['memberships']} memberships created"
        )
        from django.conf import settings

        from accounts.sso import register_local_service

        if register_local_service(settings.SITE_URL):
            self.stdout.write(f"local CAS server at /cas/ knows {settings.SITE_URL}")
        if scale:
            started = time.perf_counter()
            bulk = demo.seed_scale(scale)
            self.stdout.write(
                f"scale {scale}: {bulk['units']} units, {bulk['users']} people in "
                f"{time.perf_counter() - started:.1f}s"
            )
