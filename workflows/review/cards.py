"""Home-page cards: approvals for unit heads, assignments for experts, rounds for the office."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import access, home
from accounts.models import Role

from . import capabilities as caps
from . import selectors

SANCTION_HANDLERS = frozenset({caps.SANCTION_PROPOSE, caps.SANCTION_APPROVE})


def review_cards(user):
    from engine.selectors import inbox_count

    from .flows import AssignmentFlow, ReportFlow

    cards = []
    # what waits for the user is what their inbox counts (engine.steps, workflows.review.flows)
    if access.has_capability(user, caps.REPORT_APPROVE) or access.has_capability(
        user, caps.REPORT_PUBLISH
    ):
        cards.append(
            home.Card(
                title=_("Self-diagnosis reports to approve or forward"),
                count=inbox_count(user, ReportFlow, "approve", "forward"),
                url=reverse("review:report_list") + "?waiting=1",
                empty_text=_("Nothing waiting for you."),
            )
        )
    # the expert's findings are their step while the round is under review
    cards.append(
        home.Card(
            title=_("Reports to review"),
            count=inbox_count(user, AssignmentFlow, "review"),
            url=reverse("review:my_assignments"),
            empty_text=_("Nothing to do."),
            handled=Role.EXTERNAL_EXPERT in access.roles(user),
        )
    )
    if access.has_capability(user, caps.ROUND_MANAGE):
        cards.append(
            home.Card(
                title=_("Review rounds awaiting publication"),
                counting=selectors.rounds_for(user).filter(published_at__isnull=True),
                url=reverse("review:round_list"),
                empty_text=_("Every round's material is published."),
            )
        )
    if access.has_capability(user, caps.REPORT_VIEW):
        flags = selectors.sanction_flags_for(user)
        card = home.Card(
            title=_("⚑ Units flagged for sanctions"),
            counting=flags.values("org_unit_id").distinct(),
            # those who propose or approve the sanctions follow the flags; others see a flag
            handled=bool(access.capabilities(user) & SANCTION_HANDLERS),
            url=reverse("review:committee"),
        )
        if not access.has_capability(user, caps.CONCLUSION_VIEW):
            # who does not see the committee's page goes to the first flagged unit's status
            card.link_first = (
                flags.order_by("org_unit_id").values("org_unit_id"),
                lambda pk: reverse("review:unit_status", args=[pk]),
            )
        cards.append(card)
    return cards


def register():
    home.register(review_cards)
