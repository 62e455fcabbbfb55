"""The home-page inbox cards: reviews, committee decisions and tasks waiting for this person."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import access
from accounts.home import Card
from engine.selectors import inbox_count

from . import selectors
from .flows import COMMITTEE, REVIEW, ChangeRequestFlow, ItemApprovalFlow
from .permissions import PlanCap


def plan_cards(user) -> list[Card]:
    if not access.is_active_user(user):
        return []
    held = access.capabilities(user)
    # reviews and votes waiting for the user: what their inbox counts of the approval flows
    votes = inbox_count(user, ItemApprovalFlow, COMMITTEE) + inbox_count(
        user, ChangeRequestFlow, COMMITTEE
    )
    return [
        Card(
            _("Plans, targets and standards to review"),
            inbox_count(user, ItemApprovalFlow, REVIEW),
            reverse("plans:inbox"),
            empty_text=_("Nothing to do."),
            handled=PlanCap.REVIEW in held,
        ),
        Card(
            _("Awaiting the committee's decision"),
            votes,
            reverse("plans:inbox"),
            empty_text=_("Nothing to do."),
            handled=PlanCap.DECIDE in held,
        ),
        Card(
            _("Open tasks your unit leads"),
            url=reverse("plans:inbox"),
            counting=selectors.my_open_tasks(user),
            handled=PlanCap.TASK_WORK in held,
        ),
    ]
