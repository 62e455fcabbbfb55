"""Every write in surveys: keyword-only, atomic, permission first, audited (except answering,
which must leave no trace of who answered: see models.py)."""

from __future__ import annotations

import secrets
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from accounts import access
from accounts.audit import audit_record, snapshot
from accounts.models import Membership, OrgUnit, Role
from engine import notifications, step_rows
from workflows.levels import Level
from workflows.monitoring.models import Reading, ReadingStatus, Subject

from . import capabilities as caps
from .models import (
    Answer,
    Audience,
    CourseSection,
    Eligibility,
    Group,
    Invitation,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
    Status,
    Survey,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_RANDOM = 12  # 60 bits drawn from the OS
CODE_CHECK = 4  # a keyed check: a typed or made-up code is told apart from a used one
CODE_PURPOSE = "surveys.invitation"
MAX_INVITATIONS = 5000


# --- questionnaires and surveys ---------------------------------------------------------------


def _require_manage(actor, obj=None) -> None:
    access.require(actor, caps.MANAGE, obj)


def questionnaire_check(questionnaire: Questionnaire) -> None:
    """A questionnaire can run when it has questions and maps each indicator at most once."""
    questions = list(Question.objects.filter(section__questionnaire=questionnaire))
    if not questions:
        raise ValidationError(_("This questionnaire has no questions."))
    seen = set()
    for q in questions:
        if q.indicator_id is None:
            continue
        if q.indicator_id in seen:
            raise ValidationError(
                _("Two questions of this questionnaire feed the same indicator “%(i)s”.")
                % {"i": q.indicator}
            )
        seen.add(q.indicator_id)


@transaction.atomic
def survey_create(
    *,
    actor,
    questionnaire: Questionnaire,
    title: str,
    period,
    audience: str,
    unit: OrgUnit,
    closes_on,
    grades_date=None,
    min_responses: int | None = None,
) -> Survey:
    _require_manage(actor, unit)
    questionnaire_check(questionnaire)
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Unknown audience.")})
    if closes_on < timezone.localdate():
        raise ValidationError({"closes_on": _("The closing day lies in the past.")})
    survey = Survey(
        questionnaire=questionnaire,
        title=title.strip() or questionnaire.title,
        period=period,
        audience=audience,
        unit=unit,
        closes_on=closes_on,
        grades_date=grades_date,
        created_by=actor,
    )
    if min_responses is not None:
        survey.min_responses = min_responses
    # the model's clean refuses a threshold under SURVEYS_MIN_RESPONSES and comments read
    # before the close
    survey.full_clean(exclude=["status"])
    survey.save()
    audit_record(actor=actor, action="survey.create", obj=survey, after=snapshot(survey))
    return survey


def _execute(sql: str, params) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def _distribute_sections(survey: Survey) -> None:
    sections = CourseSection.objects.filter(
        period=survey.period, course__path__startswith=survey.unit.path
    ).select_related("course")
    Group.objects.bulk_create(
        [
            Group(
                survey=survey,
                section=s,
                unit=s.course,
                teacher_id=s.teacher_id,
                label=f"{s.course.name} · {s.name}",
            )
            for s in sections
        ],
        batch_size=1000,
    )
    _execute(
        "INSERT INTO surveys_eligibility (group_id, user_id) "
        "SELECT g.id, e.student_id FROM surveys_group g "
        "JOIN surveys_enrolment e ON e.section_id = g.section_id "
        "JOIN accounts_user u ON u.id = e.student_id "
        "WHERE g.survey_id = %s AND u.is_active",
        [survey.pk],
    )


def _distribute_unit(survey: Survey) -> None:
    units = OrgUnit.objects.filter(
        path__startswith=survey.unit.path,
        memberships__role=Role.STUDENT,
        is_active=True,
    ).distinct()
    Group.objects.bulk_create(
        [Group(survey=survey, unit=u, label=u.name) for u in units], batch_size=1000
    )
    _execute(
        "INSERT INTO surveys_eligibility (group_id, user_id) "
        "SELECT g.id, m.user_id FROM surveys_group g "
        "JOIN accounts_membership m ON m.org_unit_id = g.unit_id AND m.role = %s "
        "JOIN accounts_user u ON u.id = m.user_id "
        "WHERE g.survey_id = %s AND u.is_active",
        [Role.STUDENT, survey.pk],
    )


def _count_eligible(survey: Survey) -> None:
    _execute(
        "UPDATE surveys_group SET eligible = (SELECT COUNT(*) FROM surveys_eligibility el "
        "WHERE el.group_id = surveys_group.id) WHERE survey_id = %s",
        [survey.pk],
    )


@transaction.atomic
def survey_open(*, actor, survey: Survey) -> Survey:
    """Distribute: one group per course section (or per unit of students, or one group of the
    invited) and one eligibility row per person who may answer, in set-based statements."""
    _require_manage(actor, survey)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if not can_proceed(survey.open):
        raise ValidationError(
            _("This survey is %(s)s; it cannot be opened.") % {"s": survey.get_status_display()}
        )
    if survey.audience == Audience.SECTIONS:
        _distribute_sections(survey)
    elif survey.audience == Audience.UNIT:
        _distribute_unit(survey)
    else:
        Group.objects.create(survey=survey, unit=survey.unit, label=survey.title)
    if not survey.groups.exists():
        raise ValidationError(
            _("Nobody can answer: the audience has no course sections or students.")
        )
    _count_eligible(survey)
    survey.open()
    survey.opened_at = timezone.now()
    survey.save()
    audit_record(
        actor=actor,
        action="survey.open",
        obj=survey,
        after={"groups": survey.groups.count(), "eligible": _eligible_total(survey)},
    )
    return survey


def _eligible_total(survey: Survey) -> int:
    return sum(survey.groups.values_list("eligible", flat=True))


# --- invitation codes ---------------------------------------------------------------------------


def _check_symbols(random_part: str) -> str:
    digest = salted_hmac(f"{CODE_PURPOSE}.check", random_part, algorithm="sha256").digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:CODE_CHECK])


def normalize_code(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())[:64]


def code_hash(code: str) -> str:
    return salted_hmac(CODE_PURPOSE, normalize_code(code), algorithm="sha256").hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_RANDOM))
    full = raw + _check_symbols(raw)
    return "-".join(full[i : i + 4] for i in range(0, len(full), 4))


def code_is_well_formed(code: str) -> bool:
    plain = normalize_code(code)
    if len(plain) != CODE_RANDOM + CODE_CHECK:
        return False
    return secrets.compare_digest(plain[CODE_RANDOM:], _check_symbols(plain[:CODE_RANDOM]))


@transaction.atomic
def survey_invite(*, actor, survey: Survey, count: int) -> list[str]:
    """New per-person invitation codes (graduates, employers). They are shown once; only their
    keyed hashes are kept, so nobody can later tell which code was whose."""
    _require_manage(actor, survey)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.audience != Audience.INVITATION:
        raise ValidationError(_("This survey is not answered by invitation."))
    if survey.status != Status.OPEN:
        raise ValidationError(_("Invitations are made while the survey is open."))
    if not 1 <= count <= MAX_INVITATIONS:
        raise ValidationError(
            {"count": _("Make 1 to %(n)d codes at a time.") % {"n": MAX_INVITATIONS}}
        )
    group = survey.groups.get()
    codes = [new_code() for _i in range(count)]
    Invitation.objects.bulk_create([Invitation(group=group, code_hash=code_hash(c)) for c in codes])
    Group.objects.filter(pk=group.pk).update(eligible=group.eligible + count)
    audit_record(actor=actor, action="survey.invite", obj=survey, after={"codes": count})
    return codes


# --- answering ------------------------------------------------------------------------------------


class AnswerRefused(ValidationError):
    """Why an answer was not taken (a clear message; nothing was written)."""


def _lock_open(survey: Survey) -> None:
    """Answers and the close queue on the survey row: an answer that began before the close is
    counted, one after it is refused. Readers share the lock, so answers never wait on each
    other."""
    suffix = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cur:
        cur.execute(f"SELECT status FROM surveys_survey WHERE id = %s{suffix}", [survey.pk])  # noqa: S608
        row = cur.fetchone()
    if row is None or row[0] != Status.OPEN:
        if row is not None and row[0] == Status.CLOSED:
            raise AnswerRefused(_("This questionnaire has closed; answers are no longer taken."))
        raise AnswerRefused(_("This questionnaire is not open for answers."))


def _write_response(group_id: int, rows: list[tuple[int, int | None, str]]) -> Response:
    response = Response.objects.create(id=uuid.uuid4(), group_id=group_id)
    Answer.objects.bulk_create(
        [
            Answer(response=response, question_id=q, value=v, text=t)
            for q, v, t in rows
            if v is not None or t
        ]
    )
    return response


@transaction.atomic
def response_submit(*, user, group: Group, rows: list[tuple[int, int | None, str]]) -> None:
    """A student answers for one course section or unit: their eligibility row is deleted and
    the answers are inserted, together or not at all. No audit row, no log, no timestamp."""
    if not access.is_active_user(user):
        raise PermissionDenied
    survey = group.survey
    _lock_open(survey)
    spent = Eligibility.objects.filter(group_id=group.pk, user_id=user.pk).delete()[0]
    if not spent:
        if survey.audience == Audience.SECTIONS and group.section_id is not None:
            was_eligible = group.section.enrolments.filter(student_id=user.pk).exists()
        else:
            was_eligible = Membership.objects.filter(
                user_id=user.pk, org_unit_id=group.unit_id, role=Role.STUDENT
            ).exists()
        if was_eligible:
            raise AnswerRefused(
                _("You have already answered this questionnaire; it is answered once.")
            )
        raise AnswerRefused(_("You are not among those asked to answer this questionnaire."))
    _write_response(group.pk, rows)


@transaction.atomic
def response_submit_by_code(*, survey: Survey, code: str, rows) -> None:
    """A graduate or an employer answers with their invitation code, which is used up."""
    if not code_is_well_formed(code):
        raise AnswerRefused(
            _("This invitation code is not valid. Check it against the invitation."), code="code"
        )
    _lock_open(survey)
    group_ids = list(survey.groups.values_list("pk", flat=True))
    deleted = Invitation.objects.filter(group_id__in=group_ids, code_hash=code_hash(code)).delete()
    if not deleted[0]:
        raise AnswerRefused(
            _("This invitation code has already been used (or belongs to another survey)."),
            code="code",
        )
    _write_response(group_ids[0], rows)


# --- reminders --------------------------------------------------------------------------------


@transaction.atomic
def survey_remind(*, actor, survey: Survey) -> int:
    """Remind, through the outbox, everyone who still holds an unspent eligibility: the list
    is who has *not* answered; nobody's answer or its time is read or shown."""
    _require_manage(actor, survey)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != Status.OPEN:
        raise ValidationError(_("Reminders are sent while the survey is open."))
    from accounts.models import User

    recipients = User.objects.filter(
        is_active=True, survey_eligibilities__group__survey=survey
    ).distinct()
    survey.reminders_sent += 1
    survey.save(update_fields=["reminders_sent"])
    sent = notifications.notify(
        kind="survey.reminder",
        recipients=recipients.iterator(chunk_size=2000),
        url=reverse("surveys:mine"),
        context={"title": survey.title, "closes_on": survey.closes_on.isoformat()},
        dedup_key=f"survey.reminder:{survey.pk}:{survey.reminders_sent}",
    )
    audit_record(
        actor=actor,
        action="survey.remind",
        obj=survey,
        after={"round": survey.reminders_sent, "recipients": sent},
    )
    return sent


# --- close: results and readings ---------------------------------------------------------------


# Integer sums per row, the division once per group: a numeric average (or a numeric product
# per answer) costs more per row than the join, and its wider state made the hash table spill
# to disk at 120k responses.
RESULTS_SQL = """
INSERT INTO surveys_groupresult (group_id, question_id, answers, mean, top2)
SELECT t.group_id, t.question_id, t.n, t.total * 1.0 / t.n, t.top * 100.0 / t.n
FROM (
    SELECT r.group_id, a.question_id, COUNT(*) AS n, SUM(a.value) AS total,
        COUNT(*) FILTER (WHERE a.value >= q.points - 1) AS top
    FROM surveys_answer a
    JOIN surveys_response r ON r.id = a.response_id
    JOIN surveys_group g ON g.id = r.group_id
    JOIN surveys_question q ON q.id = a.question_id
    WHERE g.survey_id = %s AND a.value IS NOT NULL AND q.kind IN ('likert', 'single')
    GROUP BY r.group_id, a.question_id
) t
"""

# The answers are read once, into the group results above; the readings weigh those per
# subject (every indicator-mapped question, every subject level), keep the subjects with at
# least the fewest answers shown, and version after the readings already there.
# A reading is a mean or a percentage of answers, rounded to two decimals: all it knows (61.9,
# not 61.9048).
READINGS_SQL = """
INSERT INTO monitoring_reading (indicator_id, subject_id, period_id, version, value, status,
    is_current, source, source_id, batch, note, entered_by_id, entered_at)
SELECT q.indicator_id, gs.subject_id, %(period)s, COALESCE(MAX(mv.top), 0) + 1,
    ROUND(CASE q.aggregation
        WHEN 'mean' THEN SUM(gr.mean * gr.answers) / SUM(gr.answers)
        WHEN 'score100' THEN SUM(gr.mean * gr.answers) * 100.0 / SUM(gr.answers) / q.points
        ELSE SUM(gr.top2 * gr.answers) / SUM(gr.answers)
    END, 2),
    'pending', %(false)s, 'survey', %(source_id)s, %(batch)s, '', %(actor)s, %(now)s
FROM surveys_groupresult gr
JOIN surveys_group g ON g.id = gr.group_id
JOIN surveys_question q ON q.id = gr.question_id
JOIN monitoring_indicator i ON i.id = q.indicator_id
JOIN surveys_groupsubject gs ON gs.group_id = g.id AND gs.level = i.level
LEFT JOIN (
    SELECT indicator_id, subject_id, MAX(version) AS top FROM monitoring_reading
    WHERE period_id = %(period)s GROUP BY indicator_id, subject_id
) mv ON mv.indicator_id = q.indicator_id AND mv.subject_id = gs.subject_id
WHERE g.survey_id = %(survey)s AND q.aggregation <> 'none'
    AND i.is_active AND i.period_kind = %(period_kind)s
GROUP BY q.id, q.indicator_id, q.aggregation, q.points, gs.subject_id
HAVING SUM(gr.answers) >= %(min)s
"""


_GS = "INSERT INTO surveys_groupsubject (group_id, level, subject_id) SELECT g.id, %s, s.id "
GS_COURSE = _GS + (
    "FROM surveys_group g JOIN accounts_orgunit u ON u.id = g.unit_id AND u.kind = 'course' "
    "JOIN monitoring_subject s ON s.subject_unit_id = u.id WHERE g.survey_id = %s"
)
GS_MAJOR = _GS + (
    "FROM surveys_group g JOIN accounts_orgunit u ON u.id = g.unit_id "
    "JOIN accounts_orgunit m ON m.kind = 'major' AND (m.id = u.id OR (u.kind = 'course' "
    "AND m.path = SUBSTR(u.path, 1, LENGTH(u.path) - %s))) "
    "JOIN monitoring_subject s ON s.subject_unit_id = m.id WHERE g.survey_id = %s"
)
GS_SCHOOL = _GS + (
    "FROM surveys_group g JOIN monitoring_subject s ON s.subject_unit_id = %s "
    "WHERE g.survey_id = %s"
)
GS_TEACHER = _GS + (
    "FROM surveys_group g JOIN monitoring_subject s ON s.subject_user_id = g.teacher_id "
    "AND s.level = 'teacher' WHERE g.survey_id = %s"
)


def _subjects_for_groups(survey: Survey) -> int:
    """Fill GroupSubject: the course, its major, the college and the teacher each group's
    answers count for. Missing monitoring subjects are created in bulk."""
    # the distinct units and teachers of the groups, not a row per group
    unit_ids = set(survey.groups.order_by().values_list("unit_id", flat=True).distinct())
    # a teacher without a teaching membership answers for the unit of one of their groups
    course_of = dict(
        survey.groups.exclude(teacher_id=None)
        .values_list("teacher_id")
        .annotate(unit=Min("unit_id"))
        .order_by()
    )
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=unit_ids)}
    paths = {u.path[: -u.steplen] for u in units.values() if u.depth > 1}
    parents = {p.path: p for p in OrgUnit.objects.filter(path__in=paths)}
    college = OrgUnit.objects.filter(depth=1, kind=OrgUnit.Kind.COLLEGE).order_by("path").first()

    def unit_at(unit, level):
        if level == Level.COURSE:
            return unit if unit.kind == OrgUnit.Kind.COURSE else None
        if level == Level.MAJOR:
            if unit.kind == OrgUnit.Kind.MAJOR:
                return unit
            parent = parents.get(unit.path[: -unit.steplen])
            return (
                parent
                if unit.kind == OrgUnit.Kind.COURSE and parent and parent.kind == OrgUnit.Kind.MAJOR
                else None
            )
        if level == Level.SCHOOL:
            return college
        return None

    level_of_kind = {
        OrgUnit.Kind.COURSE: Level.COURSE,
        OrgUnit.Kind.MAJOR: Level.MAJOR,
        OrgUnit.Kind.COLLEGE: Level.SCHOOL,
    }
    wanted_units = {}
    for unit in units.values():
        for level in (Level.COURSE, Level.MAJOR, Level.SCHOOL):
            target = unit_at(unit, level)
            if target is not None:
                wanted_units[target.pk] = target
    by_unit = dict(
        Subject.objects.filter(subject_unit_id__in=wanted_units).values_list(
            "subject_unit_id", "pk"
        )
    )
    Subject.objects.bulk_create(
        [
            Subject(level=level_of_kind[u.kind], subject_unit=u, responsible_unit=u, name=u.name)
            for pk, u in wanted_units.items()
            if pk not in by_unit
        ]
    )
    by_unit = dict(
        Subject.objects.filter(subject_unit_id__in=wanted_units).values_list(
            "subject_unit_id", "pk"
        )
    )
    teacher_ids = set(course_of)
    by_teacher = dict(
        Subject.objects.filter(subject_user_id__in=teacher_ids, level=Level.TEACHER).values_list(
            "subject_user_id", "pk"
        )
    )
    missing = teacher_ids - set(by_teacher)
    if missing:
        from accounts.models import User

        home = dict(
            Membership.objects.filter(user_id__in=missing, role=Role.TEACHER)
            .order_by("user_id", "pk")
            .values_list("user_id", "org_unit_id")
        )
        Subject.objects.bulk_create(
            [
                Subject(
                    level=Level.TEACHER,
                    subject_user=user,
                    responsible_unit_id=home.get(user.pk, course_of[user.pk]),
                    name=str(user),
                )
                for user in User.objects.filter(pk__in=missing)
            ]
        )
        by_teacher = dict(
            Subject.objects.filter(
                subject_user_id__in=teacher_ids, level=Level.TEACHER
            ).values_list("subject_user_id", "pk")
        )
    # the links themselves: one INSERT … SELECT per level, not an object per group
    written = 0
    for level, sql, params in (
        (Level.COURSE, GS_COURSE, [survey.pk]),
        (Level.MAJOR, GS_MAJOR, [OrgUnit.steplen, survey.pk]),
        (Level.SCHOOL, GS_SCHOOL, [college.pk if college else None, survey.pk]),
        (Level.TEACHER, GS_TEACHER, [survey.pk]),
    ):
        written += _execute(sql, [level, *params])
    return written


def aggregate(survey: Survey, *, actor) -> int:
    """Results per group and pending readings per subject, each one INSERT … SELECT. Returns
    the number of readings written."""
    _execute(RESULTS_SQL, [survey.pk])
    _subjects_for_groups(survey)
    batch = f"survey-{survey.pk}"
    written = _execute(
        READINGS_SQL,
        {
            "period": survey.period_id,
            "period_kind": survey.period.kind,
            "survey": survey.pk,
            "min": survey.results_floor,
            "source_id": f"survey-{survey.pk}",
            "batch": batch,
            "actor": actor.pk,
            "now": timezone.now(),
            "false": False,
        },
    )
    from workflows.monitoring.flows import ReadingFlow

    pending = Reading.objects.filter(batch=batch, status=ReadingStatus.PENDING).select_related(
        *ReadingFlow.table.related
    )
    step_rows.open_many(pending)
    return written


@transaction.atomic
def survey_close(*, actor, survey: Survey) -> Survey:
    """Close: no more answers; results per group; readings go to their indicators' approvers."""
    _require_manage(actor, survey)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if not can_proceed(survey.close):
        raise ValidationError(
            _("This survey is %(s)s; it cannot be closed.") % {"s": survey.get_status_display()}
        )
    survey.close()
    survey.closed_at = timezone.now()
    survey.readings_batch = f"survey-{survey.pk}"
    survey.save()
    written = aggregate(survey, actor=actor)
    # The unspent rights and codes are of no further use; dropping them also forgets who did
    # not answer.
    Eligibility.objects.filter(group__survey=survey).delete()
    Invitation.objects.filter(group__survey=survey).delete()
    audit_record(
        actor=actor,
        action="survey.close",
        obj=survey,
        after={
            "responses": Response.objects.filter(group__survey=survey).count(),
            "readings": written,
        },
    )
    return survey


# --- sections and enrolment ------------------------------------------------------------


@transaction.atomic
def section_enrol(*, actor, section: CourseSection, students) -> int:
    _require_manage(actor, section)
    from .models import Enrolment

    before = section.enrolments.count()
    Enrolment.objects.bulk_create(
        [Enrolment(section=section, student=s) for s in students], ignore_conflicts=True
    )
    added = section.enrolments.count() - before
    audit_record(actor=actor, action="survey.enrol", obj=section, after={"added": added})
    return added


def answer_rows(questions, cleaned: dict) -> list[tuple[int, int | None, str]]:
    """The form's cleaned data as (question, value, text) rows."""
    rows = []
    for q in questions:
        value = cleaned.get(f"q{q.pk}")
        if value in (None, "", []):
            continue
        if q.kind == QuestionKind.MULTIPLE:
            rows.extend((q.pk, int(v), "") for v in value)
        elif q.kind == QuestionKind.TEXT:
            rows.append((q.pk, None, value.strip()))
        else:
            rows.append((q.pk, int(value), ""))
    return rows
