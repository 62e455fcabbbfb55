"""What the home page shows each person. Later apps register cards for their open items."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import IntegerField, QuerySet, Subquery
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
    # Does a role of the person handle what the card counts (their duty)? Then the card shows
    # even when it counts none, and says so (`empty_text`); else it shows only while it counts
    # some (a step handed to them, 转办, or theirs as a deputy, 代理): one rule for every card,
    # in `cards_for`.
    handled: bool = True
    # Instead of `count`: a queryset whose rows `cards_for` counts with every other card's in
    # one query.
    counting: QuerySet | None = None
    # With `counting`: (a one-column queryset, a function of its first value giving the card's
    # url), the value read in the same query (e.g. the one unit a card leads to).
    link_first: tuple | None = None


class _RowCount(Subquery):
    """The number of rows of a queryset, as a value in another query's SELECT."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()


CardProvider = Callable[[object], list[Card]]
_providers: list[CardProvider] = []


def register(provider: CardProvider) -> CardProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def cards_for(user) -> list[Card]:
    """The person's cards: a card for something a role of theirs handles always (empty, it says
    so), any other only while it counts something (`Card.handled`)."""
    cards: list[Card] = []
    for provider in _providers:
        cards.extend(provider(user))
    counting = [card for card in cards if card.counting is not None]
    if counting:
        # one round trip for every card's count (a card per app would be a query per app)
        figures = {}
        for i, card in enumerate(counting):
            figures[f"n{i}"] = _RowCount(card.counting.order_by())
            if card.link_first is not None:
                figures[f"f{i}"] = Subquery(card.link_first[0][:1])
        row = get_user_model().objects.filter(pk=user.pk).annotate(**figures).values(*figures)
        values = row.get()
        for i, card in enumerate(counting):
            card.count, card.counting = values[f"n{i}"] or 0, None
            if card.link_first is not None and values[f"f{i}"] is not None:
                card.url = card.link_first[1](values[f"f{i}"])
    return [card for card in cards if card.handled or card.count]


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

# A functional office's leader and quality group hold the same roles as a teaching department's
# but accept no complaints and review no major's standards: what they do instead.
OFFICE_DUTIES = {
    R.DEPARTMENT_LEADER: _(
        "Resolve tasks and rectification sent to the office; review the plans, targets and "
        "standards the office is responsible for."
    ),
    R.DEPARTMENT_MEMBER: _("Work on the office's quality tasks and reports."),
}


def duties_of(role: str, unit) -> str:
    """What a role held in `unit` does, as its home page says."""
    if unit.kind == unit.Kind.OFFICE and role in OFFICE_DUTIES:
        return OFFICE_DUTIES[role]
    return DUTIES.get(role, "")
