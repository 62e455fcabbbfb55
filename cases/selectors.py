"""Reads of the cases feature: lists with filters, the inbox of cases waiting for the user, the
dashboard and the analysis figures. Every read starts from `visible_cases(user)`."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access as accounts_access
from accounts.home import Card
from accounts.models import OrgUnit
from engine.models import Deadline

from .access import (
    case_units,
    investigated_case_ids,
    is_accepting_body,
    named_case_ids,
    rectifiers_below_responsible,
    visible_cases,
)
from .models import Case, CaseProcess, Notice
from .models import Status as S
from .permissions import CaseCap
from .routing import college_body

__all__ = [
    "case_list",
    "case_task",
    "committee_round",
    "dashboard_figures",
    "home_cards",
    "inbox_cases",
    "visible_cases",
]


def overdue_q(now: datetime | None = None) -> Q:
    """A case is overdue when its acceptance/investigation deadline or one of its notices is past
    due and not done."""
    now = now or timezone.now()
    case_deadline = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Case),
        object_id=Cast(OuterRef("pk"), CharField()),
        status=Deadline.Status.OPEN,
        due_at__lt=now,
    )
    late_notice = Notice.objects.filter(case=OuterRef("pk"), due_at__lt=now).exclude(
        status=Notice.Status.ACCEPTED
    )
    return Q(Exists(case_deadline)) | Q(Exists(late_notice))


@dataclass
class CaseFilter:
    status: str = ""
    category: int | None = None
    grade: int | None = None
    unit: int | None = None
    kind: str = ""
    date_from: object = None
    date_to: object = None
    overdue: bool = False
    q: str = ""


def case_list(user, f: CaseFilter | None = None):
    f = f or CaseFilter()
    qs = visible_cases(user)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.category:
        qs = qs.filter(Q(category_id=f.category) | Q(category__parent_id=f.category))
    if f.grade:
        qs = qs.filter(grade_id=f.grade)
    if f.unit:
        unit = OrgUnit.objects.filter(pk=f.unit).first()
        if unit is None:
            return Case.objects.none()
        qs = qs.filter(
            Q(subject_unit__path__startswith=unit.path)
            | Q(responsible_unit__path__startswith=unit.path)
        )
    if f.date_from:
        qs = qs.filter(created_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(created_at__date__lte=f.date_to)
    if f.overdue:
        qs = qs.filter(overdue_q())
    if f.q:
        # icontains rather than a PostgreSQL text-search configuration: Chinese has no word
        # boundaries for the default parser.
        qs = qs.filter(
            Q(title__icontains=f.q) | Q(description__icontains=f.q) | Q(number__iexact=f.q)
        )
    return qs.select_related(
        "subject_unit", "accepting_unit", "responsible_unit", "category__parent", "grade"
    ).order_by("-created_at", "-id")


def case_task(process_pk, task_pk):
    """A task of CaseFlow by its URL (404 for any other flow's task), with its case process."""
    from viewflow.workflow.models import Task

    from .flows import CaseTask

    task = Task.objects.filter(pk=task_pk, process_id=process_pk).first()
    if task is None or not isinstance(task.flow_task, CaseTask):
        raise Http404
    task.process = CaseProcess.objects.get(pk=process_pk)
    return task


def inbox_cases(user):
    """Cases whose open CaseFlow task waits for the user, each with that task (`task_id`,
    `task_node`, `task_process_id`): one query on the case table (after a few small lookups
    whose number does not depend on the number of cases).

    Tasks named to the user count; tasks named to nobody go to whoever the access layer puts
    behind them: the accepting body, the committee, the investigators, the responsible unit, the
    reporter. Which task a case has open is the flow's own routing (`flows.node_q`, the
    condition `route` decides on), so the rows come from the case table's indexes, and the open
    task is looked up for the rows of the page only: a join to the task table for every
    candidate made the inbox several times slower than a plain list."""
    from viewflow.workflow.models import Task

    from .flows import OPEN

    task = Task.objects.filter(process__caseprocess__case=OuterRef("pk"), status__in=OPEN).order_by(
        "pk"
    )
    # a step named to someone else (an investigator, the reporter's 评价, a step handed on) is
    # theirs: the one inbox and the home card leave it out too
    task = task.filter(Q(owner__isnull=True) | Q(owner=user))
    return (
        _waiting_cases(user)
        .annotate(
            task_id=Subquery(task.values("pk")[:1]),
            task_node=Subquery(task.values("flow_task")[:1]),
            task_process_id=Subquery(task.values("process_id")[:1]),
        )
        .filter(task_id__isnull=False)
        .select_related("subject_unit", "accepting_unit", "category__parent", "grade")
        .order_by("created_at", "id")
    )


def _waiting_cases(user):
    """`inbox_cases` without its columns: the navigation counts from it on every page, and
    the three task subqueries cost more to build than the count costs to run."""
    from .flows import BODY_NODES, NODE_STATE, UNIT_NODES, node_q

    if not accounts_access.is_active_user(user):
        return Case.objects.none()
    caps = accounts_access.capabilities(user)
    q = Q(reporter=user) & node_q(["close"])
    named = named_case_ids(user)
    if named:
        q |= Q(pk__in=named) & node_q(NODE_STATE)
    units = case_units(user)
    if CaseCap.ACCEPT in caps:
        q |= Q(accepting_unit_id__in=units["accept"]) & node_q(BODY_NODES)
    if CaseCap.ACCEPT_COLLEGE in caps:
        q |= Q(accepting_unit_id=college_body().pk) & node_q(BODY_NODES)
    if CaseCap.COMMITTEE in caps:
        q |= _committee_q(user) & node_q(["approve"])
    assigned = investigated_case_ids(user)
    if assigned:
        q |= Q(pk__in=assigned) & node_q(["findings"])
    if CaseCap.RECTIFY in caps:
        # a notice's receipt (回执) is the receiving unit's own (access.receives): the units
        # above it see its rectification step, not the receipt
        issued = Q(Exists(Notice.objects.filter(case=OuterRef("pk"), status=Notice.Status.ISSUED)))
        q |= Q(responsible_unit_id__in=units["rectify"]) & node_q(UNIT_NODES) & ~issued
        q |= Q(responsible_unit_id__in=units["receive"]) & node_q(UNIT_NODES)
        # a unit below a department that nobody acts for: the department signs its receipt,
        # unless it issued the notice (access.receiving_unit)
        for pk, path in units["receive_for_below"]:
            q |= (
                Q(responsible_unit__path__startswith=path)
                & ~Q(responsible_unit_id=pk)
                & ~Q(accepting_unit_id=pk)
                & ~rectifiers_below_responsible()
                & node_q(UNIT_NODES)
            )
    return visible_cases(user).filter(q)


def _committee_q(user) -> Q:
    """The cases awaiting the committee whose vote `user` may still cast: their open round has
    them in its electorate and no vote of theirs (workflows.plans.committee), so a member who
    voted no longer sees the task while the others still do. A case whose round was not opened
    (awaiting the committee since before rounds were recorded) waits for every member: the
    first vote opens it."""
    from workflows.plans import committee
    from workflows.plans.models import CommitteeDecision

    opened = CommitteeDecision.objects.filter(
        content_type=ContentType.objects.get_for_model(Case),
        object_id=OuterRef("pk"),
        round=OuterRef("committee_round"),
    )
    return Q(pk__in=committee.open_subject_ids(user, Case)) | (
        Q(needs_committee=True) & ~Exists(opened)
    )


def my_vote(user, case: Case) -> dict:
    """The user's vote in the case's open committee round, as the vote form's initial data."""
    from workflows.plans import committee

    decision = committee.current_decision(case)
    vote = committee.votes_of(decision).filter(voter=user).first() if decision else None
    if vote is None:
        return {}
    return {"decision": "approve" if vote.approve else "send_back", "comment": vote.comment}


def committee_round(user, case: Case) -> dict | None:
    """The committee's latest round on the case, for its page: who may vote, who voted how and
    when, the approvals needed and who is still awaited. Shown to the committee and to whoever
    handles the case (the accepting body, the quality office), not to the reporter."""
    from workflows.plans import committee
    from workflows.plans.models import CommitteeDecision

    if not case.needs_committee and not case.committee_round:
        return None
    caps = accounts_access.capabilities(user)
    if not ({CaseCap.COMMITTEE, CaseCap.VIEW_ALL} & set(caps) or is_accepting_body(user, case)):
        return None
    decision = (
        CommitteeDecision.objects.filter(
            content_type=ContentType.objects.get_for_model(Case), object_id=case.pk
        )
        .order_by("-round")
        .first()
    )
    if decision is None:
        return None
    return {
        "decision": decision,
        "voters": committee.electorate_rows(decision),
        "tally": committee.tally(decision),
    }


def inbox_task_q(user) -> Q:
    """The engine inbox's pool of case tasks named to nobody: those of the cases `inbox_cases`
    puts in front of the user (tasks named to them are in the inbox already)."""
    from .flows import OPEN

    return Q(
        owner__isnull=True,
        status__in=OPEN,
        process__caseprocess__case__in=_waiting_cases(user).values("pk"),
    )


# the capabilities of the roles whose duty a case's steps are: accepting bodies, the committee,
# the units that rectify (anyone else acts on a case only when named: an investigator, 转办)
CASE_HANDLERS = (CaseCap.ACCEPT, CaseCap.ACCEPT_COLLEGE, CaseCap.COMMITTEE, CaseCap.RECTIFY)


def home_cards(user) -> list[Card]:
    if not accounts_access.is_active_user(user):
        return []
    from engine.selectors import inbox_card

    from .flows import CaseFlow

    handled = any(accounts_access.has_capability(user, cap) for cap in CASE_HANDLERS)
    return [
        inbox_card(user, CaseFlow, _("Cases waiting for me"), _("Nothing to do."), handled=handled)
    ]


def _median_days(pairs) -> float | None:
    values = [(end - start).total_seconds() / 86400 for start, end in pairs if start and end]
    return round(statistics.median(values), 1) if values else None


def recurrence_count(qs) -> int:
    """Cases whose unit and category already had a case within CASES_RECURRENCE_DAYS before."""
    window = timedelta(days=settings.CASES_RECURRENCE_DAYS)
    earlier = Case.objects.filter(
        subject_unit=OuterRef("subject_unit"),
        category=OuterRef("category"),
        created_at__lt=OuterRef("created_at"),
        created_at__gte=OuterRef("created_at") - window,
        confidential=False,
    )
    return qs.filter(category__isnull=False).filter(Exists(earlier)).count()


def dashboard_figures(user, since: datetime | None = None) -> dict:
    qs = visible_cases(user)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    by_month = [
        {"month": row["month"].strftime("%Y-%m"), "count": row["n"]}
        for row in qs.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    ]

    def group(field):
        return [
            {"name": row[field] or str(_("Not classified")), "count": row["n"]}
            for row in qs.values(field).annotate(n=Count("id")).order_by("-n")
        ]

    categories = Counter()
    for row in qs.values("category__name", "category__parent__name").annotate(n=Count("id")):
        top = row["category__parent__name"] or row["category__name"] or str(_("Not classified"))
        categories[top] += row["n"]
    total = qs.count()
    open_qs = qs.exclude(status__in=[S.CLOSED, S.WITHDRAWN, S.REFUSED])
    open_count = open_qs.count()
    overdue = open_qs.filter(overdue_q()).count()
    notices = Notice.objects.filter(case__in=qs.values("pk"))
    now = timezone.now()
    finished_notices = notices.filter(status=Notice.Status.ACCEPTED)
    due_notices = (
        finished_notices.count()
        + notices.exclude(status=Notice.Status.ACCEPTED).filter(due_at__lt=now).count()
    )
    on_time = sum(1 for a, d in finished_notices.values_list("accepted_at", "due_at") if a <= d)
    satisfaction = [s for s in qs.values_list("satisfaction", flat=True) if s]
    return {
        "total": total,
        "open": open_count,
        "by_month": by_month,
        "by_category": [{"name": k, "count": v} for k, v in categories.most_common()],
        "by_grade": group("grade__name"),
        "by_unit": group("subject_unit__name")[:15],
        "overdue": overdue,
        "overdue_rate": round(overdue / open_count, 3) if open_count else None,
        "median_days_to_acceptance": _median_days(qs.values_list("created_at", "accepted_at")),
        "median_days_to_closure": _median_days(
            qs.filter(status=S.CLOSED).values_list("created_at", "closed_at")
        ),
        "notices": notices.count(),
        "rectification_on_time_rate": round(on_time / due_notices, 3) if due_notices else None,
        "recurrences": recurrence_count(qs),
        "satisfaction_mean": round(statistics.mean(satisfaction), 2) if satisfaction else None,
    }


@dataclass
class HistoryEntry:
    """A line of the case's 办理记录 that is not a status reached (a StateLog row reads alike)."""

    timestamp: datetime
    by: object
    state_display: str
    description: str


def case_history(case: Case, user) -> list:
    """The case's 办理记录 as `user` reads it, oldest first: each status reached
    (django-fsm-log's rows) and each step handed on (转办, engine.selectors.reassignments: staff
    hand steps to staff, both named, but a hidden reporter handed a step stays hidden; the view
    hides who acted likewise)."""
    from django_fsm_log.models import StateLog

    from engine.selectors import reassignments

    from .access import person_display

    entries = list(StateLog.objects.for_(case).select_related("by").order_by("timestamp", "pk"))
    for entry in entries:
        entry.state_display = S(entry.state).label if entry.state in S.values else ""
    entries += [
        HistoryEntry(
            timestamp=r.timestamp,
            by=r.by,
            state_display=_("Reassign"),
            description=_("“%(step)s” handed to %(person)s: %(reason)s")
            % {
                "step": r.step,
                "person": person_display(user, case, r.to) if r.to else "—",
                "reason": r.reason,
            },
        )
        for r in reassignments(case)
    ]
    # stable: lines of one moment keep the order they were written in
    return sorted(entries, key=lambda e: e.timestamp)


def open_work_in_units(units) -> list:
    """Cases still under way that concern, are accepted by or are assigned to the units (an org
    unit cannot be closed under them; they are handed over on the case's own pages)."""
    from accounts.unit_work import Work

    from .models import FINISHED

    count = (
        Case.objects.exclude(status__in=FINISHED)
        .filter(
            Q(subject_unit__in=units) | Q(accepting_unit__in=units) | Q(responsible_unit__in=units)
        )
        .count()
    )
    return [Work(str(_("open cases")), count)]
