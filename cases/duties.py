"""The case process's steps for the separation-of-duties rules (engine.duties), who did each one
on a case, and who must act on a step when the rules leave the accepting body nobody."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import OrgUnit, Role
from engine import duties
from engine.text import sentences

from .models import Case, Notice, RectificationReport

PROCESS = "case"

_l = gettext_lazy
STEPS = {
    "file": _l("Filed the case (the reporter)"),
    "subject": _l("Person the case is about"),
    "accept": _l("Accept"),
    "classify": _l("Classify and grade"),
    "investigate": _l("Assign investigators"),
    "findings": _l("Investigate and record findings"),
    "determine": _l("Determine"),
    "issue_notice": _l("Issue a rectification notice"),
    "rectification_report": _l("Submit the rectification report"),
    "verify": _l("Verify the rectification"),
    "feedback": _l("Tell the reporter the outcome"),
}

# case action (cases.access.ACTIONS) -> the step the rules name
ACTION_STEP = {
    "accept": "accept",
    "refuse": "accept",
    "classify": "classify",
    "investigate": "investigate",
    "findings": "findings",
    "determine": "determine",
    "issue_notice": "issue_notice",
    "rectification_report": "rectification_report",
    "verify": "verify",
    "feedback": "feedback",
}
# the FSM transitions that record a step in the case's history
TRANSITIONS = {
    "accept": ("accept",),
    "classify": ("classify",),
    "investigate": ("start_investigation",),
    "determine": ("determine", "submit_for_approval"),
    "feedback": ("give_feedback",),
}
# steps of the accepting body that go up a level when the rules leave it nobody
BODY_STEPS = (
    "accept",
    "classify",
    "investigate",
    "determine",
    "issue_notice",
    "verify",
    "feedback",
)


def subject_people(case: Case):
    """The people a case is about: the named teacher and the responsible person, matched by
    their full names (the complaint form takes names as written)."""
    names = {n.strip() for n in (case.teacher_name, case.responsible_person) if n and n.strip()}
    if not names:
        return get_user_model().objects.none()
    return get_user_model().objects.filter(full_name__in=names)


def _reports(case: Case):
    return RectificationReport.objects.filter(notice__case=case)


def people(case: Case, step: str):
    if step == "file":
        return {case.reporter_id} if case.reporter_id else set()
    if step == "subject":
        # the recused are the people a case opened from a report is about: the rules on the
        # person a case is about (the investigator picker) leave them out as well
        return set(subject_people(case).values_list("pk", flat=True)) | set(case.recused_ids)
    if step == "findings":
        return set(case.investigators.values_list("pk", flat=True))
    if step == "issue_notice":
        return set(Notice.objects.filter(case=case).values_list("issued_by_id", flat=True))
    if step == "rectification_report":
        return set(_reports(case).values_list("submitted_by_id", flat=True))
    if step == "verify":
        verified = _reports(case).exclude(verified_by=None)
        return set(verified.values_list("verified_by_id", flat=True))
    if step in TRANSITIONS:
        from django_fsm_log.models import StateLog

        return set(
            StateLog.objects.for_(case)
            .filter(transition__in=TRANSITIONS[step])
            .exclude(by=None)
            .values_list("by_id", flat=True)
        )
    return set()


def units(case: Case, step: str):
    if step == "rectification_report":
        found = {case.responsible_unit_id} | set(
            Notice.objects.filter(case=case).values_list("recipient_unit_id", flat=True)
        )
        return list(OrgUnit.objects.filter(pk__in=[pk for pk in found if pk]))
    if step == "issue_notice":
        ids = Notice.objects.filter(case=case).values_list("issuer_unit_id", flat=True)
        return list(OrgUnit.objects.filter(pk__in=ids))
    if step == "subject":
        return [case.subject_unit]
    if step in STEPS:
        return [case.accepting_unit]
    return []


def register():
    duties.register(
        duties.Process(
            key=PROCESS, label=_l("Quality incident"), steps=STEPS, people=people, units=units
        )
    )


# who acts for a department as an accepting body
BODY_ROLES = (Role.DEPARTMENT_LEADER, Role.DEPARTMENT_MEMBER)


def body_people(unit: OrgUnit):
    """Who acts for an accepting body: a department's leader and quality group, else the
    quality office."""
    User = get_user_model()
    if unit.kind == OrgUnit.Kind.DEPARTMENT:
        roles, q = BODY_ROLES, Q(memberships__org_unit=unit)
    else:
        roles, q = (Role.QUALITY_OFFICER,), Q()
    return (
        User.objects.filter(q, memberships__role__in=roles, is_active=True)
        .distinct()
        .order_by("username")
    )


def levels(case: Case):
    """Who acts for the body, from the usual body up: the accepting body, its superior (the
    college's accepting body, the quality office, for a department), then the quality office.
    The recused are nobody's people: a body left with only them passes the step up."""
    from .routing import college_body

    college = college_body()
    chain = [case.accepting_unit]
    if case.accepting_unit_id != college.pk:
        chain.append(college)
    return [(unit, body_people(unit).exclude(pk__in=case.recused_ids)) for unit in chain]


def has_rules(step: str) -> bool:
    return bool(duties.rules_for(PROCESS, step))


def who_acts(case: Case, action: str) -> duties.Eligible | None:
    """The people who must do a body step of `case` (None for steps that are not the body's)."""
    step = ACTION_STEP.get(action)
    if step not in BODY_STEPS:
        return None
    return duties.eligible_people(process_key=PROCESS, step=step, obj=case, levels=levels(case))


@dataclass(frozen=True)
class Recusal:
    """A refusal that is not a rule of the table: it names no role, so nobody learns from it
    that the person filed the case."""

    description: str


RECUSAL = Recusal(gettext_lazy("Nobody handles a case they have a stake in (recusal)"))


# what a recused person still does on a case: read it, and their own acts as its reporter
_NOT_HANDLING = frozenset({"view", "withdraw", "rate"})


def is_recused(user, case: Case) -> bool:
    return getattr(user, "pk", None) in case.recused_ids


def refusal(user, case: Case, action: str):
    """What refuses `action` on `case` to `user`: their recusal from every step of the case (a
    neutral text that says nothing of why), else the first rule of the table."""
    if action not in _NOT_HANDLING and is_recused(user, case):
        return RECUSAL
    step = ACTION_STEP.get(action)
    if step is None:
        return None
    return duties.refusal(process_key=PROCESS, step=step, actor=user, obj=case)


def _names(people) -> str:
    return "、".join(f"{p}" for p in people)


def notes(user, case: Case) -> list[str]:
    """What the case page says about the open step's duties: that it went up a level and why,
    and, to someone a rule refuses, which rule and who acts instead."""
    from . import access
    from .flows import NODE_ACTIONS, next_node

    node = next_node(case)
    if node not in NODE_ACTIONS:
        return []
    action = NODE_ACTIONS[node][0]
    found = []
    eligible = who_acts(case, action)
    if eligible is not None and eligible.escalated:
        who = _names(eligible.people) or str(_("nobody"))
        found.append(sentences([eligible.reason(), _("To act: %(people)s.") % {"people": who}]))
    if access.ACTIONS[action](user, case):
        rule = refusal(user, case, action)
        if rule is not None:
            instead = eligible.people if eligible is not None else []
            text = duties.refused_text(rule)
            if instead:
                instead_text = _("To act instead: %(people)s.") % {"people": _names(instead)}
                text = sentences([text, instead_text])
            found.append(text)
    return found
