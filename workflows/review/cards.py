"""Home-page cards: approvals for unit heads, assignments for experts, rounds for the office."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import access, home

from . import capabilities as caps
from . import selectors
from .models import RoundStatus


def review_cards(user):
    cards = []
    if access.has_capability(user, caps.REPORT_APPROVE) or access.has_capability(
        user, caps.REPORT_PUBLISH
    ):
        waiting = selectors.approvals_waiting(user)
        cards.append(
            home.Card(
                title=_("Self-diagnosis reports to approve or forward"),
                count=len(waiting),
                url=reverse("review:report_list") + "?waiting=1",
                empty_text=_("Nothing waiting for you."),
            )
        )
    # what the expert's step in the inbox counts (engine.steps, workflows.review.flows): the
    # findings are recorded while the round is under review
    assignments = selectors.expert_assignments(user).filter(
        submitted_at__isnull=True, member__round__status=RoundStatus.IN_REVIEW
    )
    count = assignments.count()
    if count:
        cards.append(
            home.Card(
                title=_("Reports to review"),
                count=count,
                url=reverse("review:my_assignments"),
            )
        )
    if access.has_capability(user, caps.ROUND_MANAGE):
        unpublished = selectors.rounds_for(user).filter(published_at__isnull=True).count()
        cards.append(
            home.Card(
                title=_("Review rounds awaiting publication"),
                count=unpublished,
                url=reverse("review:round_list"),
                empty_text=_("Every round's material is published."),
            )
        )
    if access.has_capability(user, caps.REPORT_VIEW):
        flagged = sorted(
            set(selectors.sanction_flags_for(user).values_list("org_unit_id", flat=True))
        )
        if flagged:
            url = (
                reverse("review:committee")
                if access.has_capability(user, caps.CONCLUSION_VIEW)
                else reverse("review:unit_status", args=[flagged[0]])
            )
            cards.append(
                home.Card(title=_("⚑ Units flagged for sanctions"), count=len(flagged), url=url)
            )
    return cards


def register():
    home.register(review_cards)
