"""The home-page inbox cards: reviews, committee decisions and tasks waiting for this person."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.home import Card

from . import selectors


def plan_cards(user) -> list[Card]:
    cards = []
    reviews = selectors.awaiting_review(user)
    if reviews:
        cards.append(
            Card(_("Plans, targets and standards to review"), len(reviews), reverse("plans:inbox"))
        )
    items, changes = selectors.awaiting_committee(user)
    if items or changes:
        cards.append(
            Card(
                _("Awaiting the committee's decision"),
                len(items) + len(changes),
                reverse("plans:inbox"),
            )
        )
    tasks = selectors.my_open_tasks(user).count()
    if tasks:
        cards.append(Card(_("Open tasks your unit leads"), tasks, reverse("plans:inbox")))
    return cards
