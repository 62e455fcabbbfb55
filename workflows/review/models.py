from fractions import Fraction

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by

from accounts.models import OrgUnit
from workflows.levels import Level

from .conclusions import Conclusion, Thresholds


def _college():
    return OrgUnit.objects.filter(depth=1).order_by("path").first()


# ---------------------------------------------------------------- catalogues


class Catalogue(models.Model):
    """A versioned diagnostic catalogue (诊断项目参考表): items → elements → points."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source document"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Limits of 附件2, counted as text.char_count counts.
    overview_max = models.PositiveIntegerField(_("overview limit (characters)"), default=500)
    opinion_max = models.PositiveIntegerField(_("opinion limit (characters)"), default=500)
    measures_max = models.PositiveIntegerField(_("measures limit (characters)"), default=200)
    effects_max = models.PositiveIntegerField(_("effects limit (characters)"), default=200)
    problems_share_num = models.PositiveIntegerField(
        _("problems share numerator"), default=1, validators=[MinValueValidator(0)]
    )
    problems_share_den = models.PositiveIntegerField(
        _("problems share denominator"), default=2, validators=[MinValueValidator(1)]
    )
    # Conclusion thresholds as exact fractions (see conclusions.py).
    effective_num = models.PositiveIntegerField(_("effective threshold numerator"), default=12)
    effective_den = models.PositiveIntegerField(
        _("effective threshold denominator"), default=15, validators=[MinValueValidator(1)]
    )
    abnormal_num = models.PositiveIntegerField(_("abnormal threshold numerator"), default=10)
    abnormal_den = models.PositiveIntegerField(
        _("abnormal threshold denominator"), default=15, validators=[MinValueValidator(1)]
    )
    review_points = models.BooleanField(
        _("review per diagnostic point"),
        default=False,
        help_text=_("When set, experts also record findings per point and points count."),
    )
    # A personal catalogue (teachers' or students' own yearly self-diagnosis, seed 001 教师/学生
    # 层面) is chosen by its level; a unit catalogue leaves this empty.
    person_level = models.CharField(
        _("personal report level"),
        max_length=10,
        choices=[(Level.TEACHER, Level.TEACHER.label), (Level.STUDENT, Level.STUDENT.label)],
        blank=True,
        default="",
        help_text=_(
            "Teacher or student: the catalogue of the personal self-diagnosis reports of that "
            "level (the newest active version is used). Empty: a unit catalogue."
        ),
    )

    class Meta:
        verbose_name = _("diagnostic catalogue")
        verbose_name_plural = _("diagnostic catalogues")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="review_catalogue_version")
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"

    def clean(self):
        try:
            Thresholds(
                effective=Fraction(self.effective_num, self.effective_den),
                abnormal=Fraction(self.abnormal_num, self.abnormal_den),
            )
        except (ValueError, ZeroDivisionError) as exc:
            raise ValidationError(
                _("Thresholds must satisfy 0 < abnormal ≤ effective ≤ 1.")
            ) from exc

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(
            effective=Fraction(self.effective_num, self.effective_den),
            abnormal=Fraction(self.abnormal_num, self.abnormal_den),
        )

    @property
    def problems_share(self) -> Fraction:
        return Fraction(self.problems_share_num, self.problems_share_den)

    def elements_in_order(self):
        return self.elements.select_related("item").order_by("item__order", "order")


class CatalogueItem(models.Model):
    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="items")
    number = models.CharField(_("number"), max_length=10)
    title = models.CharField(_("diagnostic item"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("diagnostic item")
        verbose_name_plural = _("diagnostic items")
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "number"], name="review_item_number")
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class CatalogueElement(models.Model):
    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="elements")
    item = models.ForeignKey(CatalogueItem, on_delete=models.CASCADE, related_name="elements")
    number = models.CharField(_("number"), max_length=10)
    title = models.CharField(_("diagnostic element"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("diagnostic element")
        verbose_name_plural = _("diagnostic elements")
        ordering = ["item__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "number"], name="review_element_number")
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        self.catalogue_id = self.item.catalogue_id
        super().save(*args, **kwargs)


class CataloguePoint(models.Model):
    element = models.ForeignKey(CatalogueElement, on_delete=models.CASCADE, related_name="points")
    title = models.CharField(_("diagnostic point"), max_length=200)
    hint = models.TextField(_("reference hints on influencing factors"), blank=True)
    platform_codes = models.CharField(_("data platform codes"), max_length=120, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("diagnostic point")
        verbose_name_plural = _("diagnostic points")
        ordering = ["element__item__order", "element__order", "order"]

    def __str__(self):
        return self.title


# ---------------------------------------------------------------- self-diagnosis reports


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved by the unit head")
    FORWARDED = "forwarded", _("Forwarded to the quality office")
    PUBLISHED = "published", _("Published")
    UNDER_REVIEW = "under_review", _("Under review")
    CONCLUDED = "concluded", _("Concluded")


class SelfDiagnosisReport(ConcurrentTransitionMixin, models.Model):
    """自我诊改报告 (seed 002 附件2) of a unit, a level or the college for one period."""

    S = ReportStatus

    catalogue = models.ForeignKey(
        Catalogue, on_delete=models.PROTECT, related_name="reports", verbose_name=_("catalogue")
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="review_reports", verbose_name=_("unit")
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, blank=True)
    period = models.CharField(_("period"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    overview = models.TextField(_("overview of the self-diagnosis work"), blank=True)
    status = FSMField(_("status"), default=S.DRAFT, choices=S.choices, protected=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    forwarded_at = models.DateTimeField(_("forwarded at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("self-diagnosis report")
        verbose_name_plural = _("self-diagnosis reports")
        ordering = ["-period", "org_unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "period", "level", "catalogue"], name="review_report_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self):
        return self.title

    @property
    def access_unit(self):
        return self.org_unit

    @fsm_log_by
    @transition(field=status, source=S.DRAFT, target=S.SUBMITTED)
    def submit(self, by=None):
        self.submitted_at = timezone.now()

    @fsm_log_by
    @transition(field=status, source=S.SUBMITTED, target=S.DRAFT)
    def return_to_author(self, by=None):
        self.submitted_at = None

    @fsm_log_by
    @transition(field=status, source=S.SUBMITTED, target=S.APPROVED)
    def approve(self, by=None):
        self.approved_by = by
        self.approved_at = timezone.now()

    @fsm_log_by
    @transition(field=status, source=S.APPROVED, target=S.FORWARDED)
    def forward(self, by=None):
        self.forwarded_at = timezone.now()

    @fsm_log_by
    @transition(field=status, source=S.FORWARDED, target=S.PUBLISHED)
    def publish(self, by=None):
        self.published_at = timezone.now()

    @fsm_log_by
    @transition(field=status, source=S.PUBLISHED, target=S.UNDER_REVIEW)
    def start_review(self, by=None):
        pass

    @fsm_log_by
    @transition(field=status, source=S.UNDER_REVIEW, target=S.CONCLUDED)
    def conclude(self, by=None):
        pass


class ReportRow(models.Model):
    """One row of the 附件2 table: the self-diagnosis of one element."""

    report = models.ForeignKey(SelfDiagnosisReport, on_delete=models.CASCADE, related_name="rows")
    element = models.ForeignKey(CatalogueElement, on_delete=models.PROTECT, related_name="+")
    achievements = models.TextField(_("target attainment and achievements"), blank=True)
    problems = models.TextField(_("problems and causes"), blank=True)
    measures = models.TextField(_("improvement measures"), blank=True)
    effects = models.TextField(_("improvement effects"), blank=True)
    measures_not_started = models.BooleanField(_("measures not started yet"), default=False)

    class Meta:
        verbose_name = _("report row")
        verbose_name_plural = _("report rows")
        ordering = ["element__item__order", "element__order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "element"], name="review_row_unique")
        ]

    def __str__(self):
        return f"{self.report} · {self.element}"

    @property
    def opinion(self) -> str:
        return "\n".join(part for part in (self.achievements, self.problems) if part)


def evidence_upload_to(instance, filename):
    return f"review/evidence/{instance.report_id}/{filename}"


class EvidenceDocument(models.Model):
    """A document uploaded as evidence for a report (the built-in evidence source)."""

    report = models.ForeignKey(
        SelfDiagnosisReport, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=evidence_upload_to)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence document")
        verbose_name_plural = _("evidence documents")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.title

    @property
    def access_unit(self):
        return self.report.org_unit


class EvidenceLink(models.Model):
    """A report row points at any object that proves it (a reading, a warning, a case...)."""

    row = models.ForeignKey(ReportRow, on_delete=models.CASCADE, related_name="evidence")
    source = models.CharField(_("evidence source"), max_length=40)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    label = models.CharField(_("label"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence link")
        verbose_name_plural = _("evidence links")
        constraints = [
            models.UniqueConstraint(
                fields=["row", "content_type", "object_id"], name="review_evidence_unique"
            )
        ]

    def __str__(self):
        return self.label


# ---------------------------------------------------------------- review rounds


def disclosure_deadline_for(review_start):
    """The last day the material of a review starting on `review_start` may be published."""
    return review_start - timezone.timedelta(days=settings.REVIEW_DISCLOSURE_DAYS)


def earliest_review_start(today=None):
    """The first start date whose publication deadline has not passed (publish today)."""
    today = today or timezone.localdate()
    return today + timezone.timedelta(days=settings.REVIEW_DISCLOSURE_DAYS)


class RoundStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    DISCLOSED = "disclosed", _("Material published")
    IN_REVIEW = "in_review", _("Under review")
    CONCLUDED = "concluded", _("Concluded")


class ReviewRound(ConcurrentTransitionMixin, models.Model):
    """A 复核 round: reports in scope, the panel, dates and the disclosure deadline."""

    S = RoundStatus

    name = models.CharField(_("name"), max_length=200)
    catalogue = models.ForeignKey(
        Catalogue, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("catalogue")
    )
    review_start = models.DateField(_("review starts"))
    review_end = models.DateField(_("review ends"))
    disclosure_deadline = models.DateField(_("disclosure deadline"), editable=False)
    published_at = models.DateTimeField(_("material published at"), null=True, blank=True)
    deadline_warned_at = models.DateTimeField(
        _("organiser warned of the deadline at"), null=True, blank=True
    )
    status = FSMField(_("status"), default=S.PLANNING, choices=S.choices, protected=True)
    reports = models.ManyToManyField(
        SelfDiagnosisReport, related_name="rounds", blank=True, verbose_name=_("reports")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")
        ordering = ["-review_start"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.disclosure_deadline = disclosure_deadline_for(self.review_start)
        super().save(*args, **kwargs)

    def clean(self):
        if self.review_start and self.review_end and self.review_end < self.review_start:
            raise ValidationError({"review_end": _("The review cannot end before it starts.")})

    @property
    def access_unit(self):
        return _college()

    @property
    def disclosed_in_time(self) -> bool:
        return (
            self.published_at is not None
            and timezone.localdate(self.published_at) <= self.disclosure_deadline
        )

    @fsm_log_by
    @transition(field=status, source=S.PLANNING, target=S.DISCLOSED)
    def disclose(self, by=None):
        self.published_at = timezone.now()

    @fsm_log_by
    @transition(field=status, source=S.DISCLOSED, target=S.IN_REVIEW)
    def start(self, by=None):
        pass

    @fsm_log_by
    @transition(field=status, source=S.IN_REVIEW, target=S.CONCLUDED)
    def finish(self, by=None):
        pass


class PanelMember(models.Model):
    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Internal expert")
        EXTERNAL = "external", _("External expert")

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="panel")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    is_chair = models.BooleanField(_("panel chair"), default=False)
    conflict_declaration = models.TextField(
        _("conflict-of-interest declaration"),
        help_text=_("The expert declares any tie to the units under review."),
    )
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="review_panel_unique"),
            models.UniqueConstraint(
                fields=["round"], condition=models.Q(is_chair=True), name="review_one_chair"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()}"


class ReviewAssignment(models.Model):
    """An expert assigned to review one report of a round, with their judgement of the measures."""

    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="assignments")
    report = models.ForeignKey(
        SelfDiagnosisReport, on_delete=models.PROTECT, related_name="assignments"
    )
    measures_strong = models.BooleanField(_("measures strong and feasible"), null=True, blank=True)
    measures_comment = models.TextField(_("comment on the measures"), blank=True)
    # What the expert typed, as posted, kept whatever happens to the save (autosave, a save
    # outside the review period, a refused submission); the form shows it until it is recorded.
    draft = models.JSONField(_("draft answers"), default=dict, blank=True)
    draft_saved_at = models.DateTimeField(_("draft saved at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        constraints = [
            models.UniqueConstraint(fields=["member", "report"], name="review_assignment_unique")
        ]

    def __str__(self):
        return f"{self.member.user} → {self.report}"

    @property
    def round(self):
        return self.member.round


class Finding(models.Model):
    """One expert's finding on one element (or point): does the self-diagnosis match?"""

    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="findings"
    )
    element = models.ForeignKey(CatalogueElement, on_delete=models.PROTECT, related_name="+")
    point = models.ForeignKey(
        CataloguePoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matches = models.BooleanField(_("matches the self-diagnosis"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "element", "point"],
                name="review_finding_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self):
        return f"{self.element} · {self.matches}"


class ReviewConclusion(models.Model):
    """The panel's consolidated finding on one report, signed by the chair.

    The class (有效/待改进/异常) is computed by conclusions.compute_conclusion, never typed."""

    class Basis(models.TextChoices):
        REVIEW = "review", _("Expert review")
        DISCLOSURE_LATE = "disclosure_late", _("Material not published in time")

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="conclusions")
    report = models.ForeignKey(
        SelfDiagnosisReport, on_delete=models.PROTECT, related_name="conclusions"
    )
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices)
    matched = models.PositiveIntegerField(_("matching"), default=0)
    total = models.PositiveIntegerField(_("reviewed"), default=0)
    measures_strong = models.BooleanField(_("measures strong and feasible"), default=False)
    conclusion = models.CharField(_("conclusion"), max_length=20, choices=Conclusion.choices)
    summary = models.TextField(_("panel summary"), blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    improvement_due = models.DateField(_("improvement due"), null=True, blank=True)

    class Meta:
        verbose_name = _("review conclusion")
        verbose_name_plural = _("review conclusions")
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["round", "report"], name="review_conclusion_unique")
        ]

    def __str__(self):
        return f"{self.report} · {self.get_conclusion_display()}"

    @property
    def access_unit(self):
        return self.org_unit


class ConsolidatedFinding(models.Model):
    """The panel's finding per element; the non-matching ones are the review's findings that
    become improvement items."""

    conclusion = models.ForeignKey(
        ReviewConclusion, on_delete=models.CASCADE, related_name="findings"
    )
    element = models.ForeignKey(CatalogueElement, on_delete=models.PROTECT, related_name="+")
    point = models.ForeignKey(
        CataloguePoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matches = models.BooleanField(_("matches the self-diagnosis"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("consolidated finding")
        verbose_name_plural = _("consolidated findings")
        ordering = ["element__item__order", "element__order", "point__order"]

    def __str__(self):
        return f"{self.element} · {self.matches}"


# ---------------------------------------------------------------- sanctions


class SanctionFlag(models.Model):
    class Reason(models.TextChoices):
        ABNORMAL = "abnormal", _("Judged abnormal")
        TWICE_NEEDS_IMPROVEMENT = "twice", _("Needs improvement in two consecutive rounds")

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    conclusion = models.OneToOneField(
        ReviewConclusion, on_delete=models.PROTECT, related_name="sanction_flag"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(_("flagged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sanction flag")
        verbose_name_plural = _("sanction flags")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.org_unit} · {self.get_reason_display()}"

    @property
    def access_unit(self):
        return self.org_unit


class SanctionDecision(models.Model):
    class Measure(models.TextChoices):
        ENROLMENT = "enrolment", _("Smaller enrolment plan")
        PROJECTS = "projects", _("Restricted project applications")
        FUNDS = "funds", _("Reduced funds")

    flag = models.ForeignKey(SanctionFlag, on_delete=models.CASCADE, related_name="decisions")
    measure = models.CharField(_("measure"), max_length=20, choices=Measure.choices)
    detail = models.TextField(_("detail"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sanction decision")
        verbose_name_plural = _("sanction decisions")

    def __str__(self):
        return self.get_measure_display()

    @property
    def access_unit(self):
        return self.flag.org_unit


# ---------------------------------------------------------------- generated documents


class DocumentJob(models.Model):
    """A long assembly (the annual or a level report) run by Celery, with progress."""

    class Kind(models.TextChoices):
        ANNUAL = "annual", _("Annual quality report")
        LEVEL = "level", _("Level report")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    year = models.PositiveIntegerField(_("year"))
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="review/jobs/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("document job")
        verbose_name_plural = _("document jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.year}"


# ---------------------------------------------------------------- personal self-diagnosis


class PersonalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")


class PersonalReport(ConcurrentTransitionMixin, models.Model):
    """教师个人发展诊改报告 / 学生个人发展诊改报告 (seed 001 教师层面, 学生层面): a teacher or a
    student reviews their year against their personal plan, row by row of a personal
    catalogue; approved by their team leader (a teacher) or class adviser (a student), it is
    the diagnosis of their own cycle."""

    S = PersonalStatus

    cycle = models.OneToOneField(
        "monitoring.Cycle",
        on_delete=models.PROTECT,
        related_name="personal_report",
        verbose_name=_("improvement cycle"),
    )
    catalogue = models.ForeignKey(
        Catalogue, on_delete=models.PROTECT, related_name="+", verbose_name=_("catalogue")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="personal_reports",
        verbose_name=_("person"),
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    title = models.CharField(_("title"), max_length=200)
    overview = models.TextField(_("summary of the year against the personal plan"), blank=True)
    status = FSMField(_("status"), default=S.DRAFT, choices=S.choices, protected=True)
    return_reason = models.CharField(_("reason for return"), max_length=500, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("personal self-diagnosis report")
        verbose_name_plural = _("personal self-diagnosis reports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "level"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("review:personal_detail", args=[self.pk])

    @property
    def access_unit(self):
        return self.cycle.responsible_unit

    @fsm_log_by
    @transition(field=status, source=S.DRAFT, target=S.SUBMITTED)
    def submit(self, by=None):
        self.submitted_at = timezone.now()
        self.return_reason = ""

    @fsm_log_by
    @transition(field=status, source=S.SUBMITTED, target=S.DRAFT)
    def return_to_author(self, by=None):
        self.submitted_at = None

    @fsm_log_by
    @transition(field=status, source=S.SUBMITTED, target=S.APPROVED)
    def approve(self, by=None):
        self.approved_by = by
        self.approved_at = timezone.now()


class PersonalReportRow(models.Model):
    """One element of the personal catalogue: the person's own diagnosis of it."""

    report = models.ForeignKey(PersonalReport, on_delete=models.CASCADE, related_name="rows")
    element = models.ForeignKey(CatalogueElement, on_delete=models.PROTECT, related_name="+")
    achievements = models.TextField(_("target attainment and achievements"), blank=True)
    problems = models.TextField(_("problems and causes"), blank=True)
    measures = models.TextField(_("improvement measures"), blank=True)
    effects = models.TextField(_("improvement effects"), blank=True)
    measures_not_started = models.BooleanField(_("measures not started yet"), default=False)

    class Meta:
        verbose_name = _("personal report row")
        verbose_name_plural = _("personal report rows")
        ordering = ["element__item__order", "element__order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "element"], name="review_personal_row_once")
        ]

    def __str__(self):
        return f"{self.report} · {self.element}"
