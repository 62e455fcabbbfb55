"""Surveys (问卷): student evaluation of teaching (学生评教), satisfaction surveys (食堂/宿舍),
graduates and employers.

Anonymity by construction. Who may answer is an `Eligibility` row (a student of a course
section) or an `Invitation` (a code handed to a graduate or employer, kept as a keyed hash).
Answering *deletes* that row and inserts a `Response` with its `Answer`s in the same
transaction. Nothing joins the two sides:
- a response has a random UUID key, its group and nothing else: no person, no token, no time,
  no address or browser;
- the spent eligibility row is gone, so no visible row shares the response's transaction
  (PostgreSQL's xmin) — an UPDATE "spent=true" would have left exactly such a row;
- no audit row, notification or step row is written when someone answers.
What remains knowable is only who has *not yet* answered (the unspent rows), which the
reminders need; pages show counts per group, never a person's status.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import OrgUnit


class Kind(models.TextChoices):
    EVALUATION = "evaluation", _("Student evaluation of teaching")
    SATISFACTION = "satisfaction", _("Student satisfaction")
    GRADUATE = "graduate", _("Graduate satisfaction")
    EMPLOYER = "employer", _("Employer satisfaction")


class Questionnaire(models.Model):
    """A questionnaire as data: sections of questions; questions map to indicators."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    intro = models.TextField(_("introduction"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["code"]

    def __str__(self):
        return self.title


class Section(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="sections"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title = models.CharField(_("title"), max_length=120)

    class Meta:
        verbose_name = _("questionnaire section")
        verbose_name_plural = _("questionnaire sections")
        ordering = ["questionnaire", "position", "id"]

    def __str__(self):
        return self.title


class QuestionKind(models.TextChoices):
    LIKERT = "likert", _("Rating scale")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Short text")


class Aggregation(models.TextChoices):
    NONE = "none", _("Not aggregated into a reading")
    MEAN = "mean", _("Mean of the answers")
    SCORE100 = "score100", _("Mean as a score out of 100")
    TOP2 = "top2", _("Share of the top two answers (%)")


LIKERT_LABELS = {
    5: ["非常不满意", "不满意", "一般", "满意", "非常满意"],
    4: ["不满意", "基本满意", "满意", "非常满意"],
    3: ["不满意", "一般", "满意"],
}


class Question(models.Model):
    """One question. Likert answers are 1..points; a choice answer is the option's number
    1..len(choices). The aggregation turns a group's answers into an indicator's value."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    points = models.PositiveSmallIntegerField(_("scale points"), default=5)
    choices = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    max_length = models.PositiveSmallIntegerField(_("longest answer"), default=500)
    indicator = models.ForeignKey(
        "monitoring.Indicator",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_questions",
        verbose_name=_("indicator"),
    )
    aggregation = models.CharField(
        _("aggregation"), max_length=10, choices=Aggregation.choices, default=Aggregation.NONE
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["section__position", "position", "id"]

    def __str__(self):
        return self.text

    def clean(self):
        if self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            if not isinstance(self.choices, list) or len(self.choices) < 2:
                raise ValidationError(
                    {"choices": _("A choice question needs two options or more.")}
                )
            self.points = len(self.choices)
        if self.kind == QuestionKind.LIKERT and not 2 <= self.points <= 10:
            raise ValidationError({"points": _("A rating scale has 2 to 10 points.")})
        if self.indicator_id and self.aggregation == Aggregation.NONE:
            raise ValidationError({"aggregation": _("Say how the answers become the reading.")})
        if self.aggregation != Aggregation.NONE and self.kind in (
            QuestionKind.TEXT,
            QuestionKind.MULTIPLE,
        ):
            raise ValidationError(
                {"aggregation": _("Only rating and single-choice answers are aggregated.")}
            )

    def options(self) -> list[tuple[int, str]]:
        if self.kind == QuestionKind.LIKERT:
            labels = self.choices or LIKERT_LABELS.get(self.points) or []
            return [
                (i, labels[i - 1] if i <= len(labels) else str(i))
                for i in range(1, self.points + 1)
            ]
        return [(i, label) for i, label in enumerate(self.choices or [], start=1)]


class CourseSection(models.Model):
    """A course taught to one class in one term (教学班): the audience of 评教."""

    course = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="course_sections",
        limit_choices_to={"kind": OrgUnit.Kind.COURSE},
        verbose_name=_("course"),
    )
    period = models.ForeignKey(
        "monitoring.Period",
        on_delete=models.PROTECT,
        related_name="course_sections",
        verbose_name=_("term"),
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("class"), max_length=80)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="course_sections",
        verbose_name=_("teacher"),
    )

    class Meta:
        verbose_name = _("course section")
        verbose_name_plural = _("course sections")
        ordering = ["period", "code"]
        constraints = [
            models.UniqueConstraint(fields=["period", "code"], name="coursesection_code")
        ]

    def __str__(self):
        return f"{self.course.name} · {self.name}"

    @property
    def access_unit(self):
        return self.course


class Enrolment(models.Model):
    section = models.ForeignKey(CourseSection, on_delete=models.CASCADE, related_name="enrolments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["section", "student"], name="enrolment_once")
        ]

    def __str__(self):
        return f"{self.section} · {self.student}"


def default_min_responses() -> int:
    return settings.SURVEYS_MIN_RESPONSES


class Audience(models.TextChoices):
    SECTIONS = "sections", _("Students of each course section of the term")
    UNIT = "unit", _("Students of a unit")
    INVITATION = "invitation", _("Invited by code (graduates, employers)")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for answers")
    CLOSED = "closed", pgettext_lazy("survey status", "Closed")


class Survey(ConcurrentTransitionMixin, models.Model):
    """One run of a questionnaire for an audience in a period."""

    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="surveys",
        verbose_name=_("questionnaire"),
    )
    title = models.CharField(_("title"), max_length=120)
    period = models.ForeignKey(
        "monitoring.Period",
        on_delete=models.PROTECT,
        related_name="surveys",
        verbose_name=_("reporting period"),
    )
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices)
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="surveys",
        verbose_name=_("unit"),
        help_text=_(
            "Course sections: the courses under this unit. Students: this unit's students. "
            "Invitations: the unit the invited answer about."
        ),
    )
    status = FSMField(
        _("status"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True
    )
    closes_on = models.DateField(_("closes on"))
    grades_date = models.DateField(
        _("grades date"),
        null=True,
        blank=True,
        help_text=_(
            "Teachers read the written comments only from this day (the term's grades are in)."
        ),
    )
    min_responses = models.PositiveSmallIntegerField(
        _("fewest answers shown"),
        default=default_min_responses,
        help_text=_("A group's results are shown only when it has at least this many answers."),
    )
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    readings_batch = models.CharField(_("readings batch"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("surveys:survey_detail", args=[self.pk])

    @property
    def access_unit(self):
        return self.unit

    @property
    def results_floor(self) -> int:
        """The fewest answers a group needs before anything of it shows: the survey's own
        setting, never below the college's floor (a survey saved before the floor was enforced,
        or under a lower one, is read at the floor)."""
        return max(self.min_responses, settings.SURVEYS_MIN_RESPONSES)

    def clean(self):
        super().clean()
        errors = {}
        floor = settings.SURVEYS_MIN_RESPONSES
        if self.min_responses is not None and self.min_responses < floor:
            # Below the floor one answer could be told apart: nobody may set it lower.
            errors["min_responses"] = _(
                "At least %(n)d answers are required before a group's results show."
            ) % {"n": floor}
        if self.grades_date is not None and self.closes_on and self.grades_date < self.closes_on:
            # Comments reach teachers only after the answering is over (and the grades in):
            # a day before the close would let a teacher read a group while it still answers.
            errors["grades_date"] = _(
                "Teachers may read the comments only from the closing day (%(d)s) on."
            ) % {"d": self.closes_on.isoformat()}
        if errors:
            raise ValidationError(errors)

    @property
    def comments_released(self) -> bool:
        return self.grades_date is not None and timezone.localdate() >= self.grades_date

    @transition(field=status, source=Status.DRAFT, target=Status.OPEN)
    def open(self):
        pass

    @transition(field=status, source=Status.OPEN, target=Status.CLOSED)
    def close(self):
        pass


class Group(models.Model):
    """Whose answers are counted together: a course section, a unit's students, or the invited.
    Results are per group; `eligible` is how many could answer when it was distributed."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="groups")
    section = models.ForeignKey(
        CourseSection, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(_("group"), max_length=160)
    eligible = models.PositiveIntegerField(_("eligible"), default=0)

    class Meta:
        verbose_name = _("survey group")
        verbose_name_plural = _("survey groups")
        ordering = ["survey", "label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "section"],
                condition=Q(section__isnull=False),
                name="surveygroup_section_once",
            )
        ]

    def __str__(self):
        return self.label

    @property
    def access_unit(self):
        return self.unit


class Eligibility(models.Model):
    """An unspent right to answer once. Answering deletes the row (see the module docstring)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="eligibilities")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_eligibilities"
    )

    class Meta:
        verbose_name = _("eligibility")
        verbose_name_plural = _("eligibilities")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="eligibility_once")]
        indexes = [models.Index(fields=["user", "group"])]

    def __str__(self):
        return f"{self.group} · {self.user_id}"


class Invitation(models.Model):
    """An unspent invitation code, kept only as a keyed hash; deleted when used."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    code_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.group} · {self.code_hash[:8]}"


class Response(models.Model):
    """One anonymous answer sheet: a random key and its group. Deliberately nothing else."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="responses")

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self):
        return str(self.group)


class Answer(models.Model):
    """One answer to one question (a multiple choice gives one row per option ticked)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [models.Index(fields=["response", "question"])]

    def __str__(self):
        return f"{self.question_id}: {self.value if self.value is not None else self.text[:20]}"


class GroupResult(models.Model):
    """A group's result for one question, computed at close in one statement."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="results")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    answers = models.PositiveIntegerField(_("answers"))
    mean = models.DecimalField(_("mean"), max_digits=14, decimal_places=8, null=True)
    top2 = models.DecimalField(_("top two (%)"), max_digits=14, decimal_places=8, null=True)

    class Meta:
        verbose_name = _("group result")
        verbose_name_plural = _("group results")
        constraints = [
            models.UniqueConstraint(fields=["group", "question"], name="groupresult_once")
        ]

    def __str__(self):
        return f"{self.group} · {self.question_id}"


class GroupSubject(models.Model):
    """Which monitoring subject a group's answers count for at each level (filled at close,
    so the readings are one INSERT … SELECT … GROUP BY)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10)
    subject = models.ForeignKey("monitoring.Subject", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "level"], name="groupsubject_once")]

    def __str__(self):
        return f"{self.group_id} · {self.level} · {self.subject_id}"
