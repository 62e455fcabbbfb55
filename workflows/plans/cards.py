"""The home-page inbox cards: reviews, committee decisions and tasks waiting for this person."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.home import Card
from engine.selectors import inbox_count

from . import selectors
from .flows import COMMITTEE, REVIEW, ChangeRequestFlow, ItemApprovalFlow


def plan_cards(user) -> list[Card]:
    cards = []
    # reviews and votes waiting for the user: what their inbox counts of the approval flows
    reviews = inbox_count(user, ItemApprovalFlow, REVIEW)
    if reviews:
        cards.append(
            Card(_("Plans, targets and standards to review"), reviews, reverse("plans:inbox"))
        )
    votes = inbox_count(user, ItemApprovalFlow, COMMITTEE) + inbox_count(
        user, ChangeRequestFlow, COMMITTEE
    )
    if votes:
        cards.append(Card(_("Awaiting the committee's decision"), votes, reverse("plans:inbox")))
    cards.append(
        Card(
            _("Open tasks your unit leads"),
            url=reverse("plans:inbox"),
            counting=selectors.my_open_tasks(user),
            hide_empty=True,
        )
    )
    return cards
