"""Every write on observations: keyword-only, atomic, permission first, audited.

An observation is written once, when its observer submits it (the draft lives on the phone, see
static/observations/draft.js): the scores, the photos (cleaned of metadata as the confidential
intake cleans them), the readings of the indicators its form links, the observer's duty count
and the teacher's notification all land in the one transaction, or nothing does."""

from __future__ import annotations

import datetime
import math
import os
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import access as accounts_access
from accounts.audit import audit_record, snapshot
from accounts.models import Membership, OrgUnit, Role
from engine import attachments, cleaning, deadlines, notifications, step_rows, steps
from engine.models import Term
from engine.numbers import plain
from engine.templatetags.labels import label_suffix
from engine.text import sentences
from workflows.levels import Level
from workflows.monitoring.periods import week_name

from . import access
from . import capabilities as caps
from .models import (
    Duty,
    DutyQuota,
    DutyStatus,
    FormItem,
    FormSection,
    FormVersion,
    Observation,
    ObservationForm,
    ObservationReply,
    ObservationScore,
    QuotaPer,
)

DUTY_KIND = "observation.duty"
deadlines.register_kind(DUTY_KIND, label=gettext_lazy("Class observation duty"))
notifications.register_kind(
    "observation.received",
    label=gettext_lazy("Your lesson was observed"),
    audience=(caps.RECEIVE,),
    title=gettext_lazy("Your lesson was observed: {{ obj.course }}"),
    body=gettext_lazy("{{ observer }} observed your lesson and scored it {{ score }}. {{ url }}"),
)
notifications.register_kind(
    "observation.reply",
    label=gettext_lazy("A teacher answered your observation"),
    audience=(caps.OBSERVE,),
    title=gettext_lazy("{{ teacher }} answered your observation"),
    body=gettext_lazy("{{ text }} {{ url }}"),
)
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
FUTURE_SLACK = datetime.timedelta(minutes=10)
CENT = Decimal("0.01")


# --- forms --------------------------------------------------------------------------------------


def _decimal(raw, message) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(message) from None
    if not value.is_finite():
        raise ValidationError(message)
    return value


@transaction.atomic
def form_version_save(
    *,
    actor,
    form: ObservationForm,
    sections: list[dict],
    course_indicator=None,
    teacher_indicator=None,
    note: str = "",
) -> FormVersion:
    """Save the form's content as its next version (the versions observations used stay as
    they were). `sections`: [{"title", "items": [{"label", "guidance", "weight", "max_score"}]}]."""
    accounts_access.require(actor, caps.MANAGE)
    form = ObservationForm.objects.select_for_update().get(pk=form.pk)
    clean_sections = []
    for s_index, section in enumerate(sections, start=1):
        title = (section.get("title") or "").strip()
        items = []
        for i_index, item in enumerate(section.get("items") or [], start=1):
            label = (item.get("label") or "").strip()
            if not label:
                continue
            where = _("Section %(s)s, point %(i)s") % {"s": s_index, "i": i_index}
            weight = _decimal(
                item.get("weight"), _("%(where)s: the weight is not a number.") % {"where": where}
            )
            if weight <= 0 or weight > 1000:
                raise ValidationError(
                    _("%(where)s: the weight must be above 0 and at most 1000.") % {"where": where}
                )
            try:
                max_score = int(str(item.get("max_score") or "10").strip())
            except ValueError:
                max_score = 0
            if not 1 <= max_score <= 100:
                raise ValidationError(
                    _("%(where)s: the highest score is a whole number from 1 to 100.")
                    % {"where": where}
                )
            items.append(
                {
                    "label": label[:100],
                    "guidance": (item.get("guidance") or "").strip()[:300],
                    "weight": weight.quantize(CENT),
                    "max_score": max_score,
                }
            )
        if items:
            if not title:
                raise ValidationError(_("Section %(s)s has points but no title.") % {"s": s_index})
            clean_sections.append((title[:100], items))
    if not clean_sections:
        raise ValidationError(_("A form needs at least one scored point."))
    if course_indicator is not None and course_indicator.level != Level.COURSE:
        raise ValidationError({"course_indicator": _("Choose a course-level indicator.")})
    if teacher_indicator is not None and teacher_indicator.level != Level.TEACHER:
        raise ValidationError({"teacher_indicator": _("Choose a teacher-level indicator.")})
    current = form.current_version()
    number = (current.number if current else 0) + 1
    version = FormVersion.objects.create(
        form=form,
        number=number,
        note=note.strip()[:200],
        course_indicator=course_indicator,
        teacher_indicator=teacher_indicator,
        created_by=actor,
    )
    for position, (title, items) in enumerate(clean_sections, start=1):
        section = FormSection.objects.create(version=version, position=position, title=title)
        FormItem.objects.bulk_create(
            FormItem(section=section, position=p, **item) for p, item in enumerate(items, start=1)
        )
    audit_record(
        actor=actor,
        action="observation.form_version",
        obj=form,
        after={
            "version": number,
            "points": sum(len(items) for _title, items in clean_sections),
            "course_indicator": course_indicator.code if course_indicator else None,
            "teacher_indicator": teacher_indicator.code if teacher_indicator else None,
        },
    )
    return version


# --- submitting ---------------------------------------------------------------------------------


def teachers_of(course: OrgUnit):
    """The teachers who may teach a course: teacher memberships in the course, its major or its
    department."""
    from accounts.models import User

    paths = [*course.ancestor_paths(), course.path]
    return (
        User.objects.filter(
            is_active=True,
            memberships__role=Role.TEACHER,
            memberships__org_unit__path__in=paths,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def _scores(version: FormVersion, raw: dict) -> tuple[list[tuple[FormItem, Decimal, str]], dict]:
    scored, errors = [], {}
    for item in version.items():
        value, comment = raw.get(item.pk, ("", ""))
        text = str(value if value is not None else "").strip()
        if text == "":
            errors[f"score_{item.pk}"] = _("Score “%(item)s”.") % {"item": item.label}
            continue
        try:
            score = Decimal(text)
            if not score.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors[f"score_{item.pk}"] = _("“%(v)s” is not a score.") % {"v": text[:20]}
            continue
        if score < 0 or score > item.max_score:
            errors[f"score_{item.pk}"] = _("“%(item)s” is scored from 0 to %(max)s.") % {
                "item": item.label,
                "max": item.max_score,
            }
            continue
        if score.as_tuple().exponent < -1:
            errors[f"score_{item.pk}"] = _("Give a score with at most one decimal.")
            continue
        scored.append((item, score, (comment or "").strip()[:300]))
    return scored, errors


def total_of(scored) -> Decimal:
    weights = sum(item.weight for item, _score, _comment in scored)
    points = sum(item.weight * score / item.max_score for item, score, _comment in scored)
    return (points * 100 / weights).quantize(CENT, rounding=ROUND_HALF_UP)


def _check_photos(photos) -> None:
    if len(photos) > settings.OBSERVATIONS_MAX_PHOTOS:
        raise ValidationError(
            {"photos": _("Add at most %(n)s photos.") % {"n": settings.OBSERVATIONS_MAX_PHOTOS}}
        )
    for photo in photos:
        try:
            mime = attachments.validate_upload(photo)
            cleaning.check_cleanable(mime)
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from exc
        if mime not in PHOTO_TYPES:
            raise ValidationError(
                {"photos": _("“%(name)s” is not a photo.") % {"name": photo.name[:60]}}
            )


@transaction.atomic
def observation_submit(
    *,
    actor,
    client_key,
    version: FormVersion,
    course: OrgUnit | None,
    observed_at: datetime.datetime,
    scores: dict,
    teacher=None,
    teacher_name: str = "",
    class_name: str = "",
    place: str = "",
    kind: str = "observation",
    strengths: str = "",
    suggestions: str = "",
    photos=(),
) -> tuple[Observation, bool]:
    """Submit an observation. `scores`: {item id: (score, comment)}. Submitting again with the
    same `client_key` (a phone sending its stored draft twice) gives the first observation back:
    (observation, False)."""
    accounts_access.require(actor, caps.OBSERVE)
    try:
        client_key = uuid.UUID(str(client_key))
    except ValueError:
        raise ValidationError({"client_key": _("The submission key is malformed.")}) from None
    existing = Observation.objects.filter(client_key=client_key).first()
    if existing is not None:
        if existing.observer_id != actor.pk:
            raise ValidationError({"client_key": _("This submission key is already used.")})
        return existing, False
    errors = {}
    if course is None or not access.can_observe(actor, course):
        errors["course"] = _("You may not observe this course: choose a course in your scope.")
    if not version.form.is_active:
        errors["version"] = _("This observation form is no longer in use.")
    if observed_at is None:
        errors["observed_at"] = _("Enter when the lesson took place.")
    elif observed_at > timezone.now() + FUTURE_SLACK:
        errors["observed_at"] = _("The lesson cannot lie in the future.")
    if teacher is not None:
        if teacher.pk == actor.pk:
            errors["teacher"] = _("You cannot observe your own lesson.")
        elif course is not None and not teachers_of(course).filter(pk=teacher.pk).exists():
            errors["teacher"] = _(
                "%(teacher)s does not teach in this course's major or department."
            ) % {"teacher": teacher}
        teacher_name = str(teacher)
    if not (teacher_name or "").strip():
        errors["teacher_name"] = _("Choose the teacher or type their name.")
    scored, score_errors = _scores(version, scores)
    errors.update(score_errors)
    if errors:
        raise ValidationError(errors)
    _check_photos(photos)
    observation = Observation(
        client_key=client_key,
        version=version,
        kind=kind,
        observer=actor,
        course=course,
        class_name=class_name.strip()[:60],
        place=place.strip()[:100],
        observed_at=observed_at,
        teacher=teacher,
        teacher_name=teacher_name.strip()[:60],
        strengths=strengths.strip()[:2000],
        suggestions=suggestions.strip()[:2000],
        total_score=total_of(scored),
    )
    observation.full_clean(exclude=["case"])
    try:
        with transaction.atomic():
            observation.save()
    except IntegrityError:
        # the same draft sent twice at once: the other request wrote it
        existing = Observation.objects.filter(client_key=client_key, observer=actor).first()
        if existing is None:
            raise
        return existing, False
    ObservationScore.objects.bulk_create(
        ObservationScore(observation=observation, item=item, score=score, comment=comment)
        for item, score, comment in scored
    )
    for index, photo in enumerate(photos, start=1):
        ext = os.path.splitext(attachments.clean_filename(photo.name))[1]
        attachments.attach(
            actor=actor,
            obj=observation,
            upload=photo,
            strip_metadata=True,
            strict=True,
            name=f"photo-{index}{ext}",
        )
    observation.readings_note = _record_readings(observation)[:300]
    observation.save(update_fields=["readings_note"])
    audit_record(
        actor=actor,
        action="observation.submit",
        obj=observation,
        after={
            "course": course.pk,
            "teacher": teacher.pk if teacher else teacher_name,
            "version": version.pk,
            "total": plain(observation.total_score),
            "photos": len(photos),
        },
    )
    _count_duties(actor, timezone.localtime(observed_at).date())
    if teacher is not None:
        notifications.notify(
            kind="observation.received",
            recipients=[teacher],
            obj=observation,
            context={"observer": str(actor), "score": plain(observation.total_score)},
            dedup_key=f"observation:{observation.pk}:received",
            unit=course,
        )
    return observation, True


def _period_for(indicator, day: datetime.date):
    from workflows.monitoring.models import Period

    return (
        Period.objects.filter(kind=indicator.period_kind, start__lte=day, end__gte=day)
        .order_by("start")
        .first()
    )


def _record_readings(observation: Observation) -> str:
    """The mean total of the period's observations of the course (and of the teacher) becomes a
    new reading version of each linked indicator, through the monitoring services: it awaits the
    approval the indicator's rule names, and warnings follow from the approved value."""
    from workflows.monitoring import services as monitoring

    version = observation.version
    day = timezone.localtime(observation.observed_at).date()
    notes = []
    links = [
        (
            version.course_indicator,
            "course",
            lambda: monitoring.subject_for_unit(observation.course),
        ),
        (
            version.teacher_indicator,
            "teacher",
            lambda: monitoring.subject_for_user(observation.teacher, Level.TEACHER),
        ),
    ]
    for indicator, field, subject_of in links:
        if indicator is None or (field == "teacher" and observation.teacher_id is None):
            continue
        period = _period_for(indicator, day)
        if period is None:
            notes.append(_("%(i)s: no reporting period holds this day.") % {"i": indicator})
            continue
        link = "version__course_indicator" if field == "course" else "version__teacher_indicator"
        mean = Observation.objects.filter(
            **{field: getattr(observation, field), link: indicator},
            observed_at__date__range=(period.start, period.end),
        ).aggregate(mean=Avg("total_score"), n=Count("pk"))
        try:
            monitoring.reading_record(
                actor=observation.observer,
                indicator=indicator,
                subject=subject_of(),
                period=period,
                value=Decimal(mean["mean"]).quantize(CENT),
                source="observation",
                source_id=f"{observation.source_key}:{field}",
                note=_("Mean of %(n)s class observations") % {"n": mean["n"]},
            )
        except ValidationError as exc:
            notes.append(f"{indicator}{label_suffix()}{sentences(exc.messages)}")
    return sentences(notes)


def readings_of(observation: Observation):
    from workflows.monitoring.models import Reading

    return (
        Reading.objects.filter(
            source="observation", source_id__startswith=f"{observation.source_key}:"
        )
        .select_related("indicator", "subject", "period")
        .order_by("indicator__level", "pk")
    )


# --- after the submit ---------------------------------------------------------------------------


@transaction.atomic
def observation_reply(*, actor, observation: Observation, text: str) -> ObservationReply:
    access.require(access.can_reply(actor, observation))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write your reply.")})
    if len(text) > 2000:
        raise ValidationError({"text": _("A reply has at most 2000 characters.")})
    reply = ObservationReply.objects.create(observation=observation, author=actor, text=text)
    audit_record(
        actor=actor, action="observation.reply", obj=observation, after={"reply": reply.pk}
    )
    notifications.notify(
        kind="observation.reply",
        recipients=[observation.observer],
        obj=observation,
        context={"teacher": str(actor), "text": text[:200]},
        dedup_key=f"observation:{observation.pk}:reply:{reply.pk}",
        unit=observation.course,
    )
    return reply


def _case_text(observation: Observation) -> str:
    lines = [
        _("Class observation of %(course)s (%(teacher)s) on %(day)s, total score %(score)s.")
        % {
            "course": observation.course,
            "teacher": observation.teacher_name,
            "day": timezone.localtime(observation.observed_at).strftime("%Y-%m-%d %H:%M"),
            "score": plain(observation.total_score),
        }
    ]
    colon = label_suffix()
    for score in observation.scores.select_related("item"):
        line = f"{score.item.label}{colon}{plain(score.score)}/{score.item.max_score}"
        lines.append(f"{line} {score.comment}".strip())
    if observation.suggestions:
        lines.append(_("Problems and suggestions: %(text)s") % {"text": observation.suggestions})
    return "\n".join(lines)[:4000]


@transaction.atomic
def observation_open_case(*, actor, observation: Observation):
    """Carry the observation into a quality case (an incident report found in class observation)
    with its scores, comments and photos as evidence. Twice gives the first case back."""
    from cases import services as cases
    from cases.models import Case

    access.require(access.can_open_case(actor, observation))
    observation = Observation.objects.select_for_update().get(pk=observation.pk)
    if observation.case_id is not None:
        return observation.case, False
    photos = []
    try:
        for attachment in attachments.attachments_for(observation):
            handle = attachment.file.open("rb")
            photos.append(File(handle, name=attachment.original_name))
        case = cases.case_file(
            actor=actor,
            kind=Case.Kind.REPORT,
            source=Case.Source.OBSERVATION,
            title=_("Class observation: %(course)s, %(teacher)s")
            % {"course": observation.course, "teacher": observation.teacher_name},
            description=_case_text(observation),
            subject_unit=observation.course,
            course=observation.course.name[:100],
            teacher_name=observation.teacher_name,
            class_name=observation.class_name,
            place=observation.place,
            occurred_at=observation.observed_at,
            idempotency_key=uuid.uuid5(
                uuid.NAMESPACE_URL, f"zhengai-case:{observation.source_key}"
            ),
            uploads=photos,
        )
    finally:
        for photo in photos:
            photo.close()
    observation.case = case
    observation.save(update_fields=["case"])
    audit_record(
        actor=actor, action="observation.open_case", obj=observation, after={"case": case.pk}
    )
    return case, True


# --- duty quotas --------------------------------------------------------------------------------


@transaction.atomic
def quota_save(*, actor, quota: DutyQuota) -> DutyQuota:
    accounts_access.require(actor, caps.MANAGE)
    before = snapshot(DutyQuota.objects.get(pk=quota.pk)) if quota.pk else None
    quota.full_clean()
    quota.save()
    audit_record(
        actor=actor,
        action="observation.quota",
        obj=quota,
        before=before,
        after=snapshot(quota),
    )
    return quota


def window_of(per: str, day: datetime.date):
    """(first day, last day, label) of the week or term holding `day`; None outside any term."""
    if per == QuotaPer.WEEK:
        start = day - datetime.timedelta(days=day.weekday())
        year, week, _weekday = day.isocalendar()
        # the name monitoring gives the same week's reporting period
        return start, start + datetime.timedelta(days=6), week_name(year, week)
    term = Term.objects.filter(start__lte=day, end__gte=day).order_by("start").first()
    if term is None:
        return None
    return term.start, term.end, term.name


def _done(observer_id, start, end) -> int:
    return Observation.objects.filter(
        observer_id=observer_id, observed_at__date__range=(start, end)
    ).count()


def _count_duties(observer, day: datetime.date) -> None:
    for duty in Duty.objects.select_for_update().filter(
        observer=observer, start__lte=day, end__gte=day
    ):
        duty.done = _done(observer.pk, duty.start, duty.end)
        met = duty.done >= duty.required and duty.status == DutyStatus.OPEN
        if met:
            duty.status = DutyStatus.MET
        duty.save(update_fields=["done", "status"])
        if met:
            deadlines.deadline_complete(obj=duty, kind=DUTY_KIND)
            steps.advance(duty, actor=observer, outcome="met")


@transaction.atomic
def duties_refresh(*, today: datetime.date | None = None) -> int:
    """System operation (daily, and when the office opens its page): open the current window's
    duty of every holder of a role with a quota, each with a deadline at the window's end that
    the escalation sweep reminds and escalates until the observer has done the quota."""
    today = today or timezone.localdate()
    created = 0
    for quota in DutyQuota.objects.filter(is_active=True):
        window = window_of(quota.per, today)
        if window is None:
            continue
        start, end, label = window
        holders = (
            Membership.objects.filter(
                role=quota.role, user__is_active=True, org_unit__is_active=True
            )
            .order_by("user_id", "pk")
            .values_list("user_id", "org_unit_id")
        )
        units = {}
        for user_id, unit_id in holders:
            units.setdefault(user_id, unit_id)
        have = set(
            Duty.objects.filter(quota=quota, start=start, observer_id__in=units).values_list(
                "observer_id", flat=True
            )
        )
        new = [
            Duty(
                quota=quota,
                observer_id=user_id,
                unit_id=unit_id,
                label=label,
                start=start,
                end=end,
                required=quota.count,
                done=(done := _done(user_id, start, end)),
                status=DutyStatus.MET if done >= quota.count else DutyStatus.OPEN,
            )
            for user_id, unit_id in units.items()
            if user_id not in have
        ]
        Duty.objects.bulk_create(new, ignore_conflicts=True)
        fresh = Duty.objects.filter(
            quota=quota, start=start, observer_id__in=[d.observer_id for d in new]
        )
        due = timezone.make_aware(datetime.datetime.combine(end, datetime.time(23, 59)))
        waiting = list(fresh.filter(status=DutyStatus.OPEN).select_related("unit", "observer"))
        deadlines.deadline_start_many(
            kind=DUTY_KIND,
            specs=[
                deadlines.DeadlineSpec(
                    obj=duty, owner_unit=duty.unit, owner_user=duty.observer, due_at=due
                )
                for duty in waiting
            ],
        )
        step_rows.open_many(waiting)
        created += len(new)
    return created


def expected_by(duty: Duty, day: datetime.date) -> int:
    """How many of the required observations should be done by `day`, pro rata."""
    total = (duty.end - duty.start).days + 1
    elapsed = min(max((day - duty.start).days + 1, 0), total)
    return math.floor(duty.required * elapsed / total)
