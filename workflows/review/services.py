"""Every write of the review feature: reports, rounds, findings, conclusions, sanctions."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from accounts import access
from accounts.audit import audit_record, snapshot
from accounts.models import Membership, OrgUnit
from accounts.models import Role as R
from engine import deadlines, holders, notifications, steps
from engine import duties as engine_duties
from engine.attachments import validate_upload

from . import capabilities as caps
from . import duties as review_duties
from . import evidence as evidence_registry
from .conclusions import Conclusion, compute_conclusion
from .models import (
    Catalogue,
    ConsolidatedFinding,
    DocumentJob,
    EvidenceDocument,
    EvidenceLink,
    Finding,
    PanelMember,
    ReportRow,
    ReportStatus,
    ReviewAssignment,
    ReviewConclusion,
    ReviewRound,
    RoundStatus,
    SanctionDecision,
    SanctionFlag,
    SelfDiagnosisReport,
    disclosure_deadline_for,
    earliest_review_start,
)
from .signals import review_concluded
from .text import char_count

ROW_FIELDS = ("achievements", "problems", "measures", "effects", "measures_not_started")


class TransitionError(Exception):
    """An operation the object's current state does not allow (answered 409 by the API)."""

    def __init__(self, message, allowed=()):
        super().__init__(message)
        self.message = message
        self.allowed = list(allowed)


def _allowed(obj):
    return [t.name for t in obj.get_available_status_transitions()]


def _transition(obj, name, actor):
    method = getattr(obj, name)
    if not can_proceed(method):
        raise TransitionError(
            _("This is not possible while the status is “%(status)s”.")
            % {"status": obj.get_status_display()},
            _allowed(obj),
        )
    method(by=actor)


# ---------------------------------------------------------------- who is the unit head


def is_unit_head(user, unit: OrgUnit) -> bool:
    """The head who approves a unit's report.

    A department: its department_leader. A major or course: a team_leader held in the unit or in
    the major above it. A functional office, the committee or the college: the committee chair
    (the quality officer forwards those reports)."""
    held = access.grants(user)
    if unit.kind == OrgUnit.Kind.DEPARTMENT:
        return any(g.role == R.DEPARTMENT_LEADER and g.unit_id == unit.pk for g in held)
    if unit.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
        return any(
            g.role == R.TEAM_LEADER
            and unit.path.startswith(g.unit_path)
            and len(g.unit_path) >= len(unit.path) - unit.steplen
            for g in held
        )
    return any(g.role == R.COMMITTEE_CHAIR for g in held)


def may_approve(user, report) -> bool:
    """The unit head approves (or returns) a submitted report, unless a separation-of-duties
    rule forbids it (the head wrote it): then the head of the unit above, then the quality
    office (workflows.review.duties)."""
    return access.is_active_user(user) and (
        holders.may_do(report, user, review_duties.may(user, report, "approve"), "approve")
    )


def may_forward(user, report) -> bool:
    return holders.may_do(report, user, _may_forward(user, report), "forward")


def _may_forward(user, report) -> bool:
    if report.org_unit.is_teaching:
        return access.is_active_user(user) and review_duties.may(user, report, "forward")
    return access.can(user, caps.REPORT_PUBLISH, report) and (
        engine_duties.refusal(
            process_key=review_duties.PROCESS, step="forward", actor=user, obj=report
        )
        is None
    )


def _require_step(actor, report, step: str, allowed: bool) -> None:
    """403 for a refused step; naming the rule when one refused someone who would otherwise act."""
    if allowed:
        return
    rule = engine_duties.refusal(
        process_key=review_duties.PROCESS, step=step, actor=actor, obj=report
    )
    usual = (
        review_duties.in_levels(actor, report)
        or access.can(actor, caps.REPORT_PUBLISH, report)
        or holders.held_task(report, actor, step) is not None
    )
    if rule is not None and usual:
        raise engine_duties.DutyRefused(rule)
    raise PermissionDenied


# ---------------------------------------------------------------- reports


def row_errors(catalogue: Catalogue, row: ReportRow) -> list[str]:
    """Why a row cannot be submitted (empty when it can)."""
    errors = []
    opinion = char_count(row.achievements) + char_count(row.problems)
    problems = char_count(row.problems)
    measures = char_count(row.measures)
    effects = char_count(row.effects)
    if opinion == 0:
        errors.append(_("The self-diagnosis opinion is empty."))
    if opinion > catalogue.opinion_max:
        errors.append(
            _("The self-diagnosis opinion has %(n)d characters; the limit is %(max)d.")
            % {"n": opinion, "max": catalogue.opinion_max}
        )
    if opinion and problems * catalogue.problems_share_den < opinion * catalogue.problems_share_num:
        errors.append(
            _(
                "Problems and causes must be at least %(share)s of the opinion "
                "(%(problems)d of %(n)d characters)."
            )
            % {"share": str(catalogue.problems_share), "problems": problems, "n": opinion}
        )
    if measures == 0:
        errors.append(_("The improvement measures are empty."))
    if measures > catalogue.measures_max:
        errors.append(
            _("The improvement measures have %(n)d characters; the limit is %(max)d.")
            % {"n": measures, "max": catalogue.measures_max}
        )
    if effects > catalogue.effects_max:
        errors.append(
            _("The improvement effects have %(n)d characters; the limit is %(max)d.")
            % {"n": effects, "max": catalogue.effects_max}
        )
    if effects == 0 and row.measures_not_started:
        errors.append(_("Add the note explaining that the measures have not started yet."))
    elif effects == 0:
        errors.append(
            _("Describe the visible effects, or mark the measures as not started and say so.")
        )
    return errors


def report_errors(report: SelfDiagnosisReport) -> dict:
    """{"overview": [...], element_id: [...]} for everything that blocks submission."""
    catalogue = report.catalogue
    errors: dict = {}
    overview = char_count(report.overview)
    if overview == 0:
        errors["overview"] = [_("The overview is empty.")]
    elif overview > catalogue.overview_max:
        errors["overview"] = [
            _("The overview has %(n)d characters; the limit is %(max)d.")
            % {"n": overview, "max": catalogue.overview_max}
        ]
    for row in report.rows.select_related("element"):
        problems = row_errors(catalogue, row)
        if problems:
            errors[row.element_id] = problems
    return errors


def _require_author(actor, unit):
    from .selectors import authorable_units

    access.require(actor, caps.REPORT_EDIT, unit)
    if not authorable_units(actor).filter(pk=unit.pk).exists():
        raise PermissionDenied


def _require_edit(actor, report):
    try:
        _require_author(actor, report.org_unit)
        author = True
    except PermissionDenied:
        author = False
    # whoever holds the writing step (转办, 代理: engine.holders) writes it
    holders.require(report, actor, author, "write")
    if report.status != ReportStatus.DRAFT:
        raise TransitionError(_("Only a draft can be edited."), _allowed(report))


@transaction.atomic
def report_create(*, actor, org_unit, catalogue, period, title, level=""):
    _require_author(actor, org_unit)
    if catalogue.status != Catalogue.Status.ACTIVE:
        raise ValidationError(
            {
                "catalogue": _("Catalogue “%(c)s” is not active; choose an active one.")
                % {"c": catalogue}
            }
        )
    if SelfDiagnosisReport.objects.filter(
        org_unit=org_unit, period=period, level=level, catalogue=catalogue
    ).exists():
        raise ValidationError(
            {"period": _("This unit already has a report for this period and catalogue.")}
        )
    report = SelfDiagnosisReport.objects.create(
        catalogue=catalogue,
        org_unit=org_unit,
        period=period,
        level=level,
        title=title,
        author=actor,
    )
    ReportRow.objects.bulk_create(
        ReportRow(report=report, element=element) for element in catalogue.elements.all()
    )
    steps.start(report)
    audit_record(actor=actor, action="review.report.create", obj=report, after=snapshot(report))
    return report


@transaction.atomic
def report_save_draft(*, actor, report, overview=None, rows=None):
    """Save whatever the author typed, limits or not: limits are checked on submission, so
    nothing typed is ever lost. `rows` maps element ids to a dict of ROW_FIELDS."""
    report = SelfDiagnosisReport.objects.select_for_update().get(pk=report.pk)
    _require_edit(actor, report)
    changed = write_rows(report, ReportRow, overview=overview, rows=rows)
    audit_record(actor=actor, action="review.report.save", obj=report, after={"rows": changed})
    return report


def write_rows(report, row_model, *, overview=None, rows=None) -> int:
    """Store what was typed into a catalogue-shaped report (a unit's or a person's): its
    overview and each row's ROW_FIELDS, refusing elements not in its catalogue. Returns how
    many rows changed."""
    rows = rows or {}
    existing = {r.element_id: r for r in report.rows.all()}
    unknown = [key for key in rows if int(key) not in existing]
    if unknown:
        raise ValidationError(
            {"rows": _("Element %(ids)s is not in this report's catalogue.") % {"ids": unknown}}
        )
    if overview is not None:
        report.overview = overview
        report.save(update_fields=["overview", "updated_at"])
    changed = []
    for key, values in rows.items():
        row = existing[int(key)]
        for name in ROW_FIELDS:
            if name in values:
                setattr(row, name, values[name])
        changed.append(row)
    if changed:
        row_model.objects.bulk_update(changed, list(ROW_FIELDS))
        type(report).objects.filter(pk=report.pk).update(updated_at=timezone.now())
    return len(changed)


def may_submit(user, report) -> bool:
    """The unit's authors write the draft together; its author submits it (the step the
    progress line names them for), or whoever the step was handed to."""
    return holders.may_do(report, user, user.pk == report.author_id, "write")


@transaction.atomic
def report_submit(*, actor, report):
    report = SelfDiagnosisReport.objects.select_for_update().get(pk=report.pk)
    _require_edit(actor, report)
    holders.require(report, actor, actor.pk == report.author_id, "write")
    if report.catalogue.status == Catalogue.Status.RETIRED:
        raise ValidationError(
            {
                "catalogue": _(
                    "The catalogue of this report has been retired; it cannot be submitted."
                )
            }
        )
    errors = report_errors(report)
    if errors:
        raise ValidationError({str(k): v for k, v in errors.items()})
    _transition(report, "submit", actor)
    report.save()
    steps.advance(report, actor=actor, outcome="submitted")
    audit_record(actor=actor, action="review.report.submit", obj=report)
    return report


def _head_step(actor, report, name, action, reason=""):
    _require_step(actor, report, "approve", may_approve(actor, report))
    _transition(report, name, actor)
    report.save()
    steps.advance(report, actor=actor, outcome="returned" if reason else "approved")
    audit_record(
        actor=actor, action=action, obj=report, after={"reason": reason} if reason else None
    )
    return report


@transaction.atomic
def report_approve(*, actor, report):
    report = SelfDiagnosisReport.objects.select_for_update().get(pk=report.pk)
    return _head_step(actor, report, "approve", "review.report.approve")


@transaction.atomic
def report_return(*, actor, report, reason):
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the report goes back to its author.")})
    report = SelfDiagnosisReport.objects.select_for_update().get(pk=report.pk)
    return _head_step(actor, report, "return_to_author", "review.report.return", reason)


@transaction.atomic
def report_forward(*, actor, report):
    report = SelfDiagnosisReport.objects.select_for_update().get(pk=report.pk)
    _require_step(actor, report, "forward", may_forward(actor, report))
    _transition(report, "forward", actor)
    report.save()
    steps.advance(report, actor=actor, outcome="forwarded")
    audit_record(actor=actor, action="review.report.forward", obj=report)
    return report


@transaction.atomic
def report_publish(*, actor, report):
    report = SelfDiagnosisReport.objects.select_for_update().get(pk=report.pk)
    holders.require(report, actor, access.can(actor, caps.REPORT_PUBLISH, report), "publish")
    _transition(report, "publish", actor)
    report.save()
    steps.advance(report, actor=actor, outcome="published")
    audit_record(actor=actor, action="review.report.publish", obj=report)
    return report


@transaction.atomic
def evidence_upload(*, actor, report, title, file):
    _require_edit(actor, report)
    try:
        validate_upload(file)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    document = EvidenceDocument.objects.create(
        report=report, title=title, file=file, uploaded_by=actor
    )
    audit_record(actor=actor, action="review.evidence.upload", obj=document)
    return document


@transaction.atomic
def evidence_link(*, actor, row, source_key, object_id):
    _require_edit(actor, row.report)
    source = evidence_registry.get_source(source_key)
    if source is None:
        raise ValidationError({"source": _("Unknown evidence source.")})
    target = source.candidates(actor, row.report).filter(pk=object_id).first()
    if target is None:
        raise ValidationError({"object_id": _("This item cannot be linked to this report.")})
    link, _created = EvidenceLink.objects.get_or_create(
        row=row,
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        defaults={"source": source.key, "label": str(source.describe(target))[:200]},
    )
    audit_record(
        actor=actor, action="review.evidence.link", obj=row.report, after={"link": link.label}
    )
    return link


# ---------------------------------------------------------------- rounds


@transaction.atomic
def round_create(*, actor, name, catalogue, review_start, review_end, today=None):
    """A new round; its publication deadline (REVIEW_DISCLOSURE_DAYS before the start) must not
    have passed, or the round could only ever end with its units on the 待改进 list."""
    access.require(actor, caps.ROUND_MANAGE)
    earliest = earliest_review_start(today)
    if review_start < earliest:
        raise ValidationError(
            {
                "review_start": _(
                    "With this start the publication deadline would be %(deadline)s, which has "
                    "passed. The material must be public %(days)s days before the review: "
                    "start on %(earliest)s or later."
                )
                % {
                    "deadline": disclosure_deadline_for(review_start),
                    "days": settings.REVIEW_DISCLOSURE_DAYS,
                    "earliest": earliest,
                }
            }
        )
    round_ = ReviewRound(
        name=name,
        catalogue=catalogue,
        review_start=review_start,
        review_end=review_end,
        created_by=actor,
    )
    round_.full_clean(exclude=["disclosure_deadline", "created_by", "status"])
    round_.save()
    steps.start(round_)
    audit_record(actor=actor, action="review.round.create", obj=round_, after=snapshot(round_))
    return round_


def _require_planning(round_):
    if round_.status != RoundStatus.PLANNING:
        raise TransitionError(_("The round's scope is fixed once its material is published."))


@transaction.atomic
def round_add_report(*, actor, round_, report):
    access.require(actor, caps.ROUND_MANAGE)
    _require_planning(round_)
    if report.catalogue_id != round_.catalogue_id:
        raise ValidationError(
            {"report": _("The report was written against another catalogue than the round's.")}
        )
    if report.status not in (ReportStatus.FORWARDED, ReportStatus.PUBLISHED):
        raise ValidationError(
            {"report": _("Only reports forwarded to the quality office can be reviewed.")}
        )
    round_.reports.add(report)
    audit_record(
        actor=actor, action="review.round.add_report", obj=round_, after={"report": report.pk}
    )


@transaction.atomic
def round_move_report(*, actor, round_, report, to_round):
    """Move a report to another round before its round's review starts (the new round is still
    being planned, so its material is published with that round)."""
    access.require(actor, caps.ROUND_MANAGE)
    round_ = ReviewRound.objects.select_for_update().get(pk=round_.pk)
    to_round = ReviewRound.objects.select_for_update().get(pk=to_round.pk)
    if round_.status not in (RoundStatus.PLANNING, RoundStatus.DISCLOSED):
        raise TransitionError(_("A report stays in its round once the review has started."))
    if not round_.reports.filter(pk=report.pk).exists():
        raise ValidationError({"report": _("The report is not in this round.")})
    if to_round.pk == round_.pk or to_round.status != RoundStatus.PLANNING:
        raise ValidationError(
            {"to_round": _("Move the report to another round whose material is not published.")}
        )
    if to_round.catalogue_id != round_.catalogue_id:
        raise ValidationError(
            {"to_round": _("The report was written against another catalogue than the round's.")}
        )
    ReviewAssignment.objects.filter(member__round=round_, report=report).delete()
    round_.reports.remove(report)
    to_round.reports.add(report)
    audit_record(
        actor=actor,
        action="review.round.move_report",
        obj=round_,
        after={"report": report.pk, "to_round": to_round.pk},
    )


def conflict_units(user):
    """Units where the user would review their own work: every staff membership's unit, widened
    to its teaching department (an external expert's registration is not a tie)."""
    units = []
    for m in (
        Membership.objects.filter(user=user)
        .exclude(role=R.EXTERNAL_EXPERT)
        .select_related("org_unit")
    ):
        units.append(m.org_unit.department() or m.org_unit)
    return units


def has_conflict(user, report) -> bool:
    unit = report.org_unit
    for own in conflict_units(user):
        if unit.path.startswith(own.path) or own.path.startswith(unit.path):
            return True
    return False


@transaction.atomic
def panel_add(*, actor, round_, user, kind, declaration, is_chair=False):
    access.require(actor, caps.ROUND_MANAGE)
    if round_.status == RoundStatus.CONCLUDED:
        raise TransitionError(_("The round is concluded."))
    if not declaration.strip():
        raise ValidationError(
            {"conflict_declaration": _("The expert must make a conflict-of-interest declaration.")}
        )
    is_external = Membership.objects.filter(user=user, role=R.EXTERNAL_EXPERT).exists()
    if kind == PanelMember.Kind.EXTERNAL and not is_external:
        raise ValidationError({"user": _("This person is not registered as an external expert.")})
    if (
        kind == PanelMember.Kind.INTERNAL
        and not Membership.objects.filter(user=user)
        .exclude(role__in=[R.EXTERNAL_EXPERT, R.STUDENT])
        .exists()
    ):
        raise ValidationError({"user": _("An internal expert must be a member of staff.")})
    if round_.panel.filter(user=user).exists():
        raise ValidationError({"user": _("This person is already on the panel.")})
    if is_chair and round_.panel.filter(is_chair=True).exists():
        raise ValidationError({"is_chair": _("The panel already has a chair.")})
    member = PanelMember.objects.create(
        round=round_, user=user, kind=kind, is_chair=is_chair, conflict_declaration=declaration
    )
    audit_record(
        actor=actor, action="review.panel.add", obj=round_, after={"user": user.pk, "kind": kind}
    )
    return member


@transaction.atomic
def assignment_create(*, actor, member, report):
    access.require(actor, caps.ROUND_MANAGE)
    round_ = member.round
    if not round_.reports.filter(pk=report.pk).exists():
        raise ValidationError({"report": _("The report is not in this round.")})
    if has_conflict(member.user, report):
        raise ValidationError(
            {
                "member": _(
                    "Conflict of interest: %(expert)s belongs to %(unit)s or its department and "
                    "may not review its report."
                )
                % {"expert": member.user, "unit": report.org_unit}
            }
        )
    assignment, created = ReviewAssignment.objects.get_or_create(member=member, report=report)
    if created:
        if round_.status == RoundStatus.IN_REVIEW:
            steps.start(assignment)
        audit_record(
            actor=actor,
            action="review.assignment.create",
            obj=round_,
            after={"expert": member.user_id, "report": report.pk},
        )
    return assignment


@dataclass(frozen=True)
class PublishResult:
    round: ReviewRound
    late: bool


@transaction.atomic
def round_publish(*, actor, round_):
    """Publish the round's material on the public page and record the date (公示)."""
    round_ = ReviewRound.objects.select_for_update().get(pk=round_.pk)
    holders.require(round_, actor, access.can(actor, caps.ROUND_MANAGE), "publish")
    if not round_.reports.exists():
        raise ValidationError({"reports": _("Add the reports under review first.")})
    _transition(round_, "disclose", actor)
    round_.save()
    steps.advance(round_, actor=actor, outcome="published")
    for report in round_.reports.select_for_update().filter(status=ReportStatus.FORWARDED):
        _transition(report, "publish", actor)
        report.save()
        steps.advance(report, actor=actor, outcome="published")
    late = not round_.disclosed_in_time
    audit_record(
        actor=actor,
        action="review.round.publish",
        obj=round_,
        after={"published_at": round_.published_at.isoformat(), "late": late},
    )
    return PublishResult(round_, late)


DISCLOSURE_WARNING = "review.disclosure_deadline"
notifications.register_kind(
    DISCLOSURE_WARNING,
    label=gettext_lazy("Review material due for publication"),
    audience=(caps.ROUND_MANAGE,),
    title=gettext_lazy("Publish the review material of “{{ obj }}” by {{ deadline }}"),
    body=gettext_lazy(
        "The material must be public at least {{ days }} days before the review starts on "
        "{{ start }}. Unpublished material keeps the review from starting and puts the units "
        "on the “needs improvement” list. {{ url }}"
    ),
)


def rounds_warn_disclosure(*, today=None):
    """Warn the organiser and the quality office of every round whose material is still
    unpublished when its disclosure deadline is `REVIEW_DISCLOSURE_WARN_DAYS` away or past;
    once per round, through the engine's notification outbox. Run daily (beat)."""
    today = today or timezone.localdate()
    horizon = today + timezone.timedelta(days=settings.REVIEW_DISCLOSURE_WARN_DAYS)
    due = ReviewRound.objects.filter(
        status=RoundStatus.PLANNING,
        published_at__isnull=True,
        deadline_warned_at__isnull=True,
        disclosure_deadline__lte=horizon,
    ).select_related("created_by")
    warned = []
    for round_ in due:
        with transaction.atomic():
            claimed = ReviewRound.objects.filter(
                pk=round_.pk, deadline_warned_at__isnull=True
            ).update(deadline_warned_at=timezone.now())
            if not claimed:
                continue
            notifications.notify(
                kind=DISCLOSURE_WARNING,
                recipients=[round_.created_by, *notifications.role_holders(R.QUALITY_OFFICER)],
                obj=round_,
                url=reverse("review:round_detail", args=[round_.pk]),
                context={
                    "deadline": round_.disclosure_deadline,
                    "days": settings.REVIEW_DISCLOSURE_DAYS,
                    "start": round_.review_start,
                },
                dedup_key=f"review.disclosure.{round_.pk}",
            )
            audit_record(actor=None, action="review.round.deadline_warning", obj=round_)
        warned.append(round_)
    return warned


class DisclosureError(ValidationError):
    pass


def round_start(*, actor, round_, today=None):
    """Start the review, or refuse: the material must have been public for the disclosure
    period, published no later than the deadline. A lapse puts every unit in scope on the
    待改进 list (seed 002 §三(二)3), recorded even though the start is refused."""
    holders.require(round_, actor, access.can(actor, caps.ROUND_MANAGE), "open_review")
    today = today or timezone.localdate()
    round_.refresh_from_db()
    days = settings.REVIEW_DISCLOSURE_DAYS
    if round_.status != RoundStatus.DISCLOSED and round_.published_at is None:
        if today <= round_.disclosure_deadline:
            raise DisclosureError(
                _("Publish the material first: it must be public by %(date)s.")
                % {"date": round_.disclosure_deadline}
            )
        _record_disclosure_lapse(actor=actor, round_=round_)
        raise DisclosureError(
            _(
                "The material was not published by %(date)s. The review cannot start and the "
                "units are on the “needs improvement” list."
            )
            % {"date": round_.disclosure_deadline}
        )
    if not round_.disclosed_in_time:
        _record_disclosure_lapse(actor=actor, round_=round_)
        raise DisclosureError(
            _(
                "The material was published on %(published)s, after the deadline %(date)s. The "
                "review cannot start and the units are on the “needs improvement” list."
            )
            % {
                "published": timezone.localdate(round_.published_at),
                "date": round_.disclosure_deadline,
            }
        )
    ends = timezone.localdate(round_.published_at) + timezone.timedelta(days=days)
    if today < ends:
        raise DisclosureError(
            _("The disclosure period runs until %(date)s; the review cannot start before.")
            % {"date": ends}
        )
    return _round_start(actor=actor, round_=round_)


@transaction.atomic
def _round_start(*, actor, round_):
    round_ = ReviewRound.objects.select_for_update().get(pk=round_.pk)
    if not round_.panel.filter(is_chair=True).exists():
        raise ValidationError({"panel": _("Name the panel chair before the review starts.")})
    _transition(round_, "start", actor)
    round_.save()
    steps.advance(round_, actor=actor, outcome="started")
    for assignment in ReviewAssignment.objects.filter(member__round=round_).select_related(
        "member__round", "member__user"
    ):
        steps.start(assignment)
    for report in round_.reports.select_for_update().filter(status=ReportStatus.PUBLISHED):
        _transition(report, "start_review", actor)
        report.save()
    audit_record(actor=actor, action="review.round.start", obj=round_)
    return round_


@transaction.atomic
def _record_disclosure_lapse(*, actor, round_):
    for report in round_.reports.select_related("org_unit"):
        conclusion, created = ReviewConclusion.objects.get_or_create(
            round=round_,
            report=report,
            defaults={
                "org_unit": report.org_unit,
                "basis": ReviewConclusion.Basis.DISCLOSURE_LATE,
                "conclusion": Conclusion.NEEDS_IMPROVEMENT,
                "signed_by": actor,
                "improvement_due": _improvement_due(),
            },
        )
        if created:
            _apply_sanctions(conclusion)
            _track_improvement(conclusion)
            audit_record(actor=actor, action="review.round.disclosure_lapse", obj=conclusion)


# ---------------------------------------------------------------- findings and conclusions


def _review_targets(catalogue):
    """(element, point) pairs an expert records: elements, plus points when the catalogue
    reviews per point."""
    targets = []
    for element in catalogue.elements_in_order().prefetch_related("points"):
        targets.append((element, None))
        if catalogue.review_points:
            targets.extend((element, point) for point in element.points.all())
    return targets


def get_assignment_for_expert(user, pk) -> ReviewAssignment:
    """Experts see only their own assignments, and only from publication on (404 otherwise)."""
    held = Q(pk__in=holders.held_pks(user, ReviewAssignment))  # 转办, 代理 (engine.holders)
    assignment = (
        ReviewAssignment.objects.select_related("member__round__catalogue", "report__org_unit")
        .filter(Q(member__user=user) | held, pk=pk, report__published_at__isnull=False)
        .first()
    )
    if assignment is None or not access.is_active_user(user):
        raise Http404
    return assignment


def review_window_notice(round_) -> str:
    """Why the expert's form is read-only now, with the date it opens; "" while it is open."""
    if round_.status == RoundStatus.IN_REVIEW:
        return ""
    if round_.status == RoundStatus.CONCLUDED:
        return _("The review of this round is concluded; the findings can no longer change.")
    return _(
        "The review has not started yet: findings are recorded from %(date)s, when the review "
        "period opens, after the material has been public for %(days)s days."
    ) % {"date": round_.review_start, "days": settings.REVIEW_DISCLOSURE_DAYS}


@transaction.atomic
def findings_draft_save(*, actor, assignment, answers: dict):
    """Keep what the expert typed (the posted answers), whatever the round's state; nothing
    typed is lost. Refused only once the findings are submitted."""
    assignment = ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.member.user_id != actor.pk:
        holders.require_held(assignment, actor, "review")
    if assignment.submitted_at:
        raise TransitionError(_("Your findings on this report are already submitted."))
    assignment.draft = answers
    assignment.draft_saved_at = timezone.now()
    assignment.save(update_fields=["draft", "draft_saved_at"])
    return assignment


@transaction.atomic
def findings_save(
    *, actor, assignment, findings, measures_strong=None, measures_comment="", submit=False
):
    """`findings`: iterable of dicts {element, point (optional), matches, comment}."""
    assignment = (
        ReviewAssignment.objects.select_for_update()
        .select_related("member__round__catalogue", "report")
        .get(pk=assignment.pk)
    )
    if assignment.member.user_id != actor.pk:
        holders.require_held(assignment, actor, "review")
    round_ = assignment.member.round
    if round_.status != RoundStatus.IN_REVIEW:
        raise TransitionError(_("Findings are recorded while the review is under way."))
    if assignment.submitted_at:
        raise TransitionError(_("Your findings on this report are already submitted."))
    catalogue = round_.catalogue
    element_ids = set(catalogue.elements.values_list("pk", flat=True))
    point_ids = dict(catalogue.elements.values_list("points__pk", "pk").exclude(points__pk=None))
    errors = []
    for item in findings:
        element_id = int(item["element"])
        point_id = item.get("point")
        if element_id not in element_ids:
            errors.append(
                _("Element %(id)s is not in the catalogue “%(c)s”.")
                % {"id": element_id, "c": catalogue}
            )
        elif point_id is not None and point_ids.get(int(point_id)) != element_id:
            errors.append(
                _("Point %(id)s is not part of element %(e)s.") % {"id": point_id, "e": element_id}
            )
    if errors:
        raise ValidationError({"findings": errors})
    for item in findings:
        Finding.objects.update_or_create(
            assignment=assignment,
            element_id=int(item["element"]),
            point_id=int(item["point"]) if item.get("point") is not None else None,
            defaults={"matches": bool(item["matches"]), "comment": item.get("comment", "")},
        )
    assignment.measures_strong = measures_strong
    assignment.measures_comment = measures_comment
    if submit:
        recorded = {(f.element_id, f.point_id) for f in assignment.findings.all()}
        missing = [
            str(point or element)
            for element, point in _review_targets(catalogue)
            if (element.pk, point.pk if point else None) not in recorded
        ]
        if missing:
            raise ValidationError(
                {"findings": [_("No finding yet for: %(m)s") % {"m": "、".join(missing)}]}
            )
        # a mismatch becomes an improvement item: what does not match is its content
        unexplained = [
            str(f.point or f.element)
            for f in assignment.findings.select_related("element", "point").filter(matches=False)
            if not f.comment.strip()
        ]
        if unexplained:
            raise ValidationError(
                {
                    "findings": [
                        _("Say what does not match for: %(m)s")
                        % {"m": "、".join(sorted(unexplained))}
                    ]
                }
            )
        if measures_strong is None:
            raise ValidationError({"measures_strong": [_("Judge the improvement measures.")]})
        assignment.submitted_at = timezone.now()
    assignment.save()
    if submit:
        steps.advance(assignment, actor=actor, outcome="submitted")
    audit_record(
        actor=actor,
        action="review.findings.submit" if submit else "review.findings.save",
        obj=assignment.report,
        after={"findings": len(findings), "measures_strong": measures_strong},
    )
    return assignment


def proposed_consolidation(round_, report):
    """The majority of the submitted expert findings per element/point; a tie is not a match
    until the chair decides. Returns {(element_id, point_id): (matches, [comments])} and the
    majority view of the measures."""
    votes: dict = {}
    comments: dict = {}
    measures = Counter()
    assignments = ReviewAssignment.objects.filter(
        member__round=round_, report=report, submitted_at__isnull=False
    ).prefetch_related("findings")
    for a in assignments:
        measures[bool(a.measures_strong)] += 1
        for f in a.findings.all():
            key = (f.element_id, f.point_id)
            votes.setdefault(key, Counter())[f.matches] += 1
            if f.comment:
                comments.setdefault(key, []).append(f.comment)
    proposal = {
        key: (count[True] > count[False], comments.get(key, [])) for key, count in votes.items()
    }
    return proposal, measures[True] > measures[False], assignments.count()


def _improvement_due():
    return timezone.localdate() + timezone.timedelta(days=settings.REVIEW_IMPROVEMENT_PERIOD_DAYS)


@transaction.atomic
def conclusion_sign(*, actor, round_, report, decisions=None, measures_strong=None, summary=""):
    """The panel chair signs the consolidated finding; the conclusion is computed from it.

    `decisions` overrides the majority per (element_id, point_id) with True/False."""
    round_ = ReviewRound.objects.select_for_update().get(pk=round_.pk)
    chair = round_.panel.filter(user=actor, is_chair=True).exists()
    holders.require(round_, actor, chair, "conclude")
    if round_.status != RoundStatus.IN_REVIEW:
        raise TransitionError(_("Conclusions are signed while the review is under way."))
    report = SelfDiagnosisReport.objects.select_for_update().get(pk=report.pk)
    if not round_.reports.filter(pk=report.pk).exists():
        raise ValidationError({"report": _("The report is not in this round.")})
    if ReviewConclusion.objects.filter(round=round_, report=report).exists():
        raise TransitionError(_("This report's conclusion is already signed."))
    proposal, majority_strong, submitted = proposed_consolidation(round_, report)
    if submitted == 0:
        raise ValidationError(
            {"findings": _("No expert has submitted findings on this report yet.")}
        )
    decisions = decisions or {}
    targets = _review_targets(round_.catalogue)
    valid_keys = {(e.pk, p.pk if p else None) for e, p in targets}
    stray = [key for key in decisions if key not in valid_keys]
    if stray:
        raise ValidationError({"findings": _("%(k)s is not in the catalogue.") % {"k": stray}})
    rows = []
    for element, point in targets:
        key = (element.pk, point.pk if point else None)
        if key in decisions:
            matches = bool(decisions[key])
        elif key in proposal:
            matches = proposal[key][0]
        else:
            raise ValidationError({"findings": _("No finding on %(t)s.") % {"t": point or element}})
        comment = "；".join(proposal.get(key, (None, []))[1])
        rows.append(
            ConsolidatedFinding(element=element, point=point, matches=matches, comment=comment)
        )
    strong = majority_strong if measures_strong is None else bool(measures_strong)
    matched = sum(1 for r in rows if r.matches)
    value = compute_conclusion(
        matched=matched,
        total=len(rows),
        measures_strong=strong,
        thresholds=round_.catalogue.thresholds,
    )
    conclusion = ReviewConclusion.objects.create(
        round=round_,
        report=report,
        org_unit=report.org_unit,
        basis=ReviewConclusion.Basis.REVIEW,
        matched=matched,
        total=len(rows),
        measures_strong=strong,
        conclusion=value,
        summary=summary,
        signed_by=actor,
        improvement_due=None if value == Conclusion.EFFECTIVE else _improvement_due(),
    )
    for row in rows:
        row.conclusion = conclusion
    ConsolidatedFinding.objects.bulk_create(rows)
    _transition(report, "conclude", actor)
    report.save()
    flag = _apply_sanctions(conclusion)
    _track_improvement(conclusion)
    if not round_.reports.exclude(conclusions__round=round_).exists():
        _transition(round_, "finish", actor)
        round_.save()
        steps.advance(round_, actor=actor, outcome="concluded")
        # findings nobody submitted are no longer awaited
        for assignment in ReviewAssignment.objects.filter(
            member__round=round_, submitted_at__isnull=True
        ).select_related("member__round"):
            steps.advance(assignment, actor=None, outcome="closed")
    audit_record(
        actor=actor,
        action="review.conclusion.sign",
        obj=conclusion,
        after={"matched": matched, "total": len(rows), "conclusion": value, "flagged": bool(flag)},
    )
    non_matching = [r for r in rows if not r.matches]
    transaction.on_commit(
        lambda: review_concluded.send(
            sender=ReviewConclusion,
            round=round_,
            report=report,
            conclusion=conclusion,
            non_matching=non_matching,
        )
    )
    return conclusion


IMPROVEMENT_DEADLINE = "review.improvement"
deadlines.register_kind(IMPROVEMENT_DEADLINE, label=gettext_lazy("Improvement after review"))


def _track_improvement(conclusion):
    """The improvement period as an engine deadline owned by the unit, so reminders and
    escalation follow it; the unit's next conclusion closes the previous period."""
    previous = (
        ReviewConclusion.objects.filter(org_unit=conclusion.org_unit)
        .exclude(pk=conclusion.pk)
        .filter(improvement_due__isnull=False)
    )
    for earlier in previous:
        deadlines.deadline_complete(obj=earlier, kind=IMPROVEMENT_DEADLINE)
        # its step in the one inbox ends with it (workflows.review.flows.ConclusionFlow)
        steps.advance(earlier, actor=None, outcome="superseded")
    if conclusion.improvement_due is None:
        return None
    due_at = timezone.make_aware(datetime.combine(conclusion.improvement_due, time(23, 59)))
    deadline = deadlines.deadline_start(
        obj=conclusion,
        kind=IMPROVEMENT_DEADLINE,
        owner_unit=conclusion.org_unit,
        due_at=due_at,
    )
    steps.advance(conclusion)
    return deadline


def _apply_sanctions(conclusion):
    """异常, or 待改进 in this and the unit's previous round, flags the unit (seed 004 §七)."""
    reason = None
    if conclusion.conclusion == Conclusion.ABNORMAL:
        reason = SanctionFlag.Reason.ABNORMAL
    elif conclusion.conclusion == Conclusion.NEEDS_IMPROVEMENT:
        previous = (
            ReviewConclusion.objects.filter(
                org_unit=conclusion.org_unit,
                round__review_start__lt=conclusion.round.review_start,
            )
            .order_by("-round__review_start")
            .first()
        )
        if previous and previous.conclusion == Conclusion.NEEDS_IMPROVEMENT:
            reason = SanctionFlag.Reason.TWICE_NEEDS_IMPROVEMENT
    if reason is None:
        return None
    return SanctionFlag.objects.create(
        org_unit=conclusion.org_unit, conclusion=conclusion, reason=reason
    )


@transaction.atomic
def sanction_propose(*, actor, flag, measure, detail):
    access.require(actor, caps.SANCTION_PROPOSE, flag)
    if not detail.strip():
        raise ValidationError({"detail": _("Describe the measure.")})
    decision = SanctionDecision.objects.create(
        flag=flag, measure=measure, detail=detail, proposed_by=actor
    )
    audit_record(
        actor=actor, action="review.sanction.propose", obj=decision, after=snapshot(decision)
    )
    return decision


@transaction.atomic
def sanction_approve(*, actor, decision):
    decision = SanctionDecision.objects.select_for_update().get(pk=decision.pk)
    access.require(actor, caps.SANCTION_APPROVE, decision)
    if decision.approved_at:
        raise TransitionError(_("This decision is already approved."))
    decision.approved_by = actor
    decision.approved_at = timezone.now()
    decision.save()
    audit_record(actor=actor, action="review.sanction.approve", obj=decision)
    return decision


# ---------------------------------------------------------------- document jobs


@transaction.atomic
def document_job_create(*, actor, kind, year, level=""):
    access.require(actor, caps.ANNUAL_BUILD)
    job = DocumentJob.objects.create(kind=kind, year=year, level=level, requested_by=actor)
    audit_record(actor=actor, action="review.document_job.create", obj=job)
    from .tasks import build_document

    transaction.on_commit(lambda: build_document.delay(job.pk))
    return job


# ---------------------------------------------------------------- catalogues


@transaction.atomic
def catalogue_import(*, actor, data, activate=False):
    """Create a catalogue version from parsed data (catalogues.parse_xlsx or a fixture)."""
    from .catalogues import load_data

    access.require(actor, caps.CATALOGUE_MANAGE)
    catalogue = load_data(
        data, status=Catalogue.Status.ACTIVE if activate else Catalogue.Status.DRAFT
    )
    audit_record(actor=actor, action="review.catalogue.import", obj=catalogue)
    return catalogue


def catalogue_import_xlsx(*, actor, file, activate=False):
    """A catalogue version from an uploaded workbook, as an engine import run (in the request
    when small, else a background job; recorded also when the file is refused part-way, e.g.
    the version exists already). Raises ValidationError for a file that cannot be read."""
    from engine.imports import ImportFileError, import_start

    try:
        return import_start(
            actor=actor, kind="catalogue", file=file, options={"activate": bool(activate)}
        )
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc


@transaction.atomic
def catalogue_set_status(*, actor, catalogue, status):
    access.require(actor, caps.CATALOGUE_MANAGE)
    before = catalogue.status
    catalogue.status = status
    catalogue.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="review.catalogue.status",
        obj=catalogue,
        before={"status": before},
        after={"status": status},
    )
    return catalogue
