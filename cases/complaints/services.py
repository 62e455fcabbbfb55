"""Anonymous complaints (投诉 without a name), what the holder of a tracking code may add, the
discipline office's supervision requests (督办).

Anonymous complaints go through the cases app's own `case_file` with no actor and no reporter:
the case then has nobody to point to, its audit rows carry no address, and its files are cleaned
by the intake machinery of the confidential track."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import access as accounts_access
from accounts.audit import audit_record
from accounts.models import OrgUnit, Role
from cases import services as case_services
from cases.access import is_accepting_body
from cases.confidential import intake
from cases.models import FINISHED, Case
from cases.models import Status as S
from cases.permissions import CaseCap
from engine import deadlines, holders, notifications, steps
from engine.calendar import add_working_days
from engine.errors import WrongState

from . import selectors
from .capabilities import SUPERVISE
from .models import Addition, Supervision, Ticket

SUPERVISION_KIND = "case.supervision"
deadlines.register_kind(SUPERVISION_KIND, label=gettext_lazy("Supervision answer"))

# Messages name the case by number and title only, never who filed it.
KINDS = {
    "complaint.information": (
        gettext_lazy("Information added to a complaint"),
        gettext_lazy("New information on complaint {{ obj.number }}"),
        gettext_lazy("The complainant added information to {{ obj.number }}: {{ url }}"),
    ),
    "complaint.supervision": (
        gettext_lazy("Supervision request (督办)"),
        gettext_lazy("Supervision request on complaint {{ case.number }}"),
        gettext_lazy(
            "The discipline office asks your body to act on complaint {{ case.number }} "
            "“{{ case.title }}” and to answer by {{ due|date:'Y-m-d' }}: {{ url }}"
        ),
    ),
    "complaint.supervision_answered": (
        gettext_lazy("Supervision request answered"),
        gettext_lazy("Supervision request on {{ case.number }} answered"),
        gettext_lazy("{{ case.accepting_unit }} answered the supervision request: {{ url }}"),
    ),
}
# whom each kind can reach (the notification settings list only those): the accepting body and
# the leaders of the unit a request goes to, the discipline office that sends requests
AUDIENCE = {
    "complaint.information": (CaseCap.ACCEPT, CaseCap.ACCEPT_COLLEGE),
    "complaint.supervision": (CaseCap.ACCEPT, CaseCap.ACCEPT_COLLEGE, CaseCap.RECTIFY),
    "complaint.supervision_answered": (SUPERVISE,),
}


def _check_text(title: str, description: str) -> None:
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Please say what the complaint is about.")
    if not (description or "").strip():
        errors["description"] = _("Please describe the problem.")
    if errors:
        raise ValidationError(errors)


def _check_uploads(uploads) -> None:
    if len(uploads) > settings.INTAKE_MAX_FILES:
        raise ValidationError(
            {"files": _("At most %(n)d files per submission.") % {"n": settings.INTAKE_MAX_FILES}}
        )
    for upload in uploads:
        try:
            intake.validate_upload(upload)
        except ValidationError as exc:
            raise ValidationError({"files": [f"{upload.name}: {m}" for m in exc.messages]}) from exc


@transaction.atomic
def complaint_file_anonymous(
    *, title: str, description: str, subject_unit: OrgUnit, uploads=()
) -> tuple[Case, str]:
    """File a complaint nobody can trace: returns the case and its tracking code, shown once and
    kept only as a keyed hash. No contact is asked for: the answer is read with the code."""
    uploads = list(uploads)
    _check_text(title, description)
    _check_uploads(uploads)
    case = case_services.case_file(
        actor=None,
        kind=Case.Kind.COMPLAINT,
        title=title.strip(),
        description=description.strip(),
        subject_unit=subject_unit,
        anonymous=True,
        reporter_hidden=True,
        uploads=uploads,
    )
    code = intake.new_tracking_code()
    Ticket.objects.create(case=case, code_hash=intake.code_digest(code, selectors.CODE_PURPOSE))
    return case, code


@transaction.atomic
def complaint_add_information(*, case: Case, text: str = "", uploads=()) -> Addition:
    """The holder of the code adds information or evidence, still anonymous."""
    uploads = list(uploads)
    if not (text or "").strip() and not uploads:
        raise ValidationError({"text": _("Please write something or attach a file.")})
    _check_uploads(uploads)
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if case.status in FINISHED:
        raise ValidationError(_("This complaint is closed; information can no longer be added."))
    addition = Addition.objects.create(case=case, text=(text or "").strip(), files=len(uploads))
    start = case_services.attachments.attachments_for(case).count()
    for index, upload in enumerate(uploads, start=start + 1):
        intake.store_upload(obj=case, upload=upload, index=index)
    audit_record(
        actor=None,
        action="case.add_information",
        obj=case,
        after={"addition": addition.pk, "files": len(uploads)},
        record_ip=False,
    )
    notifications.notify(
        kind="complaint.information",
        recipients=case_services.body_members(case),
        obj=case,
        url=case.get_absolute_url(),
        dedup_key=f"complaint.information:{addition.pk}",
    )
    return addition


@transaction.atomic
def complaint_rate(*, case: Case, satisfaction: int, comment: str = "") -> Case:
    """The holder of the code rates the answer (1–5), which closes the complaint, as a named
    complainant does on the case page."""
    if satisfaction not in range(1, 6):
        raise ValidationError({"satisfaction": _("Rate from 1 to 5.")})
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if case.status != S.FEEDBACK:
        raise ValidationError(_("The answer can be rated once it has been given."))
    before = case.status
    case.satisfaction, case.satisfaction_comment = satisfaction, (comment or "").strip()
    case.full_clean(exclude=["status"])
    case_services._close(case, None, "rate", before, satisfaction=satisfaction)
    return case


# --- supervision (督办) ------------------------------------------------------------------------


def _leaders(case: Case):
    return list(notifications.unit_leaders(case.accepting_unit))


@transaction.atomic
def supervision_issue(*, actor, case: Case, request: str, working_days: int | None = None):
    """The discipline office asks the accepting body's leader to act and answer by a deadline
    (an engine deadline of kind "case.supervision", escalated by its rule)."""
    accounts_access.require(actor, SUPERVISE)
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("accepting_unit")
        .get(pk=case.pk)
    )
    if case.kind != Case.Kind.COMPLAINT or case.confidential:
        raise ValidationError(_("Supervision requests are issued on complaints only."))
    if not (request or "").strip():
        raise ValidationError({"request": _("Say what the accepting body must do.")})
    days = settings.CASES_SUPERVISION_DAYS if working_days is None else working_days
    if not 1 <= days <= 60:
        raise ValidationError({"working_days": _("Give between 1 and 60 working days.")})
    supervision = Supervision.objects.create(
        case=case,
        unit=case.accepting_unit,
        issued_by=actor,
        request=request.strip(),
        due_at=add_working_days(timezone.now(), days),
    )
    deadlines.deadline_start(
        obj=supervision,
        kind=SUPERVISION_KIND,
        owner_unit=case.accepting_unit,
        due_at=supervision.due_at,
    )
    steps.start(supervision)
    audit_record(
        actor=actor,
        action="case.supervise",
        obj=case,
        after={"supervision": supervision.pk, "due_at": supervision.due_at.isoformat()},
    )
    notifications.notify(
        kind="complaint.supervision",
        recipients=_leaders(case),
        obj=supervision,
        url=supervision.get_absolute_url(),
        context={"case": case, "due": supervision.due_at},
        dedup_key=f"complaint.supervision:{supervision.pk}",
        unit=case.accepting_unit,
    )
    return supervision


@transaction.atomic
def supervision_answer(*, actor, supervision: Supervision, answer: str) -> Supervision:
    """The accepting body answers in writing (required); the deadline is then done."""
    supervision = (
        Supervision.objects.select_for_update(of=("self",))
        .select_related("case", "case__accepting_unit")
        .get(pk=supervision.pk)
    )
    if not holders.may_do(supervision, actor, is_accepting_body(actor, supervision.case), "answer"):
        raise PermissionDenied(_("Only the accepting body answers this request."))
    if not supervision.is_open:
        raise WrongState(_("This supervision request was already answered."))
    if not (answer or "").strip():
        raise ValidationError({"answer": _("An answer is required.")})
    supervision.answer = answer.strip()
    supervision.answered_by = actor
    supervision.answered_at = timezone.now()
    supervision.status = Supervision.Status.ANSWERED
    supervision.save()
    deadlines.deadline_complete(obj=supervision, kind=SUPERVISION_KIND)
    steps.advance(supervision, actor=actor, outcome="answered")
    audit_record(
        actor=actor,
        action="case.supervision_answer",
        obj=supervision.case,
        after={"supervision": supervision.pk},
    )
    notifications.notify(
        kind="complaint.supervision_answered",
        recipients=notifications.role_holders(Role.DISCIPLINE_OFFICER),
        obj=supervision,
        url=supervision.get_absolute_url(),
        context={"case": supervision.case},
        dedup_key=f"complaint.supervision_answered:{supervision.pk}",
    )
    return supervision
