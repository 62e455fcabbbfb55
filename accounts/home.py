"""What the home page shows each person. Later apps register cards for their open items."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import Role as R


@dataclass
class Card:
    title: str
    count: int | None = None
    url: str = ""
    empty_text: str = ""
    # A state to show instead of a count (e.g. the stage a person's own cycle stands at).
    text: str = ""
    # A line under the state (e.g. what the cycle lacks to move on).
    note: str = ""
    # A short list under it: (label, state, url) rows (e.g. a class adviser's students).
    rows: list = field(default_factory=list)


CardProvider = Callable[[object], list[Card]]
_providers: list[CardProvider] = []


def register(provider: CardProvider) -> CardProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def cards_for(user) -> list[Card]:
    cards: list[Card] = []
    for provider in _providers:
        cards.extend(provider(user))
    return cards


# The duties each role sees on its home page (DOMAIN.md §1).
DUTIES = {
    R.COMMITTEE_CHAIR: _(
        "Approve plans, targets and standards and changes to them; approve "
        "severe incident grades; sign off review conclusions."
    ),
    R.COMMITTEE_MEMBER: _(
        "Take part in committee decisions on plans, standards, severe "
        "incidents and review conclusions."
    ),
    R.QUALITY_OFFICER: _(
        "Run monitoring and warnings, accept college-level complaints, issue "
        "rectification notices, verify rectification, compile the annual "
        "quality report."
    ),
    R.DEPARTMENT_LEADER: _(
        "Accept department-level complaints, resolve tasks sent to the "
        "department, review major and course standards."
    ),
    R.DEPARTMENT_MEMBER: _("Work on the department's quality tasks and reports."),
    R.TEAM_LEADER: _(
        "Lead the self-diagnosis of your major or course; draft its plans and "
        "standards; monitor its data."
    ),
    R.TEAM_MEMBER: _("Contribute to your major's or course's self-diagnosis and data."),
    R.CLASS_ADVISER: _("Follow your students' development plans, warnings and improvements."),
    R.SUPERVISOR: _("File incident reports from inspection and class observation."),
    R.DISCIPLINE_OFFICER: _(
        "Receive reports about the diagnosis work and oversee how complaints are handled."
    ),
    R.TEACHER: _("Run your personal development cycle; file complaints and feedback."),
    R.STUDENT: _("Run your personal development cycle; file complaints and feedback."),
    R.EXTERNAL_EXPERT: _("Read the review material assigned to you and record your findings."),
    R.SYSTEM_ADMIN: _("Maintain org units, people, memberships and system settings."),
}
