"""Every write on cases and notices. Each service checks access first, locks the case row, takes
the FSM transition, writes the audit row and queues notifications in one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from accounts import access as accounts_access
from accounts.audit import audit_record
from accounts.models import OrgUnit, Role
from engine import attachments, deadlines, notifications, sequences, task_writes, write_batch
from engine import duties as engine_duties
from engine import text as engine_text
from engine.errors import WrongState
from engine.models import Deadline
from engine.prepared import Prepared
from workflows.plans import committee

from . import access, flows, routing
from . import duties as case_duties
from .confidential import intake
from .models import (
    RATING_KIND,
    Approver,
    Case,
    Category,
    Grade,
    MatrixCell,
    Notice,
    RectificationReport,
)
from .models import Status as S
from .permissions import CaseCap

deadlines.register_kind("case.acceptance", label=gettext_lazy("Case acceptance"))
deadlines.register_kind("case.investigation", label=gettext_lazy("Investigation"))
deadlines.register_kind("notice.rectification", label=gettext_lazy("Rectification"))


class TransitionNotAllowed(Exception):
    """The case is not in a state that allows the step; `allowed` lists what the user may do."""

    def __init__(self, case: Case, action: str, allowed: list[str]):
        self.case, self.action, self.allowed = case, action, allowed
        super().__init__(self.named(action))

    def named(self, label) -> str:
        """The refusal naming the step by `label` (a page names it as its button does; the
        action's code never reaches a page)."""
        return _("“%(action)s” is not possible while the case is “%(status)s”.") % {
            "action": label,
            "status": self.case.get_status_display(),
        }


# action -> the FSM transition it takes (for the "allowed actions" answer)
ACTION_TRANSITIONS = {
    "withdraw": "withdraw",
    "accept": "accept",
    "refuse": "refuse",
    "transfer": "transfer",
    "escalate": "transfer",
    "classify": "classify",
    "investigate": "start_investigation",
    "determine": "submit_for_approval",
    "issue_notice": "issue_notice",
    "feedback": "give_feedback",
    "close": "close",
    "rate": "close",
    "reopen": "reopen",
}
# actions that are not one transition of the case: allowed in these states
ACTION_STATES = {
    "approve": {S.AWAITING_APPROVAL},
    "findings": {S.INVESTIGATING},
    "receipt": {S.RECTIFYING, S.VERIFYING},
    "rectification_report": {S.RECTIFYING, S.VERIFYING},
    "verify": {S.VERIFYING},
    "attach": {s for s in S.values if s not in (S.CLOSED, S.WITHDRAWN, S.REFUSED)},
}


def _state_allows(case: Case, action: str) -> bool:
    if action in ACTION_STATES:
        return case.status in ACTION_STATES[action]
    name = ACTION_TRANSITIONS.get(action)
    if name == "submit_for_approval":
        return case.status == S.INVESTIGATING
    return name is not None and can_proceed(getattr(case, name))


def allowed_actions(user, case: Case) -> list[str]:
    """What `user` may do on `case` now (buttons on the page, the 409 answer of the API)."""
    return [
        a
        for a in list(ACTION_TRANSITIONS) + list(ACTION_STATES)
        if _state_allows(case, a) and access.may(user, case, a)
    ]


# of=("self",): lock the case row only, never the org units joined for the access check
# (every college case shares one accepting unit: locking it would serialise them all)
_locked_case = Prepared(
    lambda pk: (
        Case.objects.select_for_update(of=("self",))
        # the reporter: every step that tells them reads it
        .select_related("accepting_unit", "subject_unit", "reporter")
        .filter(pk=pk)
    )
)


def _step(actor, case: Case, action: str) -> Case:
    """Lock the row and the case's open tasks (in one round trip), decide access on what is
    locked (403: nothing was written yet), then check the state (409). Deciding on the locked row
    means a transfer that just happened counts."""
    found, tasks = flows.lock_case_and_open_tasks(_locked_case, case.pk)
    if not found:
        raise Case.DoesNotExist
    locked = found[0]
    locked._tasks = tasks
    access.require(actor, locked, action)
    if not _state_allows(locked, action):
        raise TransitionNotAllowed(locked, action, allowed_actions(actor, locked))
    return locked


def _step_service(service):
    """A step on a case: one transaction, in which the writes nobody reads back (the history and
    audit rows, the deadline closed) go with the next statement (engine.write_batch)."""
    return transaction.atomic(write_batch.batch()(service))


def _recorded(actor, case: Case):
    """Who the history and the audit trail name for a step: nobody when the actor is the
    reporter who hid their identity."""
    return None if access.hides_actor(actor, case) else actor


def _fire(case: Case, name: str, actor, description: str = ""):
    getattr(case, name)(by=_recorded(actor, case), description=description or None)
    case._fired = True


def _advance(actor, case: Case, action: str) -> None:
    """Complete the case's open viewflow task and open the next one, in this transaction."""
    flows.advance(
        case,
        _recorded(actor, case),
        action,
        fired=getattr(case, "_fired", False),
        tasks=getattr(case, "_tasks", None),
    )


def _audit(actor, case: Case, action: str, before: str, **after):
    """The end of every step on a case: its audit row, and the process catching up with it."""
    audit_record(
        actor=_recorded(actor, case),
        record_ip=not case.reporter_hidden,
        action=f"case.{action}",
        obj=case,
        before={"status": before},
        after={"status": case.status, **after},
    )
    _advance(actor, case, action)


# --- who hears about it ----------------------------------------------------------------------


def body_members(case: Case):
    unit = case.accepting_unit
    if unit.kind == OrgUnit.Kind.DEPARTMENT:
        return list(notifications.role_holders(Role.DEPARTMENT_LEADER, unit)) + list(
            notifications.role_holders(Role.DEPARTMENT_MEMBER, unit)
        )
    return list(notifications.role_holders(Role.QUALITY_OFFICER))


def committee_members():
    return list(notifications.role_holders(Role.COMMITTEE_CHAIR)) + list(
        notifications.role_holders(Role.COMMITTEE_MEMBER)
    )


def _tell(kind: str, recipients, case: Case, key: str, obj=None, **context):
    if case.recused_ids:  # the people the case is about hear nothing of it (回避)
        recipients = [r for r in recipients if r.pk not in case.recused_ids]
    notifications.notify(
        kind=kind,
        recipients=recipients,
        obj=obj or case,
        url=case.get_absolute_url(),
        context={"case": case, **context},
        dedup_key=f"{kind}:{case.pk}:{key}",
    )


def _tell_reporter(kind: str, case: Case, key: str, **context):
    # Hidden reporters too: the kinds of cases.messages.TO_REPORTER are confidential, so the
    # outbox shows nobody but the recipient who was told.
    if case.reporter_id:
        _tell(kind, [case.reporter], case, key, **context)


# --- intake ----------------------------------------------------------------------------------


def _next_number(now: datetime) -> str:
    year = timezone.localtime(now).year
    return f"ZL-{year}-{sequences.next_value(f'case-{year}'):05d}"


def _acceptance_days(category: Category | None) -> int:
    if category is not None:
        cell = (
            MatrixCell.objects.filter(category=category, grade__is_active=True)
            .order_by("grade__rank")
            .first()
        )
        if cell is not None:
            return cell.acceptance_days
    return settings.CASES_DEFAULT_ACCEPTANCE_DAYS


def _clean_units(subject_unit, other_units):
    for unit in [subject_unit, *other_units]:
        if (
            unit is None
            or not isinstance(unit, OrgUnit)
            or not unit.is_active
            or unit.kind == OrgUnit.Kind.COMMITTEE
        ):
            raise ValidationError({"subject_unit": _("Choose an existing, active unit.")})


def _store_upload(actor, case: Case, upload, index: int):
    """A file from someone who must stay unknown (no reporter, or a hidden one) is cleaned of
    its metadata and name and recorded without an uploader; other files are kept as given."""
    if case.reporter_id is None or access.hides_actor(actor, case):
        return intake.store_upload(obj=case, upload=upload, index=index)
    return attachments.attach(actor=actor, obj=case, upload=upload)


@transaction.atomic
def case_file(
    *,
    actor,
    kind: str,
    title: str,
    description: str,
    subject_unit: OrgUnit,
    other_units=(),
    category: Category | None = None,
    suggested_grade: Grade | None = None,
    reporter_hidden: bool = False,
    anonymous: bool = False,
    idempotency_key: uuid.UUID | None = None,
    derived_key: bool = False,
    uploads=(),
    **details,
) -> Case:
    """File a complaint or incident report, or raise a case from a warning / self-inspection.
    Submitting twice with the same `idempotency_key` returns the first case: to the person who
    filed it, or to anyone when the key is derived from the source (`derived_key`: one case per
    warning, whoever raises it)."""
    needed = {
        Case.Kind.COMPLAINT: CaseCap.FILE,
        Case.Kind.REPORT: CaseCap.REPORT,
        Case.Kind.WARNING: CaseCap.RAISE,
        Case.Kind.SELF_INSPECTION: CaseCap.RAISE,
    }[kind]
    if actor is not None:
        accounts_access.require(actor, needed)
    if idempotency_key is not None:
        existing = Case.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _filed_before(existing, actor, derived_key)
    _clean_units(subject_unit, other_units)
    # files of someone who stays unknown are cleaned later: refuse what cannot be cleaned now
    check = intake.validate_upload if anonymous or reporter_hidden else attachments.validate_upload
    for upload in uploads:
        check(upload)
    now = timezone.now()
    accepting = routing.route(
        subject_unit, other_units, suggested_grade, recused=details.get("recused_ids", ())
    )
    case = Case(
        number="",
        kind=kind,
        title=title,
        description=description,
        subject_unit=subject_unit,
        accepting_unit=accepting,
        category=category,
        suggested_grade=suggested_grade,
        reporter=None if anonymous else actor,
        reporter_hidden=reporter_hidden,
        idempotency_key=idempotency_key,
        **details,
    )
    case.full_clean(exclude=["number", "status"])
    case.number = _next_number(now)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # the same token submitted twice at once: the other request created the case
        existing = Case.objects.filter(idempotency_key=idempotency_key).first()
        if idempotency_key is None or existing is None:
            raise
        return _filed_before(existing, actor, derived_key)
    if other_units:
        case.other_units.set(other_units)
    for index, upload in enumerate(uploads, start=1):
        _store_upload(actor, case, upload, index)
    deadlines.deadline_start(
        obj=case,
        kind="case.acceptance",
        owner_unit=accepting,
        working_days=_acceptance_days(category),
        start=now,
    )
    flows.start(case)
    audit_record(
        actor=_recorded(actor, case),
        action="case.file",
        obj=case,
        after={"status": case.status, "kind": kind, "accepting_unit": accepting.pk},
        record_ip=not case.reporter_hidden,
    )
    _tell("case.filed", body_members(case), case, "filed")
    return case


def _filed_before(case: Case, actor, derived_key: bool) -> Case:
    """The case a repeated submission filed. A key the client chose (the filing form's, the
    API's) returns it only to its reporter: another person's key must not hand them someone
    else's case."""
    if derived_key or (actor is not None and case.reporter_id == actor.pk):
        return case
    raise ValidationError(
        {
            "idempotency_key": _(
                "This submission token was already used by another filing. Submit again to "
                "file with a new one."
            )
        }
    )


def _raise(*, actor, kind, title, unit, description, source_key, **details) -> Case:
    key = (
        uuid.uuid5(uuid.NAMESPACE_URL, f"zhengai-case:{kind}:{source_key}") if source_key else None
    )
    return case_file(
        actor=actor,
        kind=kind,
        title=title[:120],
        description=description or title,
        subject_unit=unit,
        idempotency_key=key,
        derived_key=True,
        **details,
    )


def case_raise_from_warning(
    *,
    actor,
    warning_title: str,
    unit: OrgUnit,
    indicator: str = "",
    description: str = "",
    source_key: str | None = None,
    category: Category | None = None,
    suggested_grade: Grade | None = None,
) -> Case:
    """Open a case on a monitoring warning (预警). `source_key` (e.g. the warning's id) makes the
    call idempotent: raising twice from the same warning returns the first case. `actor` may be
    None when the system raises it."""
    text = description or warning_title
    if indicator:
        text = f"{_('Indicator')}: {indicator}\n{text}"
    return _raise(
        actor=actor,
        kind=Case.Kind.WARNING,
        title=warning_title,
        unit=unit,
        description=text,
        source_key=f"warning:{source_key}" if source_key else None,
        category=category,
        suggested_grade=suggested_grade,
    )


def case_raise_from_self_inspection(
    *,
    actor,
    title: str,
    unit: OrgUnit,
    description: str = "",
    source_key: str | None = None,
    category: Category | None = None,
    suggested_grade: Grade | None = None,
) -> Case:
    """Open a case on a problem found in self-inspection (自查自纠)."""
    return _raise(
        actor=actor,
        kind=Case.Kind.SELF_INSPECTION,
        title=title,
        unit=unit,
        description=description,
        source_key=f"self:{source_key}" if source_key else None,
        category=category,
        suggested_grade=suggested_grade,
    )


def case_open_from_report(
    *, actor, title: str, description: str, org_unit=None, recused=()
) -> Case:
    """The discipline office opens an ordinary case from a confidential report (the hook
    cases.confidential.hooks.open_quality_case). Only the redacted title and text cross over,
    and the people the report is about, who take no step of the case (`recused`, 回避): the
    case has no reporter and nothing that leads back to the report."""
    return case_file(
        actor=actor,
        kind=Case.Kind.COMPLAINT,
        title=title,
        description=description,
        subject_unit=org_unit or routing.college_body(),
        anonymous=True,
        source=Case.Source.DISCIPLINE,
        recused_ids=sorted({person.pk for person in recused}),
    )


@transaction.atomic
def case_attach(*, actor, case: Case, upload) -> None:
    case = _step(actor, case, "attach")
    index = attachments.attachments_for(case).count() + 1
    attachment = _store_upload(actor, case, upload, index)
    audit_record(
        actor=_recorded(actor, case),
        action="case.attach",
        obj=case,
        after={"file": attachment.pk},
        record_ip=not case.reporter_hidden,
    )


# --- acceptance ------------------------------------------------------------------------------


@_step_service
def case_withdraw(*, actor, case: Case, reason: str = "") -> Case:
    case = _step(actor, case, "withdraw")
    before = case.status
    _fire(case, "withdraw", actor, reason)
    case.closed_at = timezone.now()
    case.save()
    deadlines.deadline_cancel(obj=case, kind="case.acceptance")
    _audit(actor, case, "withdraw", before, reason=reason)
    return case


@_step_service
def case_accept(*, actor, case: Case) -> Case:
    case = _step(actor, case, "accept")
    before = case.status
    _fire(case, "accept", actor)
    case.accepted_at = timezone.now()
    task_writes.save_transition(case, ["status", "accepted_at", "updated_at"])
    deadlines.deadline_complete(obj=case, kind="case.acceptance")
    # told before the audit row and the hand-over: its row waits in the batch and goes with the
    # hand-over's statement, the step's last round trip before the commit
    _tell_reporter("case.accepted", case, "accepted")
    _audit(actor, case, "accept", before)
    return case


@_step_service
def case_refuse(*, actor, case: Case, reason: str) -> Case:
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for refusing the case.")})
    case = _step(actor, case, "refuse")
    before = case.status
    # before the transition: whoever hears of it (cases.apps) reads the reason with it
    case.refusal_reason = reason
    _fire(case, "refuse", actor, reason)
    case.closed_at = timezone.now()
    case.save()
    deadlines.deadline_complete(obj=case, kind="case.acceptance")
    _audit(actor, case, "refuse", before, reason=reason)
    _tell_reporter("case.refused", case, f"refused:{case.reopen_count}", reason=reason)
    return case


@_step_service
def case_transfer(*, actor, case: Case, to_unit: OrgUnit, reason: str, action="transfer") -> Case:
    """Hand the case to the other accepting body (a department escalating to the college is a
    transfer to the quality office)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the transfer.")})
    case = _step(actor, case, action)
    if to_unit.pk == case.accepting_unit_id:
        raise ValidationError({"to_unit": _("The case is already with this body.")})
    if to_unit.pk in routing.recused_bodies(case.recused_ids):
        raise ValidationError({"to_unit": engine_text.closed(case_duties.RECUSAL.description)})
    if not routing.transfer_targets(case).filter(pk=to_unit.pk).exists():
        raise ValidationError({"to_unit": _("Choose a department or the quality office.")})
    before, from_unit = case.status, case.accepting_unit
    _fire(case, "transfer", actor, reason)
    case.accepting_unit = to_unit
    case.accepted_at = None
    case.save()
    deadlines.deadline_start(
        obj=case,
        kind="case.acceptance",
        owner_unit=to_unit,
        working_days=_acceptance_days(case.category),
    )
    _audit(actor, case, action, before, reason=reason, **{"from": from_unit.pk, "to": to_unit.pk})
    _tell("case.transferred", body_members(case), case, f"to:{to_unit.pk}:{timezone.now():%s}")
    return case


def case_escalate(*, actor, case: Case, reason: str) -> Case:
    return case_transfer(
        actor=actor, case=case, to_unit=routing.college_body(), reason=reason, action="escalate"
    )


# --- classification, investigation, determination -------------------------------------------


def _cell(category: Category, grade: Grade) -> MatrixCell:
    cell = (
        MatrixCell.objects.filter(
            category=category,
            grade=grade,
            grade__is_active=True,
            category__is_active=True,
        )
        .select_related("grade", "category")
        .first()
    )
    if cell is None:
        raise ValidationError({"grade": _("This grade is not in the matrix for this category.")})
    return cell


def _apply_cell(case: Case, cell: MatrixCell) -> None:
    case.category, case.grade = cell.category, cell.grade
    case.rules = cell.snapshot()
    case.needs_committee = cell.approver == Approver.COMMITTEE


@_step_service
def case_classify(*, actor, case: Case, category: Category, grade: Grade) -> Case:
    cell = _cell(category, grade)
    case = _step(actor, case, "classify")
    before = case.status
    _apply_cell(case, cell)
    _fire(case, "classify", actor, f"{category} / {grade}")
    # a department that grades a case at the college's level hands it up (两级受理)
    escalated = False
    if case.accepting_unit.kind == OrgUnit.Kind.DEPARTMENT:
        target = routing.route(case.subject_unit, list(case.other_units.all()), grade)
        if target.pk != case.accepting_unit_id and target.kind != OrgUnit.Kind.DEPARTMENT:
            case.accepting_unit = target
            escalated = True
    case.save()
    _audit(
        actor, case, "classify", before, category=category.pk, grade=grade.pk, escalated=escalated
    )
    if escalated:
        _tell("case.transferred", body_members(case), case, f"graded:{grade.pk}")
    if case.rules.get("inform_committee"):
        _tell("case.informed", committee_members(), case, f"classified:{grade.pk}")
    if case.rules.get("inform_discipline"):
        _tell(
            "case.informed",
            notifications.role_holders(Role.DISCIPLINE_OFFICER),
            case,
            f"classified:{grade.pk}",
        )
    return case


def _check_investigators(case: Case, investigators) -> None:
    """Nobody a separation-of-duties rule keeps off the investigation (the person the case is
    about, the reporter…) may be named: the form's error says which rule, for whom."""
    errors = []
    for person in investigators:
        rule = engine_duties.refusal(
            process_key=case_duties.PROCESS, step="findings", actor=person, obj=case
        )
        if rule is not None:
            errors.append(
                _("%(person)s may not investigate this case: %(rule)s")
                % {"person": person, "rule": rule.description}
            )
    if errors:
        raise ValidationError({"investigators": errors})


@_step_service
def case_start_investigation(*, actor, case: Case, investigators) -> Case:
    investigators = [u for u in investigators if u is not None and u.is_active]
    if not investigators:
        raise ValidationError({"investigators": _("Assign at least one investigator.")})
    case = _step(actor, case, "investigate")
    _check_investigators(case, investigators)
    before = case.status
    _fire(case, "start_investigation", actor)
    case.save()
    case.investigators.set(investigators)
    deadlines.deadline_start(
        obj=case,
        kind="case.investigation",
        owner_unit=case.accepting_unit,
        working_days=case.rules.get("investigation_days", 10),
    )
    _audit(actor, case, "investigate", before, investigators=[u.pk for u in investigators])
    _tell("case.assigned", investigators, case, f"assigned:{case.reopen_count}")
    return case


@_step_service
def case_record_findings(
    *,
    actor,
    case: Case,
    findings: str,
    interview_notes: str = "",
    responsible_unit: OrgUnit | None = None,
    responsible_person: str = "",
    uploads=(),
) -> Case:
    for upload in uploads:
        attachments.validate_upload(upload)
    case = _step(actor, case, "findings")
    before = {
        "findings": case.findings,
        "responsible_unit": case.responsible_unit_id,
        "responsible_person": case.responsible_person,
    }
    case.findings = findings
    case.interview_notes = interview_notes
    if responsible_unit is not None:
        case.responsible_unit = responsible_unit
    case.responsible_person = responsible_person
    case.full_clean(exclude=["status"])
    case.save()
    for upload in uploads:
        attachments.attach(actor=actor, obj=case, upload=upload)
    audit_record(
        actor=actor,
        action="case.findings",
        obj=case,
        before=before,
        after={
            "findings": findings,
            "responsible_unit": case.responsible_unit_id,
            "responsible_person": responsible_person,
        },
    )
    _advance(actor, case, "findings")
    return case


@_step_service
def case_determine(
    *,
    actor,
    case: Case,
    grade: Grade,
    responsible_unit: OrgUnit,
    responsible_person: str,
    findings: str,
) -> Case:
    """认定: grade, responsibility, findings. A grade whose cell needs the committee goes to the
    committee for approval first."""
    if responsible_unit is None or not responsible_unit.is_active:
        raise ValidationError({"responsible_unit": _("Choose an existing, active unit.")})
    if not findings.strip():
        raise ValidationError({"findings": _("Record the findings.")})
    case = _step(actor, case, "determine")
    # determined before the investigators recorded findings: their step closes with it
    findings_open = not case.findings.strip()
    cell = _cell(case.category, grade)
    before = case.status
    _apply_cell(case, cell)
    case.responsible_unit = responsible_unit
    case.responsible_person = responsible_person
    case.findings = findings
    case.full_clean(exclude=["status"])
    if case.needs_committee:
        # a new round of the committee's vote: its members entitled to vote are told
        _fire(case, "submit_for_approval", actor)
        case.save()
        committee.committee_open(case)
    else:
        _fire(case, "determine", actor)
        case.save()
    deadlines.deadline_complete(obj=case, kind="case.investigation")
    if findings_open:
        investigators = case.investigators.exclude(pk=actor.pk)
        _tell("case.investigation_closed", investigators, case, f"closed:{case.reopen_count}")
    _audit(actor, case, "determine", before, grade=grade.pk, responsible_unit=responsible_unit.pk)
    return case


@_step_service
def case_committee_vote(*, actor, case: Case, approve: bool, comment: str = "") -> Case:
    """A committee member's vote on a determination awaiting the committee (the committee's
    vote: workflows.plans.committee, majority by default). A member may change their vote until
    the round is decided; it is decided as soon as the outcome is certain, and only then does the
    case move (`_committee_decided`). A send-back needs the reason, as it is told to the body."""
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say why the determination is sent back.")})
    case = _step(actor, case, "approve")
    decision = committee.record_vote(actor=actor, subject=case, approve=approve, comment=comment)
    committee.settle(actor, case, decision, comment)
    return case


def _committee_reasons(decision, fallback: str) -> str:
    """What the body is told with the committee's decision: the comments of the votes that
    decided it, each with its member's name."""
    said = [
        f"{vote.voter}：{vote.comment.strip()}"
        for vote in committee.votes_of(decision).order_by("created_at", "pk")
        if vote.approve == decision.approved
        and vote.comment.strip()
        and vote.voter_id in decision.electorate
    ]
    return "\n".join(said) or fallback


def _committee_decided(actor, case: Case, decision, comment: str = "") -> None:
    """The committee decided the round (its SubjectKind's settle; the case row is locked):
    approved, the case is determined; rejected, it goes back to investigation with the
    investigation deadline restarted. The accepting body is told."""
    approve = decision.approved
    comment = _committee_reasons(decision, comment)
    before = case.status
    case.committee_comment = comment[:1000]
    if approve:
        _fire(case, "determine", actor, comment)
    else:
        _fire(case, "send_back", actor, comment)
        deadlines.deadline_start(
            obj=case,
            kind="case.investigation",
            owner_unit=case.accepting_unit,
            working_days=case.rules.get("investigation_days", 10),
        )
    case.save()
    _audit(
        actor,
        case,
        "approve" if approve else "send_back",
        before,
        comment=comment,
        round=decision.round,
    )
    _tell(
        "case.committee_decided",
        body_members(case),
        case,
        f"decided:{case.committee_round}",
        approved=approve,
        comment=comment,
    )


def _committee_lock(case: Case) -> Case:
    """The case row and its open tasks locked, without an access check (a recount decides a
    round after a member left the committee)."""
    found, tasks = flows.lock_case_and_open_tasks(_locked_case, case.pk)
    locked = found[0]
    locked._tasks = tasks
    return locked


def _committee_refusal(actor, case: Case):
    return case_duties.refusal(actor, case, "approve")


def register_committee() -> None:
    """A case awaiting the committee is a subject of the committee's vote."""
    committee.register_subject(
        committee.SubjectKind(
            model=Case,
            round_of=lambda case: case.committee_round,
            notify=lambda case, round_key, recipients: _tell(
                "case.approval", recipients, case, f"approval:{round_key}"
            ),
            chair_capability=CaseCap.CHAIR,
            audit_prefix="case",
            settle=_committee_decided,
            lock=_committee_lock,
            # the people recused from the case (cases.duties) are not in its electorate
            keep_out=lambda case: case.recused_ids,
            refusal=_committee_refusal,
        )
    )


# --- rectification ---------------------------------------------------------------------------


def _notice_prefix(unit: OrgUnit) -> str:
    prefix = settings.CASES_NOTICE_PREFIXES.get(unit.code)
    return prefix or f"{unit.name[:2]}质督"


def _notice_number(unit: OrgUnit, now: datetime) -> str:
    year = timezone.localtime(now).year
    value = sequences.next_value(f"notice-{unit.code}-{year}")
    return f"{_notice_prefix(unit)}〔{year}〕{value}号"


def _responsible_people(case: Case):
    """Who is told of a notice and of a rectification returned: the receiving unit's people
    (access.receivers), not the department that issued the notice above it."""
    return list(access.receivers(case)) or list(
        notifications.unit_leaders(case.responsible_unit, team=True)
    )


@_step_service
def notice_issue(
    *,
    actor,
    case: Case,
    facts: str,
    requirements: str,
    due_at: datetime | None = None,
    kind: str = Notice.Kind.RECTIFICATION,
) -> Notice:
    now = timezone.now()
    if due_at is not None and due_at <= now:
        raise ValidationError({"due_at": _("The deadline must be in the future.")})
    if not facts.strip() or not requirements.strip():
        raise ValidationError(_("A notice needs the facts and the requirements."))
    case = _step(actor, case, "issue_notice")
    if case.responsible_unit_id is None:
        raise ValidationError({"responsible_unit": _("Determine the responsible unit first.")})
    before = case.status
    notice = Notice(
        case=case,
        kind=kind,
        issuer_unit=case.accepting_unit,
        issued_by=actor,
        recipient_unit=case.responsible_unit,
        facts=facts,
        requirements=requirements,
        due_at=due_at or now,
    )
    notice.full_clean(exclude=["number", "case", "due_at"])
    notice.number = _notice_number(case.accepting_unit, now)
    notice.save()
    deadline = deadlines.deadline_start(
        obj=notice,
        kind="notice.rectification",
        owner_unit=case.responsible_unit,
        **(
            {"due_at": due_at}
            if due_at
            else {"working_days": case.rules.get("rectification_days", 15)}
        ),
    )
    notice.due_at = deadline.due_at
    notice.save(update_fields=["due_at"])
    _fire(case, "issue_notice", actor, notice.number)
    case.save()
    _audit(actor, case, "issue_notice", before, notice=notice.number)
    _tell("case.notice", _responsible_people(case), case, f"notice:{notice.pk}", obj=notice)
    return notice


def _notice_step(actor, notice: Notice, action: str) -> tuple[Case, Notice]:
    case = _step(actor, notice.case, action)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    notice.case = case
    return case, notice


@_step_service
def notice_confirm_receipt(*, actor, notice: Notice) -> Notice:
    case, notice = _notice_step(actor, notice, "receipt")
    if notice.status != Notice.Status.ISSUED:
        raise TransitionNotAllowed(case, "receipt", allowed_actions(actor, case))
    notice.status = Notice.Status.RECEIVED
    notice.received_at, notice.received_by = timezone.now(), actor
    notice.save(update_fields=["status", "received_at", "received_by"])
    audit_record(actor=actor, action="notice.receipt", obj=notice, after={"status": notice.status})
    _advance(actor, case, "receipt")
    return notice


@_step_service
def notice_submit_report(*, actor, notice: Notice, text: str, uploads=()) -> RectificationReport:
    if not text.strip():
        raise ValidationError({"text": _("Describe the rectification.")})
    for upload in uploads:
        attachments.validate_upload(upload)
    case, notice = _notice_step(actor, notice, "rectification_report")
    if notice.status not in (Notice.Status.RECEIVED, Notice.Status.RETURNED):
        raise TransitionNotAllowed(case, "rectification_report", allowed_actions(actor, case))
    report = RectificationReport(notice=notice, text=text, submitted_by=actor)
    report.full_clean(exclude=["notice", "submitted_by"])
    report.save()
    for upload in uploads:
        attachments.attach(actor=actor, obj=report, upload=upload)
    notice.status = Notice.Status.REPORTED
    notice.save(update_fields=["status"])
    before = case.status
    if case.status == S.RECTIFYING:
        _fire(case, "submit_rectification", actor, notice.number)
        case.save()
    audit_record(actor=actor, action="notice.report", obj=notice, after={"report": report.pk})
    _audit(actor, case, "rectification_report", before, notice=notice.number)
    _tell("case.report_submitted", body_members(case), case, f"report:{report.pk}", obj=notice)
    return report


@_step_service
def notice_verify(*, actor, notice: Notice, accept: bool, reason: str = "") -> Notice:
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("Give the reasons for returning the rectification.")})
    case, notice = _notice_step(actor, notice, "verify")
    report = notice.reports.filter(verdict=RectificationReport.Verdict.PENDING).last()
    if notice.status != Notice.Status.REPORTED or report is None:
        raise TransitionNotAllowed(case, "verify", allowed_actions(actor, case))
    now = timezone.now()
    report.verdict = (
        RectificationReport.Verdict.ACCEPTED if accept else RectificationReport.Verdict.RETURNED
    )
    report.verdict_reason, report.verified_by, report.verified_at = reason, actor, now
    report.save()
    if accept:
        notice.status, notice.accepted_at = Notice.Status.ACCEPTED, now
        deadlines.deadline_complete(obj=notice, kind="notice.rectification")
    else:
        notice.status = Notice.Status.RETURNED
    notice.save(update_fields=["status", "accepted_at"])
    others = case.notices.exclude(pk=notice.pk)
    before = case.status
    if not others.filter(status=Notice.Status.REPORTED).exists():
        if accept and not others.exclude(status=Notice.Status.ACCEPTED).exists():
            _fire(case, "accept_rectification", actor, notice.number)
        elif accept:
            _fire(case, "accept_one_notice", actor, notice.number)
        else:
            _fire(case, "return_for_rework", actor, reason)
        case.save()
    audit_record(
        actor=actor,
        action="notice.accept" if accept else "notice.return",
        obj=notice,
        after={"report": report.pk, "reason": reason},
    )
    _audit(actor, case, "verify", before, notice=notice.number, accepted=accept)
    if not accept:
        _tell(
            "case.returned",
            _responsible_people(case),
            case,
            f"returned:{report.pk}",
            obj=notice,
            reason=reason,
        )
    return notice


# --- feedback and closure --------------------------------------------------------------------


@_step_service
def case_give_feedback(*, actor, case: Case, outcome: str) -> Case:
    if not outcome.strip():
        raise ValidationError({"outcome": _("Tell the reporter the outcome.")})
    case = _step(actor, case, "feedback")
    before = case.status
    case.outcome = outcome
    _fire(case, "give_feedback", actor)
    case.save()
    if _can_be_rated(case) and settings.CASES_RATING_DAYS > 0:
        deadlines.deadline_start(
            obj=case,
            kind=RATING_KIND,
            owner_unit=case.accepting_unit,
            working_days=settings.CASES_RATING_DAYS,
        )
    _audit(actor, case, "feedback", before)
    # the reporter reads the outcome with the request to rate it after it, as one text
    _tell_reporter(
        "case.feedback", case, f"feedback:{case.reopen_count}", outcome=engine_text.closed(outcome)
    )
    return case


def _can_be_rated(case: Case) -> bool:
    """Someone rates the answer: the reporter, or the holder of an anonymous complaint's code."""
    return case.reporter_id is not None or hasattr(case, "ticket")


def _close(case: Case, actor, action: str, before: str, **after):
    _fire(case, "close", actor)
    case.closed_at = timezone.now()
    case.save()
    deadlines.deadline_complete(obj=case, kind=RATING_KIND)
    _audit(actor, case, action, before, **after)


@_step_service
def case_rate(*, actor, case: Case, satisfaction: int, comment: str = "") -> Case:
    if satisfaction not in range(1, 6):
        raise ValidationError({"satisfaction": _("Rate from 1 to 5.")})
    case = _step(actor, case, "rate")
    before = case.status
    case.satisfaction, case.satisfaction_comment = satisfaction, comment
    case.full_clean(exclude=["status"])
    _close(case, actor, "rate", before, satisfaction=satisfaction)
    return case


def case_rating_wait(case: Case) -> str:
    """Why the accepting body may not close `case` yet: the complainant may still rate the
    answer (the 评价期, its last day named); '' once it is over or there is none."""
    rating = (
        deadlines.open_deadlines_for(case)
        .filter(kind=RATING_KIND, status=Deadline.Status.OPEN, due_at__gt=timezone.now())
        .first()
    )
    if rating is None:
        return ""
    return _(
        "The complainant may rate the answer until %(date)s: the case closes when they "
        "rate it, or may be closed after that day."
    ) % {"date": f"{timezone.localtime(rating.due_at):%Y-%m-%d}"}


@_step_service
def case_close(*, actor, case: Case) -> Case:
    case = _step(actor, case, "close")
    wait = case_rating_wait(case)
    if wait:
        raise WrongState(wait)
    _close(case, actor, "close", case.status)
    return case


@_step_service
def case_reopen(*, actor, case: Case, reason: str) -> Case:
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for reopening.")})
    case = _step(actor, case, "reopen")
    before = case.status
    _fire(case, "reopen", actor, reason)
    case.reopen_count += 1
    case.closed_at = None
    case.save()
    _audit(actor, case, "reopen", before, reason=reason)
    _tell_reporter("case.reopened", case, f"reopened:{case.reopen_count}", reason=reason)
    return case


def mark_notice_escalated(sender, deadline, level, **kwargs):
    """engine.signals.deadline_escalated: an overdue notice shows as escalated in lists."""
    from engine.models import Deadline

    if deadline.kind != "notice.rectification" or level < Deadline.Level.LEADER:
        return
    Notice.objects.filter(pk=deadline.object_id).update(escalated=True)
