"""Home-page card: the questionnaires a student (or anyone eligible) still has to answer."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import access, home

from . import capabilities as caps
from . import selectors


def survey_cards(user):
    if not access.has_capability(user, caps.ANSWER):
        return []
    return [
        home.Card(
            title=_("Questionnaires to answer"),
            counting=selectors.pending_for(user),
            url=reverse("surveys:mine"),
            empty_text=_("No questionnaire is waiting for you."),
        )
    ]
