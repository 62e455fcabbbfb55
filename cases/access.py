"""Who may see and act on a case. Every page, API endpoint, export and notification of the cases
feature asks here: `visible_cases` for lists, `get_case` for one case (404 when the user may not
see it, 403 when they may see it but not act), `reporter_display` for the reporter's identity."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.http import Http404
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import OrgUnit
from engine.duties import DutyRefused
from engine.prepared import Prepared

from . import duties
from .models import RESPONSIBLE_STATES, Case, Notice
from .permissions import CaseCap


def case_units(user) -> dict[str, list[int]]:
    """The ids of the units where `user` acts on cases, from one small query kept on the user
    object for the request: `accept` (the departments whose cases they accept), `rectify` (the
    units they rectify for) and `receive` (of those, the units whose notices they sign for:
    `receives`; those a role acting for a responsible unit sits in and the units above them up
    to where it reaches). Lists then filter on indexed foreign-key columns instead of joining
    the org tree on every row."""
    cached = getattr(user, "_case_units", None)
    if cached is not None:
        return cached
    caps = access.capabilities(user)
    q = Q(pk__in=[])
    if CaseCap.ACCEPT in caps:
        q |= access.unit_filter(user, CaseCap.ACCEPT) & Q(kind=OrgUnit.Kind.DEPARTMENT)
    if CaseCap.RECTIFY in caps:
        q |= access.unit_filter(user, CaseCap.RECTIFY)
    # (with neither capability the filter is empty and Django sends no query)
    units = list(OrgUnit.objects.filter(q).only("pk", "path", "kind"))
    paths, held_at = set(), set()
    for g in access.grants(user):
        if CaseCap.RECTIFY in access.ROLE_CAPS.get(g.role, ()):
            paths |= {g.unit_path[:n] for n in range(OrgUnit.steplen, len(g.unit_path) + 1)}
            held_at.add(g.unit_path)
    rectify = [u for u in units if access.can(user, CaseCap.RECTIFY, u)]
    cached = user._case_units = {
        # the departments that sign for a unit below them nobody acts for (receiving_unit)
        "receive_for_below": [
            (u.pk, u.path)
            for u in rectify
            if u.kind == OrgUnit.Kind.DEPARTMENT and u.path in held_at
        ],
        "accept": [
            u.pk
            for u in units
            if u.kind == OrgUnit.Kind.DEPARTMENT and access.can(user, CaseCap.ACCEPT, u)
        ],
        "rectify": [u.pk for u in rectify],
        "receive": [u.pk for u in rectify if u.path in paths],
    }
    return cached


def investigated_case_ids(user) -> list[int]:
    """The cases `user` investigates."""
    return _my_cases(user)["investigated"]


def visible_cases(user):
    """Every case `user` may see, as one query on the case table (a few small lookups first,
    their number independent of the number of cases; no per-row checks)."""
    if not access.is_active_user(user):
        return Case.objects.none()
    caps = access.capabilities(user)
    ordinary = Q(confidential=False)
    q = Q(reporter=user)
    if CaseCap.VIEW_ALL in caps:
        return Case.objects.filter(q | ordinary).exclude(_recused_from(user))
    if CaseCap.ACCEPT in caps:
        q |= ordinary & Q(accepting_unit_id__in=case_units(user)["accept"])
    if CaseCap.RECTIFY in caps:
        units = case_units(user)["rectify"]
        q |= ordinary & Q(status__in=RESPONSIBLE_STATES, responsible_unit_id__in=units)
    assigned = investigated_case_ids(user)
    if assigned:
        q |= Q(pk__in=assigned)
    if CaseCap.COMMITTEE in caps:
        q |= ordinary & Q(needs_committee=True)
    if CaseCap.OVERSEE in caps:
        q |= ordinary & Q(kind=Case.Kind.COMPLAINT)
    held = held_case_ids(user)
    if held:
        q |= Q(pk__in=held)
    return Case.objects.filter(q).exclude(_recused_from(user))


def _recused_from(user) -> Q:
    # the people a case opened from a report is about do not follow it (回避): not in a list, a
    # count or a page
    return Q(recused_ids__holds_id=user.pk)


def held_case_ids(user) -> list[int]:
    """The cases whose open task `user` holds without a role of their own: reassigned to them
    (转办) or of someone they deputise for (代理): engine.holders."""
    return _my_cases(user)["held"]


def named_case_ids(user) -> list[int]:
    """The cases with an open task named to `user`."""
    return _my_cases(user)["named"]


def _my_cases(user) -> dict[str, list[int]]:
    """The cases tied to `user` in person (`named_case_ids`, `held_case_ids`,
    `investigated_case_ids`), from one query kept on the user object for the request: the
    inbox and the lists ask all three on every page."""
    if not hasattr(user, "_my_cases"):
        from engine import delegation

        found = {"named": set(), "held": set(), "investigated": set()}
        if access.is_active_user(user) and not delegation.absent_for(user):
            rows = _MY_CASES.rows(user.pk)
        else:
            rows = _my_cases_query(user)
        for case_id, *flags in rows:
            for kind, flag in zip(("named", "held", "investigated"), flags, strict=True):
                if flag:
                    found[kind].add(case_id)
        user._my_cases = {kind: sorted(ids) for kind, ids in found.items()}
    return user._my_cases


def _my_cases_query(user):
    from viewflow.workflow.status import PROCESS

    from engine import holders

    from .flows import OPEN, CaseFlow

    named = Q(owner=user, status__in=OPEN)
    held = holders.held_q(user) & Q(flow_task_type="HUMAN", process__status=PROCESS.NEW)
    no, yes = Value(False, BooleanField()), Value(True, BooleanField())
    tasks = (
        CaseFlow.task_class.objects.filter(named | held, process__caseprocess__isnull=False)
        .annotate(
            case_pk=F("process__caseprocess__case_id"),
            named=ExpressionWrapper(named, output_field=BooleanField()),
            held=ExpressionWrapper(held, output_field=BooleanField()),
            investigated=no,
        )
        .values_list("case_pk", "named", "held", "investigated")
    )
    investigated = (
        Case.investigators.through.objects.filter(user=user)
        .annotate(case_pk=F("case_id"), named=no, held=no, investigated=yes)
        .values_list("case_pk", "named", "held", "investigated")
    )
    # without the models' default ordering: SQLite refuses ORDER BY inside a UNION's parts
    return tasks.order_by().union(investigated.order_by(), all=True)


def _anyone_standing_in_for_nobody(pk):
    from accounts.models import User

    person = User(pk=pk, is_active=True)
    person._absent_for = []  # engine.delegation: deputises for nobody today
    return _my_cases_query(person)


# Asked on every page (the navigation's inbox count): building and compiling the union cost
# ~3 ms of Python, running it a fraction of that. Its SQL is the same for everyone who stands in
# for nobody, so it is compiled once per process; a deputy's has their absent people in it.
_MY_CASES = Prepared(_anyone_standing_in_for_nobody)


# the reporter's own acts: never done for them by whoever holds a task
_PERSONAL = frozenset({"withdraw", "rate"})
# what holding a task lets one do: its own step and that step's other outcome, never the
# body's other decisions on the same page (transfer, escalate, determine)
HELD_ACTIONS = {"accept": ("accept", "refuse")}


def held_actions(user, case: Case) -> set[str]:
    """The actions of the case's open task that `user` holds (engine.holders: named to them by
    转办, or a deputy's), kept on the case object for the request."""
    cache = case.__dict__.setdefault("_held_actions", {})
    if user.pk not in cache:
        from engine import holders

        from .flows import NODE_ACTIONS

        found = set()
        for task in holders.open_tasks(case):
            name = task.flow_task.name
            # the reporter's rating task is theirs alone: holding it gives nothing more
            reporters = task.owner_id is not None and task.owner_id == case.reporter_id
            if name not in NODE_ACTIONS or reporters:
                continue
            if holders.acting_for(user, task):
                found |= _step_actions(name, NODE_ACTIONS)
        cache[user.pk] = found
    return cache[user.pk]


def handed_away(user, case: Case, action: str) -> bool:
    """Was the open task that `action` completes handed on (转办) to someone `user` does not act
    for? Then their role no longer lets them do it (engine.holders.may_do): neither its step nor
    the body's other decisions at that step (a transfer, an escalation), which would complete
    the task under its holder's name."""
    from engine import holders

    from .flows import NODE_ACTIONS

    return any(
        action in set(NODE_ACTIONS.get(task.flow_task.name, ())) - _PERSONAL
        for task in holders.handed_away_tasks(case, user)
    )


def _step_actions(name: str, node_actions) -> set[str]:
    """The actions that are the task's step itself (the body's other decisions on the same page
    stay the body's), the reporter's own acts excepted."""
    return set(HELD_ACTIONS.get(name, node_actions.get(name, ())[:1])) - _PERSONAL


def is_accepting_body(user, case: Case) -> bool:
    """The department's quality group for department cases, the quality office otherwise."""
    if case.accepting_unit.kind == OrgUnit.Kind.DEPARTMENT:
        return access.can(user, CaseCap.ACCEPT, case.accepting_unit)
    return access.can(user, CaseCap.ACCEPT_COLLEGE, case.accepting_unit)


def is_responsible(user, case: Case) -> bool:
    return (
        case.responsible_unit_id is not None
        and case.status in RESPONSIBLE_STATES
        and access.can(user, CaseCap.RECTIFY, case.responsible_unit)
    )


def rectifying_roles() -> list[str]:
    """The roles that act for a responsible unit (sign a notice's receipt, rectify)."""
    return [role for role, caps in access.ROLE_CAPS.items() if CaseCap.RECTIFY in caps]


def _rectifiers_in_or_below(path_expression) -> Exists:
    """Someone active holds a role that acts for a unit at or below the unit whose path
    `path_expression` is (a path, or an OuterRef to one)."""
    from accounts.models import Membership

    return Exists(
        Membership.objects.filter(
            role__in=rectifying_roles(),
            user__is_active=True,
            org_unit__is_active=True,
            org_unit__path__startswith=path_expression,
        )
    )


def rectifiers_below_responsible() -> Exists:
    """For a case list: someone acts for the case's responsible unit in it or below it."""
    return _rectifiers_in_or_below(OuterRef("responsible_unit__path"))


def receiving_unit(case: Case) -> tuple[OrgUnit, bool]:
    """The unit whose people sign a notice's receipt (回执), and whether its units below sign
    too: the responsible unit and the units below it; when nobody there acts for it (a major
    without a team leader), the department above it alone, unless that department is the
    accepting body that issued the notice (it does not sign for its own notice)."""
    unit = case.responsible_unit
    if OrgUnit.objects.filter(_rectifiers_in_or_below(unit.path), pk=unit.pk).exists():
        return unit, True
    department = unit.department()
    if department is not None and department.pk not in (unit.pk, case.accepting_unit_id):
        return department, False
    return unit, True


def receives(user, case: Case) -> bool:
    """The receiving unit's people sign a notice's receipt (回执) (`receiving_unit`): a role
    that acts for the responsible unit held in it or in a unit below it, not the department
    that issued the notice above it; the department above when the unit has nobody."""
    if not is_responsible(user, case):
        return False
    unit, below = receiving_unit(case)
    return any(
        (g.unit_path.startswith(unit.path) if below else g.unit_path == unit.path)
        and CaseCap.RECTIFY in access.ROLE_CAPS.get(g.role, ())
        for g in access.grants(user)
    )


def receivers(case: Case):
    """Who is told of a notice and of its rectification returned: the people who sign its
    receipt (`receiving_unit`)."""
    from django.contrib.auth import get_user_model

    unit, below = receiving_unit(case)
    where = (
        Q(memberships__org_unit__path__startswith=unit.path)
        if below
        else Q(memberships__org_unit=unit)
    )
    return (
        get_user_model()
        .objects.filter(
            where,
            memberships__role__in=rectifying_roles(),
            memberships__org_unit__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def is_investigator(user, case: Case) -> bool:
    return case.investigators.filter(pk=user.pk).exists()


def is_reporter(user, case: Case) -> bool:
    return case.reporter_id is not None and case.reporter_id == user.pk


def in_the_vote(user, case: Case) -> bool:
    """Is `user` entitled to vote in the case's open committee round? Someone who joined the
    committee mid-vote, or is recused, votes from the next round (workflows.plans.committee); with
    no round open yet, every member is (the round opens with them)."""
    from workflows.plans import committee

    if not hasattr(case, "_round"):
        case._round = committee.current_decision(case)
    decision = case._round
    return decision is None or decision.approved is not None or user.pk in decision.electorate


# action -> who may do it (the case's state is checked by the service through the FSM)
ACTIONS = {
    "view": lambda u, c: True,
    "withdraw": is_reporter,
    "rate": is_reporter,
    "accept": is_accepting_body,
    "refuse": is_accepting_body,
    "transfer": is_accepting_body,
    "escalate": lambda u, c: (
        c.accepting_unit.kind == OrgUnit.Kind.DEPARTMENT and is_accepting_body(u, c)
    ),
    "classify": is_accepting_body,
    "investigate": is_accepting_body,
    "findings": lambda u, c: is_accepting_body(u, c) or is_investigator(u, c),
    "determine": is_accepting_body,
    "approve": lambda u, c: (
        c.needs_committee and access.can(u, CaseCap.COMMITTEE, c) and in_the_vote(u, c)
    ),
    "issue_notice": is_accepting_body,
    "receipt": receives,
    "rectification_report": is_responsible,
    "verify": is_accepting_body,
    "feedback": is_accepting_body,
    "close": is_accepting_body,
    "reopen": lambda u, c: access.can(u, CaseCap.ACCEPT_COLLEGE, c.accepting_unit),
    "attach": lambda u, c: is_reporter(u, c) or is_accepting_body(u, c) or is_investigator(u, c),
}


def may(user, case: Case, action: str) -> bool:
    """May `user` do `action` on `case`: their role says so and no separation-of-duties rule
    forbids it (cases.duties); or the rules left the accepting body nobody for the step, and it
    went up to a body `user` acts for."""
    check = ACTIONS.get(action)
    if check is None:
        raise KeyError(f"unknown case action {action!r}")
    if not access.is_active_user(user):
        return False
    if check(user, case) and not handed_away(user, case, action):
        return duties.refusal(user, case, action) is None
    if escalated_to(user, case, action):
        return True
    # whoever holds the open task (转办, 代理) does its step, as the rules allow
    return action in held_actions(user, case) and duties.refusal(user, case, action) is None


def escalated_to(user, case: Case, action: str) -> bool:
    """Did the step go up to a level `user` belongs to? (Only the quality office is above a
    body, so nobody else pays for the look-up.)"""
    if action not in duties.ACTION_STEP or not access.has_capability(user, CaseCap.ACCEPT_COLLEGE):
        return False
    eligible = duties.who_acts(case, action)
    return eligible is not None and eligible.escalated and user in eligible.people


def require(user, case: Case, action: str) -> None:
    if may(user, case, action):
        return
    if access.is_active_user(user) and (
        ACTIONS[action](user, case) or action in held_actions(user, case)
    ):
        rule = duties.refusal(user, case, action)
        if rule is not None:
            raise DutyRefused(rule)
    raise PermissionDenied(_("You may not do this on this case."))


_CASE_PAGE = (
    "accepting_unit",
    "subject_unit",
    "responsible_unit",
    "reporter",
    "category",
    "grade",
    "suggested_grade",
)


def get_case(user, pk, action: str = "view", *, for_update: bool = False) -> Case:
    """The case if `user` may see it (else 404) and do `action` on it (else 403)."""
    case = visible_cases(user).select_related(*_CASE_PAGE).filter(pk=pk).first()
    if case is None and action == "view":
        # whoever a step was handed to (转办, 代理) lands on the case after doing it
        from engine import holders

        case = Case.objects.select_related(*_CASE_PAGE).filter(pk=pk).first()
        if case is not None and not holders.took_part(case, user):
            case = None
    # the people a case opened from a report is about do not follow it (回避)
    if case is None or duties.is_recused(user, case):
        raise Http404
    require(user, case, action)
    return case


def get_notice(user, pk, action: str = "view") -> Notice:
    notice = Notice.objects.select_related("case").filter(pk=pk).first()
    if notice is None:
        raise Http404
    case = get_case(user, notice.case_id, "view")
    require(user, case, action)
    notice.case = case
    return notice


def can_see_reporter(user, case: Case) -> bool:
    """The reporter's identity. A reporter who chose "hide my identity from the unit concerned"
    is seen by nobody but themselves: for a department complaint the accepting body IS the unit
    concerned, and the oversight roles promised not to learn hidden identities either. Otherwise
    everyone who may see the case sees who filed it."""
    if is_reporter(user, case):
        return True
    return not case.reporter_hidden


def hides_actor(actor, case: Case) -> bool:
    """Is `actor` the hidden reporter of `case`? Their own steps (filing, rating, withdrawing,
    adding files) are then recorded without their name in the audit trail and the history."""
    return (
        case.reporter_hidden
        and actor is not None
        and case.reporter_id is not None
        and getattr(actor, "pk", None) == case.reporter_id
    )


def reporter_display(user, case: Case) -> str:
    if case.reporter_id is None:
        return _("Anonymous")
    if not can_see_reporter(user, case):
        return _("(hidden)")
    return str(case.reporter)


def person_display(user, case: Case, person) -> str:
    """A person as `user` may read them on `case`'s pages (who took a step, who handed one on,
    to whom): the hidden reporter stays hidden in whatever role they appear."""
    if person.pk == case.reporter_id and not can_see_reporter(user, case):
        return reporter_display(user, case)
    return str(person)


def can_download_attachment(user, obj) -> bool:
    """engine.attachments asks here for files on cases, notices and rectification reports."""
    case_id = obj.pk if isinstance(obj, Case) else getattr(obj, "case_id", None)
    if case_id is None:
        case_id = obj.notice.case_id
    # files of anonymous and hidden reporters were cleaned of names and metadata on upload
    return visible_cases(user).filter(pk=case_id).exists()
