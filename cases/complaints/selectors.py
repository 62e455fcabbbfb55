"""Reads of the complaints feature: the tracking-code look-up and what its holder sees, the
discipline office's oversight list, and who sees a supervision request."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from accounts import access
from accounts.home import Card
from accounts.models import AuditEntry
from cases.access import is_accepting_body, visible_cases
from cases.confidential import intake
from cases.models import FINISHED, Case
from cases.models import Status as S
from engine import holders
from engine.models import Deadline

from .capabilities import OVERSEE, SUPERVISE
from .models import Supervision, Ticket

CODE_PURPOSE = "complaint"


def case_for_code(code: str) -> Case | None:
    """One indexed equality query on the keyed hash: a wrong, malformed or missing code costs
    the same and answers the same; a code opens only its own complaint."""
    ticket = (
        Ticket.objects.select_related("case")
        .filter(code_hash=intake.code_digest(code, CODE_PURPOSE))
        .first()
    )
    return ticket.case if ticket is not None else None


# Stages the holder of a code sees: the status reached and when, never who or why internally.
_ANSWERED = {S.FEEDBACK, S.CLOSED, S.REFUSED}


def public_progress(case: Case) -> dict:
    stages = [{"status": S.SUBMITTED, "label": S.SUBMITTED.label, "at": case.created_at}]
    for log in StateLog.objects.for_(case).order_by("timestamp", "pk"):
        if log.state in S.values:
            stages.append({"status": log.state, "label": S(log.state).label, "at": log.timestamp})
    answer = ""
    if case.status in _ANSWERED:
        answer = case.refusal_reason if case.status == S.REFUSED else case.outcome
    return {
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "stages": stages,
        "answer": answer,
        "can_add": case.status not in FINISHED,
        "can_rate": case.status == S.FEEDBACK and case.reporter_id is None,
        "satisfaction": case.satisfaction,
        "additions": case.additions.count(),
    }


# --- oversight ----------------------------------------------------------------------------------


def oversight_cases(user, *, status: str = "", unit: str = "", overdue: bool = False, q: str = ""):
    """Every ordinary complaint, for the discipline office (read-only), with the engine's open
    deadlines and the supervision requests prefetched: a fixed number of queries per page."""
    if not access.has_capability(user, OVERSEE):
        return Case.objects.none()
    cases = visible_cases(user).filter(kind=Case.Kind.COMPLAINT, confidential=False)
    if status:
        cases = cases.filter(status=status)
    if unit:
        cases = cases.filter(accepting_unit_id=unit)
    if q:
        cases = cases.filter(Q(number__icontains=q) | Q(title__icontains=q))
    live = Deadline.objects.filter(
        content_type__model="case",
        content_type__app_label="cases",
        object_id=OuterRef("pk_text"),
        status__in=["open", "paused"],
    )
    cases = cases.annotate(pk_text=Cast("pk", CharField()))
    if overdue:
        cases = cases.filter(Exists(live.filter(due_at__lt=timezone.now())))
    return (
        cases.select_related("accepting_unit", "subject_unit", "responsible_unit", "grade")
        .annotate(
            supervision_count=Count("supervisions", distinct=True),
            open_supervisions=Count(
                "supervisions", filter=Q(supervisions__status="open"), distinct=True
            ),
        )
        .order_by("-created_at", "-id")
    )


def deadlines_by_case(cases) -> dict[int, list[Deadline]]:
    """The engine deadlines of a page of cases, in one query."""
    ids = [str(c.pk) for c in cases]
    found: dict[int, list[Deadline]] = {}
    rows = Deadline.objects.filter(
        content_type__app_label="cases", content_type__model="case", object_id__in=ids
    ).order_by("due_at")
    for deadline in rows:
        found.setdefault(int(deadline.object_id), []).append(deadline)
    return found


def oversight_rows(cases) -> list[dict]:
    """One row per complaint: status, deadlines, overdue steps, escalation, outcome and
    satisfaction. Never the complainant."""
    cases = list(cases)
    deadlines = deadlines_by_case(cases)
    now = timezone.now()
    rows = []
    for case in cases:
        mine = deadlines.get(case.pk, [])
        live = [d for d in mine if d.status in ("open", "paused")]
        rows.append(
            {
                "case": case,
                "deadlines": live,
                "next_due": min((d.due_at for d in live), default=None),
                "overdue": [d for d in live if d.due_at < now],
                "late_done": [d for d in mine if d.status == "done" and d.escalation_level >= 2],
                "escalation": max((d.escalation_level for d in mine), default=0),
                "supervisions": case.supervision_count,
                "open_supervisions": case.open_supervisions,
            }
        )
    return rows


def get_oversight_case(user, pk) -> Case:
    case = oversight_cases(user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


# --- supervision requests -------------------------------------------------------------------------


def supervision_visible(user, supervision: Supervision) -> bool:
    """The discipline office and the accepting body (whose leader answers)."""
    if not access.is_active_user(user):
        return False
    if access.has_capability(user, OVERSEE):
        return True
    return (
        is_accepting_body(user, supervision.case)
        or holders.may_act(supervision, user)
        or holders.took_part(supervision, user)
    )


def get_supervision(user, pk) -> Supervision:
    supervision = (
        Supervision.objects.select_related("case", "case__accepting_unit", "unit", "issued_by")
        .filter(pk=pk)
        .first()
    )
    if supervision is None or not supervision_visible(user, supervision):
        raise Http404
    return supervision


def may_answer(user, supervision: Supervision) -> bool:
    """The accepting body, or whoever holds the open step (转办, 代理: engine.holders)."""
    return supervision.is_open and (
        holders.may_do(supervision, user, is_accepting_body(user, supervision.case), "answer")
    )


def case_timeline(case: Case):
    """The case's audit rows (filing, each step, supervision requests and answers, deadline
    reminders and escalations) as actions and times: the office sees what happened and when,
    not who filed."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Case), object_id=str(case.pk)
    ).order_by("created_at", "pk")


def supervisions_of(case: Case):
    return case.supervisions.select_related("unit").order_by("created_at", "pk")


def home_cards(user) -> list[Card]:
    """Supervision requests waiting for the user, counted by the one inbox: an accepting body's
    leader answers them (flows.body_leader)."""
    if not access.is_active_user(user) or access.has_capability(user, SUPERVISE):
        return []
    from engine.selectors import inbox_card

    from .flows import BODY_LEADERS, SupervisionFlow

    handled = bool(access.roles(user) & BODY_LEADERS)
    return [inbox_card(user, SupervisionFlow, _("Supervision requests to answer"), handled=handled)]
