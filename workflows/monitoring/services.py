"""Every write in monitoring: keyword-only, atomic, permission first, audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from accounts.audit import audit_record, snapshot
from accounts.models import Membership, OrgUnit, Role
from engine import step_rows, steps
from engine.numbers import plain
from workflows.levels import Level

from . import access_rules, chain, cycle_steps, engine_bridge, evaluation, stages
from .hooks import run_warning_hooks
from .models import (
    NEXT_STAGE,
    Cycle,
    CycleEvidence,
    CycleReport,
    EvidenceKind,
    Improvement,
    ImprovementStatus,
    Indicator,
    Period,
    PeriodKind,
    PeriodOpening,
    Reading,
    ReadingStatus,
    Stage,
    StageGate,
    Subject,
    Warning,
    WarningStatus,
)
from .selectors import cycle_links

UNIT_LEVEL_KINDS = {
    Level.SCHOOL: OrgUnit.Kind.COLLEGE,
    Level.MAJOR: OrgUnit.Kind.MAJOR,
    Level.COURSE: OrgUnit.Kind.COURSE,
}
USER_LEVEL_ROLES = {Level.TEACHER: Role.TEACHER, Level.STUDENT: Role.STUDENT}
FOLLOW_UP_CHUNK = 500


# --- subjects --------------------------------------------------------------------------------


def subject_for_unit(unit: OrgUnit) -> Subject:
    level = next((lv for lv, kind in UNIT_LEVEL_KINDS.items() if kind == unit.kind), None)
    if level is None:
        raise ValidationError(_("Only the college, a major or a course runs a cycle."))
    subject, _created = Subject.objects.get_or_create(
        subject_unit=unit, defaults={"level": level, "responsible_unit": unit, "name": unit.name}
    )
    return subject


def subject_for_user(user, level: str) -> Subject:
    role = USER_LEVEL_ROLES.get(level)
    if role is None:
        raise ValidationError(_("Only teachers and students run a personal cycle."))
    membership = Membership.objects.filter(user=user, role=role).select_related("org_unit").first()
    if membership is None:
        raise ValidationError(
            _("%(user)s holds no %(role)s membership.") % {"user": user, "role": role.label}
        )
    subject, _created = Subject.objects.get_or_create(
        subject_user=user,
        level=level,
        defaults={"responsible_unit": membership.org_unit, "name": str(user)},
    )
    return subject


# --- indicators ------------------------------------------------------------------------------


@transaction.atomic
def indicator_save(*, actor, indicator: Indicator) -> Indicator:
    access_rules.require_configure(actor)
    before = snapshot(Indicator.objects.get(pk=indicator.pk)) if indicator.pk else None
    indicator.full_clean()
    indicator.save()
    audit_record(
        actor=actor,
        action="indicator.update" if before else "indicator.create",
        obj=indicator,
        before=before,
        after=snapshot(indicator),
    )
    return indicator


# --- readings --------------------------------------------------------------------------------


def reading_value_errors(*, indicator: Indicator, subject, period, raw_value) -> tuple:
    """(value, errors): the parsed value and a dict of what is wrong with this reading."""
    errors: dict[str, str] = {}
    value = None
    try:
        parsed = Decimal(str(raw_value).strip().rstrip("%"))
        if not parsed.is_finite():
            raise InvalidOperation
        value = parsed
    except (InvalidOperation, ValueError):
        errors["value"] = _("“%(v)s” is not a number.") % {"v": raw_value}
    if value is not None:
        if value < indicator.min_value:
            errors["value"] = _("%(v)s is below the lowest possible value %(min)s.") % {
                "v": plain(value),
                "min": plain(indicator.min_value),
            }
        elif indicator.max_value is not None and value > indicator.max_value:
            errors["value"] = _("%(v)s is above the highest possible value %(max)s.") % {
                "v": plain(value),
                "max": plain(indicator.max_value),
            }
        elif value.as_tuple().exponent < -4:
            value = value.quantize(Decimal("0.0001"))
    if subject is None:
        errors["subject"] = _("Unknown subject.")
    elif subject.level != indicator.level:
        errors["subject"] = _("%(subject)s is not a subject at the level of this indicator.") % {
            "subject": subject
        }
    if period is None:
        errors["period"] = _("Unknown period.")
    elif period.kind != indicator.period_kind:
        errors["period"] = _("This indicator is read per %(kind)s, not per %(other)s.") % {
            "kind": indicator.get_period_kind_display(),
            "other": period.get_kind_display(),
        }
    if not indicator.is_active:
        errors["indicator"] = _("This indicator is no longer monitored.")
    return value, errors


def _next_version(indicator, subject, period) -> int:
    top = Reading.objects.filter(indicator=indicator, subject=subject, period=period).aggregate(
        m=Max("version")
    )["m"]
    return (top or 0) + 1


@transaction.atomic
def reading_submit(
    *,
    actor,
    indicator: Indicator,
    subject: Subject | None,
    period: Period | None,
    value,
    source: str = "form",
    source_id: str = "",
    note: str = "",
) -> tuple[Reading, bool]:
    """A new reading (or a correction: a new version). Returns (reading, created).

    With a source id the same push twice gives the first reading back (idempotent)."""
    access_rules.require_enter(actor, indicator)
    return reading_record(
        actor=actor,
        indicator=indicator,
        subject=subject,
        period=period,
        value=value,
        source=source,
        source_id=source_id,
        note=note,
    )


@transaction.atomic
def reading_record(
    *,
    actor,
    indicator: Indicator,
    subject: Subject | None,
    period: Period | None,
    value,
    source: str,
    source_id: str = "",
    note: str = "",
) -> tuple[Reading, bool]:
    """`reading_submit` for a source whose own service has decided that `actor` feeds this
    indicator (a class observation on a form the quality office linked to it): the same checks,
    versions, approval step and audit, without the data owner's entry right."""
    parsed, errors = reading_value_errors(
        indicator=indicator, subject=subject, period=period, raw_value=value
    )
    if errors:
        raise ValidationError(errors)
    if source_id:
        existing = Reading.objects.filter(
            indicator=indicator, subject=subject, period=period, source=source, source_id=source_id
        ).first()
        if existing is not None:
            return existing, False
    reading = Reading.objects.create(
        indicator=indicator,
        subject=subject,
        period=period,
        version=_next_version(indicator, subject, period),
        value=parsed,
        source=source,
        source_id=source_id,
        note=note,
        entered_by=actor,
    )
    steps.start(reading)
    audit_record(actor=actor, action="reading.submit", obj=reading, after=snapshot(reading))
    return reading, True


@transaction.atomic
def reading_approve(*, actor, reading: Reading) -> Reading:
    access_rules.require_approve_reading(actor, reading)
    # The row lock makes two approvers at once queue; the second finds it already approved.
    reading = Reading.objects.select_for_update().get(pk=reading.pk)
    if reading.status != ReadingStatus.PENDING:
        raise ValidationError(
            _("This reading is already %(status)s.") % {"status": reading.get_status_display()}
        )
    if reading.entered_by_id == actor.pk:
        raise PermissionDenied(_("Whoever entered a reading may not approve it."))
    current = (
        Reading.objects.select_for_update()
        .filter(
            indicator_id=reading.indicator_id,
            subject_id=reading.subject_id,
            period_id=reading.period_id,
            is_current=True,
        )
        .first()
    )
    if current is not None and current.version > reading.version:
        raise ValidationError(_("A newer version of this reading already counts."))
    if current is not None:
        Reading.objects.filter(pk=current.pk).update(
            is_current=False, status=ReadingStatus.SUPERSEDED
        )
    reading.status = ReadingStatus.APPROVED
    reading.is_current = True
    reading.approved_by = actor
    reading.approved_at = timezone.now()
    reading.save(update_fields=["status", "is_current", "approved_by", "approved_at"])
    steps.advance(reading, actor=actor, outcome=reading.status)
    audit_record(
        actor=actor,
        action="reading.approve",
        obj=reading,
        before={"superseded": current.pk if current else None},
        after={"value": str(reading.value), "version": reading.version},
    )
    indicator_id, period_id = reading.indicator_id, reading.period_id
    transaction.on_commit(lambda: _queue_evaluation(indicator_id, period_id))
    return reading


@transaction.atomic
def reading_reject(*, actor, reading: Reading, reason: str) -> Reading:
    access_rules.require_approve_reading(actor, reading)
    reading = Reading.objects.select_for_update().get(pk=reading.pk)
    if reading.status != ReadingStatus.PENDING:
        raise ValidationError(
            _("This reading is already %(status)s.") % {"status": reading.get_status_display()}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the reading is rejected.")})
    reading.status = ReadingStatus.REJECTED
    reading.note = reason[:200]
    reading.save(update_fields=["status", "note"])
    steps.advance(reading, actor=actor, outcome=reading.status)
    audit_record(actor=actor, action="reading.reject", obj=reading, after={"reason": reason})
    return reading


def _queue_evaluation(indicator_id: int, period_id: int) -> None:
    from .tasks import evaluate_indicator_period

    evaluate_indicator_period.delay(indicator_id, period_id)


# --- warnings --------------------------------------------------------------------------------


def warnings_evaluate(*, period: Period, indicators) -> evaluation.EvaluationResult:
    """System operation (run by Celery): evaluate, then follow up the run's own warnings."""
    indicators = list(indicators)
    with transaction.atomic():
        result = evaluation.evaluate(period, indicators)
        if result.raised:
            _warn_cycles(result)
    follow_up(result)
    if result.raised or result.resolved or result.regraded:
        audit_record(
            actor=None,
            action="warning.evaluate",
            obj=period,
            after={
                "indicators": [i.code for i in indicators],
                "raised": result.raised,
                "resolved": result.resolved,
                "regraded": result.regraded,
            },
        )
    return result


def follow_up(result: evaluation.EvaluationResult) -> None:
    """Deadlines, notifications, hooks and cycle moves for the warnings one evaluation run
    touched: a constant number of queries per batch of FOLLOW_UP_CHUNK warnings."""
    of_run = Warning.objects.filter(
        indicator_id__in=result.indicator_ids, period_id=result.period_id
    )
    if result.raised:
        raised = of_run.filter(raised_run=result.run)
        qs = raised.select_related(
            "indicator", "subject__subject_user", "period", "responsible_unit"
        ).order_by("pk")
        for batch in _batches(qs.iterator(chunk_size=FOLLOW_UP_CHUNK)):
            with transaction.atomic():
                engine_bridge.start_response_deadlines(batch)
                step_rows.open_many(batch)
                engine_bridge.notify_warnings_raised(batch)
            hooked = [w for w in batch if w.indicator.opens_case]
            if hooked:
                transaction.on_commit(lambda ws=hooked: run_warning_hooks(ws))
    if result.resolved:
        resolved = of_run.filter(resolved_run=result.run).order_by("pk")
        for batch in _batches(resolved.values_list("pk", flat=True).iterator(FOLLOW_UP_CHUNK)):
            with transaction.atomic():
                engine_bridge.cancel_response_deadlines(batch)
                step_rows.close_many(Warning, batch, outcome=WarningStatus.RESOLVED)


def _warn_cycles(result: evaluation.EvaluationResult) -> None:
    """The implementing or monitoring cycles of the subjects this run raised warnings against
    move to 预警, in the run's transaction: one locking query, one update, bulk log and audit."""
    raised = Warning.objects.filter(
        indicator_id__in=result.indicator_ids,
        period_id=result.period_id,
        raised_run=result.run,
    )
    stages.cycles_move(
        Cycle.objects.filter(
            subject_id__in=raised.values("subject_id"),
            period_id=result.period_id,
            stage__in=[Stage.MONITOR, Stage.IMPLEMENT],
        ),
        "warn",
        reason=_("A warning was raised."),
    )


def _batches(rows):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= FOLLOW_UP_CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


@transaction.atomic
def warning_acknowledge(*, actor, warning: Warning) -> Warning:
    access_rules.require_respond(actor, warning)
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if not can_proceed(warning.acknowledge):
        raise ValidationError(
            _("This warning is %(status)s; it cannot be acknowledged.")
            % {"status": warning.get_status_display()}
        )
    warning.acknowledge()
    warning.acknowledged_by = actor
    warning.acknowledged_at = timezone.now()
    warning.save()
    engine_bridge.complete_response_deadline(warning)
    steps.advance(warning, actor=actor, outcome=warning.status)
    audit_record(actor=actor, action="warning.acknowledge", obj=warning)
    return warning


@transaction.atomic
def warnings_acknowledge(*, actor, warning_ids) -> int:
    """Acknowledge the warnings a responder ticked on the warnings list: each through
    `warning_acknowledge` (its checks, deadline, step and audit), all or none."""
    ids = sorted({int(pk) for pk in warning_ids})
    if not ids:
        raise ValidationError(_("Tick the warnings to acknowledge."))
    if len(ids) > settings.MONITORING_BULK_DECIDE_MAX:
        raise ValidationError(
            _("Acknowledge at most %(n)s warnings at once.")
            % {"n": settings.MONITORING_BULK_DECIDE_MAX}
        )
    warnings = list(Warning.objects.filter(pk__in=ids).select_related("indicator", "subject"))
    if len(warnings) != len(ids):
        raise ValidationError(_("Some of the ticked warnings no longer exist."))
    for warning in warnings:
        try:
            warning_acknowledge(actor=actor, warning=warning)
        except (ValidationError, PermissionDenied) as exc:
            message = " ".join(getattr(exc, "messages", None) or [str(exc) or _("Not allowed.")])
            raise ValidationError(
                _("%(indicator)s · %(subject)s: %(error)s Nothing was changed.")
                % {"indicator": warning.indicator, "subject": warning.subject, "error": message}
            ) from exc
    return len(warnings)


# --- improvements ----------------------------------------------------------------------------


@transaction.atomic
def improvement_open(
    *,
    actor,
    subject: Subject,
    period: Period,
    title: str,
    cause_analysis: str,
    measures: str,
    owner,
    deadline,
    warning: Warning | None = None,
    finding: str = "",
) -> Improvement:
    target = warning or subject
    access_rules.require_respond(actor, target)
    if warning is None and not finding.strip():
        raise ValidationError(
            {"finding": _("Name the warning or finding this improvement answers.")}
        )
    improvement = Improvement(
        warning=warning,
        finding=finding,
        subject=subject,
        period=period,
        responsible_unit=subject.responsible_unit,
        title=title,
        cause_analysis=cause_analysis,
        measures=measures,
        owner=owner,
        deadline=deadline,
        created_by=actor,
    )
    improvement.full_clean(exclude=["status"])
    _check_owner_and_deadline(improvement)
    improvement.save()
    if warning is not None and warning.status == WarningStatus.OPEN:
        warning = Warning.objects.select_for_update().get(pk=warning.pk)
        warning.acknowledge()
        warning.acknowledged_by = actor
        warning.acknowledged_at = timezone.now()
        warning.save()
        engine_bridge.complete_response_deadline(warning)
        steps.advance(warning, actor=actor, outcome=warning.status)
    steps.start(improvement)
    stages.cycles_move(
        Cycle.objects.filter(subject=subject, period=period, stage=Stage.WARN),
        "start_improving",
        actor=actor,
        reason=_("Improvement opened: %(title)s") % {"title": title},
    )
    audit_record(
        actor=actor, action="improvement.open", obj=improvement, after=snapshot(improvement)
    )
    return improvement


def _check_owner_and_deadline(improvement: Improvement) -> None:
    """The owner is someone who answers for the subject (access_rules.improvement_owners: the
    person of a personal subject, else the unit's staff), and the deadline is still ahead."""
    subject = improvement.subject
    errors = {}
    if not access_rules.improvement_owners(subject).filter(pk=improvement.owner_id).exists():
        errors["owner"] = (
            _("Only %(person)s can own an improvement of their own.") % {"person": subject}
            if subject.subject_user_id is not None
            else _("The owner must be a person who answers for %(unit)s.")
            % {"unit": subject.responsible_unit}
        )
    if improvement.deadline < timezone.localdate():
        errors["deadline"] = _("The deadline cannot be before today.")
    if errors:
        raise ValidationError(errors)


def improvement_data_check(improvement: Improvement) -> str:
    """Did the readings after the improvement opened come back inside the band?"""
    if improvement.warning_id is None:
        return "no_data"
    warning = improvement.warning
    latest = (
        Reading.objects.filter(
            indicator_id=warning.indicator_id,
            subject_id=warning.subject_id,
            is_current=True,
            approved_at__gt=improvement.created_at,
        )
        .order_by("-period__start", "-approved_at")
        .first()
    )
    if latest is None:
        return "no_data"
    return "outside" if warning.indicator.level_for(latest.value) else "inside"


@transaction.atomic
def improvement_submit(*, actor, improvement: Improvement, evidence: str, evidence_file=None):
    access_rules.require_improvement_owner(actor, improvement)
    improvement = Improvement.objects.select_for_update().get(pk=improvement.pk)
    if not can_proceed(improvement.submit):
        raise ValidationError(_("This improvement is not in progress."))
    if not evidence.strip():
        raise ValidationError({"evidence": _("Attach the evidence of the measures taken.")})
    if evidence_file:
        engine_bridge.attach_file(actor=actor, obj=improvement, upload=evidence_file)
    improvement.submit()
    improvement.evidence = evidence
    improvement.data_check = improvement_data_check(improvement)
    improvement.save()
    steps.advance(improvement, actor=actor, outcome=improvement.status)
    audit_record(
        actor=actor,
        action="improvement.submit",
        obj=improvement,
        after={"data_check": improvement.data_check},
    )
    return improvement


@transaction.atomic
def improvement_sign_off(*, actor, improvement: Improvement, effective: bool, note: str):
    """The approver's effectiveness check: close it, or send it back for more work."""
    access_rules.require_sign_off(actor, improvement)
    improvement = Improvement.objects.select_for_update().get(pk=improvement.pk)
    if improvement.status != ImprovementStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted improvement can be checked."))
    if not note.strip():
        raise ValidationError({"note": _("Record the effectiveness check.")})
    if not improvement.evidence.strip():
        raise ValidationError(_("An improvement cannot close without evidence."))
    improvement.data_check = improvement_data_check(improvement)
    if effective and improvement.data_check == "outside":
        raise ValidationError(
            _(
                "The latest approved reading is still outside the band: "
                "it cannot be judged effective."
            )
        )
    if effective:
        improvement.close()
    else:
        improvement.send_back()
    improvement.effective = effective
    improvement.effectiveness_note = note
    improvement.signed_off_by = actor
    improvement.signed_off_at = timezone.now()
    improvement.save()
    steps.advance(improvement, actor=actor, outcome=improvement.status)
    if effective:
        still_open = Improvement.objects.filter(
            subject_id=improvement.subject_id, period_id=improvement.period_id
        ).exclude(status=ImprovementStatus.CLOSED)
        if not still_open.exists():
            stages.cycles_move(
                Cycle.objects.filter(
                    subject_id=improvement.subject_id,
                    period_id=improvement.period_id,
                    stage=Stage.IMPROVE,
                ),
                "back_to_implementing",
                actor=actor,
                reason=_("The last improvement was closed."),
            )
    audit_record(
        actor=actor,
        action="improvement.close" if effective else "improvement.send_back",
        obj=improvement,
        after={"effective": effective, "data_check": improvement.data_check, "note": note},
    )
    return improvement


# --- cycles ----------------------------------------------------------------------------------


def cycle_missing_evidence(cycle: Cycle, links=None) -> list[StageGate]:
    """The gates of the cycle's current stage that it has not yet met: by the evidence added,
    or by its linked objects where the evidence is data or a decision (see selectors)."""
    links = links if links is not None else cycle_links(cycle)
    given = {e.gate_id for e in links["evidence"]}
    return [
        gate
        for gate in links["gates"]
        if gate.stage == cycle.stage and gate.pk not in given and not links["met"].get(gate.pk)
    ]


def cycle_gaps(cycle: Cycle, links=None) -> list[str]:
    """What the chain lacks for the cycle to leave its stage (not evidence: linked items)."""
    links = links if links is not None else cycle_links(cycle)
    if cycle.stage == Stage.TARGET and not links["targets"]:
        return [_("No target in force is linked: the subject's plans set none at its level.")]
    if cycle.stage == Stage.STANDARD and not links["standards"]:
        return [_("No standard in force is linked: the subject's plans set none at its level.")]
    return []


@transaction.atomic
def cycle_link_items(*, actor, cycle: Cycle) -> int:
    """Link the targets and standards that came in force since the cycle opened (only while
    the cycle still sets its targets and standards)."""
    access_rules.require_cycle_run(actor, cycle)
    if cycle.stage not in (Stage.TARGET, Stage.STANDARD):
        raise ValidationError(
            _(
                "Targets and standards are linked while the cycle sets them; revise them through a "
                "change request, and the next cycle links the new version."
            )
        )
    added = chain.link_in_force_items(cycle.period_id, [cycle.subject_id])
    cycle_steps.refresh(cycle, actor=actor, outcome="linked")
    audit_record(actor=actor, action="cycle.link", obj=cycle, after={"added": added})
    return added


@transaction.atomic
def cycle_add_evidence(*, actor, cycle: Cycle, gate: StageGate, text: str, file=None):
    access_rules.require_cycle_run(actor, cycle)
    if gate.level != cycle.level:
        raise ValidationError({"gate": _("This evidence gate belongs to another level.")})
    if not gate.applies_to(cycle.period.kind):
        raise ValidationError({"gate": _("This evidence gate belongs to another kind of period.")})
    if gate.kind == EvidenceKind.DATA:
        raise ValidationError({"gate": _("Data evidence comes from approved readings.")})
    if not text.strip():
        raise ValidationError({"text": _("Describe the evidence.")})
    evidence = CycleEvidence.objects.create(cycle=cycle, gate=gate, text=text, added_by=actor)
    if file:
        engine_bridge.attach_file(actor=actor, obj=evidence, upload=file)
    cycle_steps.refresh(cycle, actor=actor, outcome="evidence")
    audit_record(
        actor=actor,
        action="cycle.evidence",
        obj=cycle,
        after={"gate": gate.label, "stage": gate.stage, "text": text[:200]},
    )
    return evidence


@transaction.atomic
def cycle_update_texts(*, actor, cycle: Cycle, target_text: str, standard_text: str) -> Cycle:
    access_rules.require_cycle_run(actor, cycle)
    before = {"target_text": cycle.target_text, "standard_text": cycle.standard_text}
    cycle.target_text, cycle.standard_text = target_text, standard_text
    cycle.save(update_fields=["target_text", "standard_text"])
    audit_record(
        actor=actor,
        action="cycle.texts",
        obj=cycle,
        before=before,
        after={"target_text": target_text, "standard_text": standard_text},
    )
    return cycle


@transaction.atomic
def cycle_advance(*, actor, cycle: Cycle) -> Cycle:
    access_rules.require_cycle_run(actor, cycle)
    cycle = Cycle.objects.select_for_update().select_related("subject", "period").get(pk=cycle.pk)
    to = NEXT_STAGE.get(cycle.stage)
    if to is None or not can_proceed(cycle.advance):
        raise ValidationError(
            _("A cycle at “%(stage)s” moves on by itself (warnings and improvements move it).")
            % {"stage": cycle.get_stage_display()}
        )
    links = cycle_links(cycle)
    gaps = cycle_gaps(cycle, links)
    if gaps:
        raise ValidationError(gaps)
    missing = cycle_missing_evidence(cycle, links)
    if missing:
        raise ValidationError(
            _("Missing evidence for “%(stage)s”: %(gates)s.")
            % {"stage": cycle.get_stage_display(), "gates": "、".join(g.label for g in missing)}
        )
    if to == Stage.DIAGNOSE and any(
        w.status in ("open", "acknowledged") and not w.has_improvement for w in links["warnings"]
    ):
        raise ValidationError(_("Open warnings without an improvement must be answered first."))
    stages.cycles_move([cycle], "advance", actor=actor, args=(to,))
    if to == Stage.IMPROVED:
        nxt = cycle.period.next_period()
        if nxt is not None:
            _carry_over([cycle.subject_id], from_period=cycle.period, to_period=nxt)
    return cycle


@transaction.atomic
def cycle_report_request(*, actor, cycle: Cycle) -> CycleReport:
    """Queue the subject's annual quality report of this cycle (built in the background); one
    already queued or running is returned instead of a second."""
    access_rules.require_report_cycle(actor, cycle)
    pending = (
        CycleReport.objects.select_for_update()
        .filter(cycle=cycle, status__in=[CycleReport.Status.QUEUED, CycleReport.Status.RUNNING])
        .first()
    )
    if pending is not None:
        return pending
    report = CycleReport.objects.create(cycle=cycle, requested_by=actor)
    audit_record(actor=actor, action="cycle.report", obj=cycle, after={"report": report.pk})
    transaction.on_commit(lambda: _queue_report(report.pk))
    return report


def _queue_report(report_id: int) -> None:
    from .tasks import build_cycle_report

    build_cycle_report.delay(report_id)


def _carry_over(subject_ids, *, from_period: Period | None, to_period: Period) -> int:
    """Create the cycles of `to_period` for these subjects that do not exist yet, carrying the
    previous cycle's targets and standards over as drafts. One insert per batch."""
    subjects = (
        Subject.objects.filter(pk__in=subject_ids)
        .exclude(cycles__period=to_period)
        .values("pk", "level", "responsible_unit_id")
    )
    previous = {}
    if from_period is not None:
        previous = {
            row["subject_id"]: row
            for row in Cycle.objects.filter(period=from_period, subject_id__in=subject_ids).values(
                "pk", "subject_id", "target_text", "standard_text"
            )
        }
    rows = []
    for s in subjects:
        prev = previous.get(s["pk"])
        rows.append(
            Cycle(
                subject_id=s["pk"],
                period=to_period,
                level=s["level"],
                responsible_unit_id=s["responsible_unit_id"],
                previous_id=prev["pk"] if prev else None,
                target_text=prev["target_text"] if prev else "",
                standard_text=prev["standard_text"] if prev else "",
                carried_over=prev is not None,
            )
        )
    Cycle.objects.bulk_create(rows, ignore_conflicts=True)
    # The new cycles are built from the items in force now: the revised versions, if any.
    chain.link_in_force_items(to_period.pk, [r.subject_id for r in rows])
    _open_steps(to_period, [r.subject_id for r in rows])
    return len(rows)


def _open_steps(period: Period, subject_ids) -> None:
    """The new cycles' first work (fill the gap, or decide on the targets linked) in their
    owners' inboxes, with its stage deadline: a constant number of statements per batch."""
    if not subject_ids:
        return
    cycles = list(
        Cycle.objects.filter(period=period, subject_id__in=subject_ids).select_related(
            "subject__subject_user", "period", "responsible_unit"
        )
    )
    cycle_steps.prime(cycles)
    waiting = [c for c in cycles if c._work]
    if waiting:
        step_rows.open_many(waiting)
    cycle_steps.sync_deadlines(cycles)


@transaction.atomic
def period_open(*, actor, period: Period, levels: list[str]) -> PeriodOpening:
    access_rules.require_configure(actor)
    if period.kind == PeriodKind.WEEK:
        raise ValidationError(_("Cycles turn per year or term; a week only carries readings."))
    unknown = set(levels) - set(Level.values)
    if not levels or unknown:
        raise ValidationError({"levels": _("Choose at least one level.")})
    opening = PeriodOpening.objects.create(period=period, levels=levels, started_by=actor)
    if not period.is_open:
        period.is_open = True
        period.save(update_fields=["is_open"])
    audit_record(actor=actor, action="period.open", obj=period, after={"levels": levels})
    transaction.on_commit(lambda: _queue_opening(opening.pk))
    return opening


def _queue_opening(opening_id: int) -> None:
    from .tasks import open_period_cycles

    open_period_cycles.delay(opening_id)


def _ensure_subjects(level: str) -> None:
    """Create every missing subject of a level in a few set-based statements."""
    if level in UNIT_LEVEL_KINDS:
        units = OrgUnit.objects.filter(
            kind=UNIT_LEVEL_KINDS[level], is_active=True, monitoring_subject__isnull=True
        ).values_list("pk", "name")
        Subject.objects.bulk_create(
            [
                Subject(level=level, subject_unit_id=pk, responsible_unit_id=pk, name=name)
                for pk, name in units.iterator(chunk_size=2000)
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        return
    seen = set(Subject.objects.filter(level=level).values_list("subject_user_id", flat=True))
    memberships = (
        Membership.objects.filter(role=USER_LEVEL_ROLES[level], user__is_active=True)
        .order_by("user_id", "pk")
        .values_list("user_id", "org_unit_id", "user__full_name", "user__username")
    )
    batch = []
    for user_id, unit_id, full_name, username in memberships.iterator(chunk_size=5000):
        if user_id in seen:
            continue
        seen.add(user_id)
        batch.append(
            Subject(
                level=level,
                subject_user_id=user_id,
                responsible_unit_id=unit_id,
                name=full_name or username,
            )
        )
        if len(batch) >= 2000:
            Subject.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Subject.objects.bulk_create(batch, ignore_conflicts=True)


OPENING_BATCH = 2000


def period_opening_run(opening: PeriodOpening) -> PeriodOpening:
    """The background half of `period_open`: subjects, then cycles in batches, with progress."""
    period = opening.period
    previous = (
        Period.objects.filter(kind=period.kind, start__lt=period.start).order_by("-start").first()
    )
    PeriodOpening.objects.filter(pk=opening.pk).update(status=PeriodOpening.Status.RUNNING)
    for level in opening.levels:
        _ensure_subjects(level)
    todo = (
        Subject.objects.filter(level__in=opening.levels)
        .exclude(cycles__period=period)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    total = todo.count()
    PeriodOpening.objects.filter(pk=opening.pk).update(total=total)
    created = 0
    ids = list(todo)  # integers only: 20k ids are a few hundred kB
    for start in range(0, len(ids), OPENING_BATCH):
        with transaction.atomic():
            created += _carry_over(
                ids[start : start + OPENING_BATCH], from_period=previous, to_period=period
            )
        PeriodOpening.objects.filter(pk=opening.pk).update(created=created)
    PeriodOpening.objects.filter(pk=opening.pk).update(
        status=PeriodOpening.Status.DONE, created=created, finished_at=timezone.now()
    )
    opening.refresh_from_db()
    return opening


@transaction.atomic
def readings_decide(*, actor, reading_ids, approve: bool, reason: str = "") -> int:
    """Approve, or return with one reason, the readings an approver ticked on the approvals
    page: each through the same service as one at a time (its checks, step, audit), all or
    none: a reading that cannot be decided names itself and nothing is changed."""
    ids = sorted({int(pk) for pk in reading_ids})
    if not ids:
        raise ValidationError(_("Tick the readings to decide."))
    if len(ids) > settings.MONITORING_BULK_DECIDE_MAX:
        raise ValidationError(
            _("Decide at most %(n)s readings at once.") % {"n": settings.MONITORING_BULK_DECIDE_MAX}
        )
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Say why the reading is rejected.")})
    readings = list(Reading.objects.filter(pk__in=ids).select_related("indicator", "subject"))
    if len(readings) != len(ids):
        raise ValidationError(_("Some of the ticked readings no longer exist."))
    for reading in readings:
        try:
            if approve:
                reading_approve(actor=actor, reading=reading)
            else:
                reading_reject(actor=actor, reading=reading, reason=reason)
        except (ValidationError, PermissionDenied) as exc:
            message = " ".join(getattr(exc, "messages", None) or [str(exc) or _("Not allowed.")])
            raise ValidationError(
                _("%(indicator)s · %(subject)s: %(error)s Nothing was changed.")
                % {"indicator": reading.indicator, "subject": reading.subject, "error": message}
            ) from exc
    return len(readings)


@transaction.atomic
def reading_approve_batch(*, actor, batch: str) -> int:
    """Approve every pending reading of one import batch at once (set-based).

    The approver must approve every indicator in the batch; their own entries are refused."""
    pending = Reading.objects.filter(batch=batch, status=ReadingStatus.PENDING)
    indicator_ids = set(pending.values_list("indicator_id", flat=True).distinct())
    if not indicator_ids:
        raise ValidationError(_("Nothing in this batch awaits approval."))
    for indicator in Indicator.objects.filter(pk__in=indicator_ids):
        access_rules.require_approve(actor, indicator)
    if pending.filter(entered_by=actor).exists():
        raise PermissionDenied(_("Whoever entered a reading may not approve it."))
    locked = list(pending.select_for_update().values_list("pk", flat=True)[:1])
    if not locked:
        raise ValidationError(_("Nothing in this batch awaits approval."))
    now = timezone.now()
    newer = Reading.objects.filter(
        indicator_id=OuterRef("indicator_id"),
        subject_id=OuterRef("subject_id"),
        period_id=OuterRef("period_id"),
        batch=batch,
        status=ReadingStatus.PENDING,
    )
    Reading.objects.filter(is_current=True, indicator_id__in=indicator_ids).filter(
        Exists(newer)
    ).update(is_current=False, status=ReadingStatus.SUPERSEDED)
    decided = list(pending.values_list("pk", flat=True))
    count = pending.update(
        status=ReadingStatus.APPROVED, is_current=True, approved_by=actor, approved_at=now
    )
    step_rows.close_many(Reading, decided, actor=actor, outcome=ReadingStatus.APPROVED)
    periods = set(
        Reading.objects.filter(batch=batch).values_list("indicator_id", "period_id").distinct()
    )
    audit_record(
        actor=actor, action="reading.approve_batch", after={"batch": batch, "count": count}
    )
    transaction.on_commit(lambda: [_queue_evaluation(i, p) for i, p in periods])
    return count


@transaction.atomic
def period_create(
    *, actor, kind: str, year: int, number: int | None = None, start=None, end=None
) -> Period:
    """Add a reporting period. Codes and names follow the college's conventions: "2026" for the
    2026-2027 academic year (1 September to 31 August), "2026-1"/"2026-2" for its terms (dates as
    the term calendar sets them, inside the year), "2026-09" for a month, "2026-W48" for an ISO
    week. Two periods of one kind never overlap."""
    import calendar
    import datetime

    from .periods import week_bounds, week_code, week_name

    access_rules.require_configure(actor)
    if kind not in PeriodKind.values:
        raise ValidationError({"kind": _("Unknown kind of period.")})
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")})
    if kind == PeriodKind.YEAR:
        code, name = str(year), f"{year}学年"
        start, end = datetime.date(year, 9, 1), datetime.date(year + 1, 8, 31)
    elif kind == PeriodKind.TERM:
        if number not in (1, 2):
            raise ValidationError({"number": _("A term is the first or the second.")})
        if start is None or end is None:
            raise ValidationError({"start": _("Enter the term's first and last day.")})
        if not datetime.date(year, 9, 1) <= start <= end <= datetime.date(year + 1, 8, 31):
            raise ValidationError(
                {"end": _("A term lies inside its academic year and ends after it starts.")}
            )
        code, name = f"{year}-{number}", f"{year}-{year + 1}学年第{number}学期"
    elif kind == PeriodKind.MONTH:
        if number is None or not 1 <= number <= 12:
            raise ValidationError({"number": _("Enter a month from 1 to 12.")})
        code, name = f"{year}-{number:02d}", f"{year}年{number}月"
        start = datetime.date(year, number, 1)
        end = datetime.date(year, number, calendar.monthrange(year, number)[1])
    else:
        try:
            start, end = week_bounds(year, number or 0)
        except ValueError:
            raise ValidationError({"number": _("This year has no such ISO week.")}) from None
        code, name = week_code(year, number), week_name(year, number)
    if Period.objects.filter(code=code).exists():
        raise ValidationError({"number": _("Period %(code)s already exists.") % {"code": code}})
    overlapping = (
        Period.objects.select_for_update().filter(kind=kind, start__lte=end, end__gte=start).first()
    )
    if overlapping is not None:
        raise ValidationError(
            {"start": _("It overlaps %(period)s.") % {"period": overlapping.name}}
        )
    period = Period(code=code, name=name, kind=kind, start=start, end=end)
    period.full_clean()
    period.save()
    audit_record(actor=actor, action="period.create", obj=period, after=snapshot(period))
    return period
