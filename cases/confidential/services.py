"""Every write on the confidential track.

Rules that keep the reporter unidentifiable: the reporter's own actions (filing, adding
information) write audit rows with no actor and no IP, uploads carry no uploader and are
cleaned of metadata, notifications carry the report number only, and nothing here logs."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, get_available_FIELD_transitions
from guardian.shortcuts import assign_perm, remove_perm

from accounts import access
from accounts.audit import audit_record
from accounts.models import Role
from engine import holders, notifications, sequences, steps
from engine.errors import WrongState

from . import capabilities as caps
from . import hooks, intake, selectors
from .models import Report, ReportAddition, ReportNote, ReportStage


class IllegalTransition(Exception):
    def __init__(self, action: str, allowed: list[str]):
        super().__init__(action)
        self.action = action
        self.allowed = allowed


@dataclass(frozen=True)
class Step:
    method: str
    text_field: str | None  # the text the office must write with this step


# The office's actions, in the order of the track; each names the text it requires.
STEPS: dict[str, Step] = {
    "start_check": Step("start_check", None),
    "file_case": Step("file_case", None),
    "decline": Step("decline", "not_filed_reason"),
    "investigate": Step("investigate", None),
    "conclude": Step("conclude", "conclusion"),
    "handle": Step("handle", "handling"),
    "answer_reporter": Step("answer_reporter", "answer"),
    "close": Step("close", None),
}


def allowed_actions(report: Report) -> list[str]:
    names = {
        t.name for t in get_available_FIELD_transitions(report, Report._meta.get_field("status"))
    }
    return [action for action, step in STEPS.items() if step.method in names]


def _office():
    return notifications.role_holders(Role.DISCIPLINE_OFFICER)


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


def _store(obj, uploads) -> None:
    for index, upload in enumerate(uploads, start=1):
        try:
            intake.store_upload(obj=obj, upload=upload, index=index)
        except ValidationError as exc:
            raise ValidationError({"files": [f"{upload.name}: {m}" for m in exc.messages]}) from exc


def _new_number() -> str:
    year = timezone.localdate().year
    return f"JB-{year}-{sequences.next_value(f'report-{year}'):05d}"


@transaction.atomic
def report_file(
    *,
    actor,
    subject: str,
    about: str,
    description: str,
    subject_unit=None,
    contact: str = "",
    anonymous: bool = True,
    uploads=(),
) -> tuple[Report, str]:
    """File a report; returns it and its tracking code (shown once, stored only as a hash).

    A visitor who is not signed in always files anonymously. A signed-in person may file under
    their name: then only the discipline office sees who they are."""
    uploads = list(uploads)
    if not (description or "").strip():
        raise ValidationError({"description": _("Please describe what you are reporting.")})
    if not (about or "").strip():
        raise ValidationError({"about": _("Please say whom or what the report is about.")})
    _check_uploads(uploads)
    named = access.is_active_user(actor) and not anonymous
    code = intake.new_tracking_code()
    report = Report.objects.create(
        number=_new_number(),
        subject=subject,
        about=about.strip(),
        description=description.strip(),
        subject_unit=subject_unit,
        contact=contact.strip(),
        is_anonymous=not named,
        reporter=actor if named else None,
        code_hash=intake.code_digest(code, selectors.CODE_PURPOSE),
    )
    report.accused.set(selectors.people_named_in(report.about))
    ReportStage.objects.create(report=report, status=report.status)
    steps.start(report)
    _store(report, uploads)
    audit_record(
        actor=None,
        action="report.file",
        obj=report,
        after={"status": report.status, "subject": report.subject, "files": len(uploads)},
        record_ip=False,
    )
    notifications.notify(
        kind="report.received",
        recipients=_office(),
        obj=report,
        dedup_key=f"report.received:{report.pk}",
    )
    return report, code


@transaction.atomic
def report_add_information(*, report: Report, text: str = "", uploads=()) -> ReportAddition:
    """The holder of the code (or the named reporter) adds information or evidence."""
    uploads = list(uploads)
    if not (text or "").strip() and not uploads:
        raise ValidationError({"text": _("Please write something or attach a file.")})
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not report.is_open:
        raise ValidationError(_("This report is closed; information can no longer be added."))
    _check_uploads(uploads)
    addition = ReportAddition.objects.create(report=report, text=(text or "").strip())
    _store(addition, uploads)
    audit_record(
        actor=None,
        action="report.add_information",
        obj=report,
        after={"addition": addition.pk, "files": len(uploads)},
        record_ip=False,
    )
    notifications.notify(
        kind="report.information",
        recipients=_office(),
        obj=report,
        dedup_key=f"report.information:{addition.pk}",
    )
    return addition


@transaction.atomic
def report_advance(*, actor, report: Report, action: str, text: str = "") -> Report:
    """Move a report one step along the office's track (the office, or whoever holds the
    report's open step: engine.holders)."""
    holders.require(report, actor, access.can(actor, caps.REPORT_HANDLE, report))
    step = STEPS.get(action)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if step is None or not can_proceed(getattr(report, step.method)):
        raise IllegalTransition(action, allowed_actions(report))
    before = {"status": report.status}
    if step.text_field:
        if not (text or "").strip():
            raise ValidationError({"text": _("This step needs a written text.")})
        setattr(report, step.text_field, text.strip())
    getattr(report, step.method)(by=actor)
    report.save()
    steps.advance(report, actor=actor, outcome=report.status)
    ReportStage.objects.create(report=report, status=report.status)
    audit_record(
        actor=actor,
        action=f"report.{action}",
        obj=report,
        before=before,
        after={"status": report.status},
    )
    if action == "answer_reporter" and report.reporter_id and not report.is_anonymous:
        notifications.notify(
            kind="report.answered",
            recipients=[report.reporter],
            obj=report,
            url=reverse("confidential:mine"),
            dedup_key=f"report.answered:{report.pk}",
        )
    return report


@transaction.atomic
def report_mark_spam(*, actor, report: Report, spam: bool = True) -> Report:
    """Spam leaves the queue but is never deleted; the office can take it back."""
    access.require(actor, caps.REPORT_HANDLE, report)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not report.is_open:
        raise WrongState(_("This report is closed."))
    before = {"is_spam": report.is_spam}
    report.is_spam = spam
    report.save(update_fields=["is_spam", "updated_at"])
    if before["is_spam"] != spam:
        steps.advance(report, actor=actor, outcome="spam" if spam else "not_spam")
    audit_record(
        actor=actor,
        action="report.spam" if spam else "report.not_spam",
        obj=report,
        before=before,
        after={"is_spam": spam},
    )
    return report


@transaction.atomic
def report_add_note(*, actor, report: Report, text: str) -> ReportNote:
    """An internal note by the office or by someone the report was shared with."""
    if not selectors.visible_reports(actor).filter(pk=report.pk).exists():
        raise PermissionDenied
    if not (text or "").strip():
        raise ValidationError({"text": _("The note is empty.")})
    note = ReportNote.objects.create(report=report, author=actor, text=text.strip())
    audit_record(actor=actor, action="report.note", obj=report, after={"note": note.pk})
    return note


@transaction.atomic
def report_share(*, actor, report: Report, user) -> None:
    """Let one more person (e.g. a committee member) read this one report, without the
    reporter's identity."""
    access.require(actor, caps.REPORT_GRANT, report)
    if not access.is_active_user(user):
        raise ValidationError({"user": _("This person cannot sign in.")})
    if report.accused.filter(pk=user.pk).exists():
        raise ValidationError(
            {"user": _("The report is about this person: they cannot be asked to read it.")}
        )
    assign_perm(caps.OBJECT_VIEW, user, report)
    audit_record(actor=actor, action="report.share", obj=report, after={"user": user.pk})
    notifications.notify(
        kind="report.shared",
        recipients=[user],
        obj=report,
        dedup_key=f"report.shared:{report.pk}:{user.pk}",
    )


@transaction.atomic
def report_unshare(*, actor, report: Report, user) -> None:
    access.require(actor, caps.REPORT_GRANT, report)
    remove_perm(caps.OBJECT_VIEW, user, report)
    audit_record(actor=actor, action="report.unshare", obj=report, before={"user": user.pk})


@transaction.atomic
def report_add_accused(*, actor, report: Report, user) -> None:
    """Name one more person the report is about (the office confirms whom the reporter meant).
    Whatever access they were given to read it ends."""
    access.require(actor, caps.REPORT_HANDLE, report)
    report.accused.add(user)
    remove_perm(caps.OBJECT_VIEW, user, report)
    audit_record(actor=actor, action="report.accused_add", obj=report, after={"user": user.pk})


@transaction.atomic
def report_remove_accused(*, actor, report: Report, user) -> None:
    access.require(actor, caps.REPORT_HANDLE, report)
    report.accused.remove(user)
    audit_record(actor=actor, action="report.accused_remove", obj=report, before={"user": user.pk})


@transaction.atomic
def report_open_quality_case(*, actor, report: Report, title: str, description: str, org_unit=None):
    """Open a normal quality case from a report: the office writes a redacted title and text,
    and only those (plus the unit concerned) cross over. The report remembers the case; the case
    knows nothing of the report."""
    access.require(actor, caps.REPORT_HANDLE, report)
    if hooks.open_quality_case is None:
        raise ValidationError(_("Quality cases are not available yet."))
    if report.quality_case_id:
        raise ValidationError(_("A quality case was already opened from this report."))
    if not report.is_open:
        raise ValidationError(_("This report is closed."))
    if not (title or "").strip() or not (description or "").strip():
        raise ValidationError(_("Write the redacted title and description of the case."))
    case = hooks.open_quality_case(
        actor=actor,
        title=title.strip(),
        description=description.strip(),
        org_unit=org_unit,
        recused=list(report.accused.all()),
    )
    report = Report.objects.select_for_update().get(pk=report.pk)
    report.quality_case_type = ContentType.objects.get_for_model(case)
    report.quality_case_id = str(case.pk)
    report.save(update_fields=["quality_case_type", "quality_case_id", "updated_at"])
    audit_record(actor=actor, action="report.open_case", obj=report, after={"case": str(case.pk)})
    return case


def quality_case_finished(case, *, reason: str = "") -> None:
    """A case opened from a report was refused (不予受理) or closed: the office that opened it
    hears of it (cases.apps connects this to the case's transitions), with the report's and the
    case's numbers only, and a refusal's reason. In the transaction of the step that finished
    the case."""
    report = selectors.report_of_quality_case(case)
    if report is None:
        return
    notifications.notify(
        kind="report.case_finished",
        recipients=_office(),
        obj=report,
        context={
            "case": {
                "number": case.number,
                "status": case.get_status_display(),
                "reason": reason,
            }
        },
        dedup_key=f"report.case_finished:{report.pk}:{case.status}:{case.reopen_count}",
    )
