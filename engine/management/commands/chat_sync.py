from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from engine import chat, selectors, services


class Command(BaseCommand):
    help = (
        "Find each person's DingTalk or WeCom user id by mobile number, then list who is still "
        "unmapped (no mobile number, or unknown to the platform)."
    )

    def add_arguments(self, parser):
        parser.add_argument("platform", choices=sorted(chat.PLATFORMS))

    def handle(self, *args, platform, **options):
        try:
            result = services.chat_identities_sync(actor=None, platform_code=platform)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except chat.RetryLater as exc:
            raise CommandError(
                f"the platform is busy or unreachable, try again later: {exc}"
            ) from exc
        except chat.GiveUp as exc:
            raise CommandError(f"the platform refused: {exc}") from exc
        self.stdout.write(f"{platform}: {result['mapped']} mapped, {result['unknown']} unknown")
        unmapped = selectors.chat_unmapped(platform)
        self.stdout.write(f"still unmapped: {unmapped.count()}")
        for person in unmapped[:50]:
            self.stdout.write(
                f"  {person.username}\t{person.get_full_name()}\t{person.phone or '-'}"
            )
