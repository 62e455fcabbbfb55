"""Monitoring (监测), warnings (预警), the improvement ledger (改进台账) and the 8-shaped spiral."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by

from accounts.models import OrgUnit
from workflows.levels import Level


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Academic year")
    TERM = "term", _("Term")
    MONTH = "month", _("Month")
    WEEK = "week", _("Week")


class Period(models.Model):
    """A reporting period (学年, 学期, 月, 周). Cycles turn once per period."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=PeriodKind.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    is_open = models.BooleanField(_("open"), default=False)

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["start", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="period_end_ge_start"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind != PeriodKind.WEEK or self.start is None:
            return
        from .periods import week_bounds, week_code, week_of

        year, week = week_of(self.start)
        if (self.start, self.end) != week_bounds(year, week):
            raise ValidationError(
                {"start": _("A week runs from Monday to Sunday (ISO 8601 weeks).")}
            )
        if self.code != week_code(year, week):
            raise ValidationError(
                {"code": _("The code of this week is %(code)s.") % {"code": week_code(year, week)}}
            )

    def next_period(self):
        return Period.objects.filter(kind=self.kind, start__gt=self.start).order_by("start").first()


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class WarningLevel(models.TextChoices):
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Indicator(models.Model):
    """One monitored indicator (监测指标), with its thresholds as data.

    Bands: for a "higher is better" indicator a value below `yellow_threshold` is a yellow
    warning and below `red_threshold` a red one (red < yellow); mirrored for "lower is better".
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=20, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    formula = models.TextField(_("formula or source"), blank=True)
    period_kind = models.CharField(_("reporting period"), max_length=10, choices=PeriodKind.choices)
    min_value = models.DecimalField(_("lowest possible value"), max_digits=14, decimal_places=4)
    max_value = models.DecimalField(
        _("highest possible value"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    target_value = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    plan_target = models.ForeignKey(
        "plans.Target",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="monitoring_indicators",
        verbose_name=_("planned target"),
        help_text=_("When linked, the target value of the period's year comes from the plan."),
    )
    plan_standard = models.ForeignKey(
        "plans.Standard",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="monitoring_indicators",
        verbose_name=_("planned standard"),
        help_text=_("The standard whose attainment this indicator measures."),
    )
    yellow_threshold = models.DecimalField(_("yellow threshold"), max_digits=14, decimal_places=4)
    red_threshold = models.DecimalField(_("red threshold"), max_digits=14, decimal_places=4)
    data_owner_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("data owner unit (source collection)"),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approver"),
        help_text=_("Empty: the head of the data owner unit approves."),
    )
    response_working_days = models.PositiveSmallIntegerField(
        _("working days to acknowledge a warning"), null=True, blank=True
    )
    opens_case = models.BooleanField(_("a warning opens a quality case"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["level", "code"]

    def __str__(self):
        return self.name

    @property
    def access_unit(self):
        return self.data_owner_unit

    def clean(self):
        errors = {}
        y, r = self.yellow_threshold, self.red_threshold
        if y is None or r is None or self.min_value is None:
            return
        if self.max_value is not None and self.max_value <= self.min_value:
            errors["max_value"] = _("The highest possible value must exceed the lowest.")
        for name, value in (("yellow_threshold", y), ("red_threshold", r)):
            if value < self.min_value or (self.max_value is not None and value > self.max_value):
                errors[name] = _("A threshold must lie within the possible range.")
        if self.direction == Direction.HIGHER and not r < y:
            errors["red_threshold"] = _(
                "Higher is better: the red threshold must be below the yellow threshold "
                "(the bands are inverted or overlap)."
            )
        if self.direction == Direction.LOWER and not r > y:
            errors["red_threshold"] = _(
                "Lower is better: the red threshold must be above the yellow threshold "
                "(the bands are inverted or overlap)."
            )
        t = self.target_value
        if t is not None and (
            (self.direction == Direction.HIGHER and t < y)
            or (self.direction == Direction.LOWER and t > y)
        ):
            errors["target_value"] = _("The target lies inside the warning band.")
        if errors:
            raise ValidationError(errors)

    def target_for(self, period) -> Decimal | None:
        """The value compared with: the linked plan target's value for the period's year, else
        the indicator's own target value."""
        if self.plan_target_id is not None:
            planned = self.plan_target.values.filter(year=period.start.year).first()
            if planned is not None:
                return planned.value
        return self.target_value

    def level_for(self, value: Decimal) -> str | None:
        """The warning level a value falls in (None: inside the band). Mirrors evaluation.py."""
        if self.direction == Direction.HIGHER:
            if value < self.red_threshold:
                return WarningLevel.RED
            if value < self.yellow_threshold:
                return WarningLevel.YELLOW
        else:
            if value > self.red_threshold:
                return WarningLevel.RED
            if value > self.yellow_threshold:
                return WarningLevel.YELLOW
        return None


class Subject(models.Model):
    """Whatever runs a cycle: the college, a major, a course (org units), a teacher or a student."""

    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    subject_unit = models.OneToOneField(
        OrgUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="monitoring_subject",
        verbose_name=_("unit"),
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="monitoring_subjects",
        verbose_name=_("person"),
    )
    responsible_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible unit")
    )
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        constraints = [
            models.CheckConstraint(
                condition=(Q(subject_unit__isnull=False, subject_user__isnull=True))
                | (Q(subject_unit__isnull=True, subject_user__isnull=False)),
                name="subject_unit_xor_user",
            ),
            models.UniqueConstraint(fields=["subject_user", "level"], name="subject_user_level"),
        ]

    def __str__(self):
        return self.name

    @property
    def access_unit(self):
        return self.responsible_unit


class ReadingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("reading", "Rejected")
    SUPERSEDED = "superseded", _("Superseded by a correction")


class Reading(models.Model):
    """One value of an indicator for a subject in a period. A correction is a new version."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="readings", verbose_name=_("indicator")
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="readings", verbose_name=_("subject")
    )
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="readings",
        verbose_name=_("reporting period"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    status = models.CharField(
        _("status"), max_length=12, choices=ReadingStatus.choices, default=ReadingStatus.PENDING
    )
    # The approved version that counts: exactly one per (indicator, subject, period).
    is_current = models.BooleanField(_("counts"), default=False)
    source = models.CharField(_("source"), max_length=40, default="form")
    source_id = models.CharField(_("source id"), max_length=100, blank=True)
    batch = models.CharField(_("import batch"), max_length=40, blank=True, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["indicator", "subject", "period", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "subject", "period", "version"], name="reading_version"
            ),
            models.UniqueConstraint(
                fields=["indicator", "subject", "period"],
                condition=Q(is_current=True),
                name="reading_one_current",
            ),
            models.UniqueConstraint(
                fields=["indicator", "subject", "period", "source", "source_id"],
                condition=~Q(source_id=""),
                name="reading_source_idempotent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["indicator", "period", "subject"],
                condition=Q(is_current=True),
                name="reading_current_idx",
            ),
            models.Index(fields=["status", "indicator"], name="reading_status_idx"),
        ]

    def __str__(self):
        return f"{self.indicator} · {self.subject} · {self.period} · v{self.version}"

    @property
    def access_unit(self):
        return self.indicator.data_owner_unit


class WarningStatus(models.TextChoices):
    OPEN = "open", _("Awaiting response")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


OPEN_WARNING_STATES = (WarningStatus.OPEN, WarningStatus.ACKNOWLEDGED)


class Warning(ConcurrentTransitionMixin, models.Model):
    """A threshold crossing (预警) against a subject and its responsible unit."""

    # Indexed by the (indicator, period, status) index and the open-warning constraint.
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="warnings",
        verbose_name=_("indicator"),
        db_index=False,
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="warnings", verbose_name=_("subject")
    )
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="warnings",
        verbose_name=_("reporting period"),
        db_index=False,
    )
    responsible_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible unit"),
    )
    level = models.CharField(_("level"), max_length=10, choices=WarningLevel.choices)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    status = FSMField(
        _("status"), default=WarningStatus.OPEN, choices=WarningStatus.choices, protected=True
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    raised_at = models.DateTimeField(_("raised at"))
    # Which evaluation run raised it, so follow-up work (deadlines, hooks) is found set-wise.
    # Found through the (indicator, period, status) index; no index of their own, which would
    # slow down raising thousands of warnings at once.
    raised_run = models.CharField(max_length=32, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
        db_index=False,
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_run = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "subject", "period"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="warning_one_open",
            )
        ]
        indexes = [models.Index(fields=["indicator", "period", "status"])]

    def __str__(self):
        return f"{self.indicator} · {self.subject} · {self.get_level_display()}"

    def get_absolute_url(self):
        return reverse("monitoring:warning_detail", args=[self.pk])

    @property
    def access_unit(self):
        return self.responsible_unit

    @property
    def is_open(self):
        return self.status in OPEN_WARNING_STATES

    @transition(field=status, source=WarningStatus.OPEN, target=WarningStatus.ACKNOWLEDGED)
    def acknowledge(self):
        pass

    @transition(field=status, source=list(OPEN_WARNING_STATES), target=WarningStatus.RESOLVED)
    def resolve(self):
        pass


class ImprovementStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    SUBMITTED = "submitted", _("Submitted for effectiveness check")
    CLOSED = "closed", _("Closed")


class Improvement(ConcurrentTransitionMixin, models.Model):
    """One line of the improvement ledger (改进台账)."""

    warning = models.ForeignKey(
        Warning,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="improvements",
        verbose_name=_("warning"),
    )
    finding = models.CharField(
        _("finding answered"),
        max_length=200,
        blank=True,
        help_text=_(
            "A review or diagnosis finding, when the improvement does not answer a warning."
        ),
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="improvements", verbose_name=_("subject")
    )
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="improvements",
        verbose_name=_("reporting period"),
    )
    responsible_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible unit")
    )
    title = models.CharField(_("item"), max_length=200)
    cause_analysis = models.TextField(_("cause analysis"))
    measures = models.TextField(_("measures"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    deadline = models.DateField(_("deadline"))
    status = FSMField(
        _("status"),
        default=ImprovementStatus.OPEN,
        choices=ImprovementStatus.choices,
        protected=True,
        db_index=True,
    )
    evidence = models.TextField(_("evidence"), blank=True)
    data_check = models.CharField(
        _("effectiveness judged by the data"),
        max_length=20,
        blank=True,
        help_text=_("inside / outside / no_data, computed when the effectiveness is checked"),
    )
    effectiveness_note = models.TextField(_("effectiveness check"), blank=True)
    effective = models.BooleanField(_("effective"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed off by"),
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set when another feature opened the item (e.g. "review-finding:42"): opening it again
    # from the same source finds this row instead of adding a second one.
    source_key = models.CharField(max_length=100, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("improvement")
        verbose_name_plural = _("improvement ledger")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"],
                condition=~Q(source_key=""),
                name="improvement_source_once",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("monitoring:improvement_detail", args=[self.pk])

    @property
    def access_unit(self):
        return self.responsible_unit

    @transition(field=status, source=ImprovementStatus.OPEN, target=ImprovementStatus.SUBMITTED)
    def submit(self):
        pass

    @transition(field=status, source=ImprovementStatus.SUBMITTED, target=ImprovementStatus.OPEN)
    def send_back(self):
        pass

    @transition(field=status, source=ImprovementStatus.SUBMITTED, target=ImprovementStatus.CLOSED)
    def close(self):
        pass


class Stage(models.TextChoices):
    """The 8: the small loop (continuous) then the large loop (once per period)."""

    TARGET = "target", _("Target (目标)")
    STANDARD = "standard", _("Standard (标准)")
    PLAN = "plan", _("Plan / design (计划/设计)")
    IMPLEMENT = "implement", _("Organise / implement (组织/实施)")
    MONITOR = "monitor", _("Monitor (监测)")
    WARN = "warn", _("Warn (预警)")
    IMPROVE = "improve", _("Improve (改进)")
    DIAGNOSE = "diagnose", _("Diagnose (诊断)")
    INCENTIVE = "incentive", _("Incentive (激励)")
    LEARN = "learn", _("Learn (学习)")
    INNOVATE = "innovate", _("Innovate (创新)")
    IMPROVED = "improved", _("Improved (改进)")


SMALL_LOOP = [Stage.TARGET, Stage.STANDARD, Stage.PLAN, Stage.IMPLEMENT, Stage.MONITOR]
LARGE_LOOP = [Stage.DIAGNOSE, Stage.INCENTIVE, Stage.LEARN, Stage.INNOVATE, Stage.IMPROVED]
# Where "advance" leads from each stage a person may advance by hand.
NEXT_STAGE = {
    Stage.TARGET: Stage.STANDARD,
    Stage.STANDARD: Stage.PLAN,
    Stage.PLAN: Stage.IMPLEMENT,
    Stage.IMPLEMENT: Stage.MONITOR,
    Stage.MONITOR: Stage.DIAGNOSE,
    Stage.DIAGNOSE: Stage.INCENTIVE,
    Stage.INCENTIVE: Stage.LEARN,
    Stage.LEARN: Stage.INNOVATE,
    Stage.INNOVATE: Stage.IMPROVED,
}


class Cycle(ConcurrentTransitionMixin, models.Model):
    """One turn of the spiral for one subject in one period."""

    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="cycles", verbose_name=_("subject")
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="cycles", verbose_name=_("reporting period")
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    responsible_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible unit")
    )
    stage = FSMField(
        _("stage"), default=Stage.TARGET, choices=Stage.choices, protected=True, db_index=True
    )
    target_text = models.TextField(_("targets"), blank=True)
    standard_text = models.TextField(_("standards"), blank=True)
    targets = models.ManyToManyField(
        "plans.Target",
        through="CycleTarget",
        related_name="cycles",
        blank=True,
        verbose_name=_("targets in force"),
    )
    standards = models.ManyToManyField(
        "plans.Standard",
        through="CycleStandard",
        related_name="cycles",
        blank=True,
        verbose_name=_("standards in force"),
    )
    stage_changed_at = models.DateTimeField(_("stage reached at"), default=timezone.now)
    carried_over = models.BooleanField(
        _("targets and standards carried over as drafts"), default=False
    )
    previous = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_cycle",
        verbose_name=_("previous cycle"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("improvement cycle")
        verbose_name_plural = _("improvement cycles")
        ordering = ["period", "level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "period"], name="cycle_subject_period")
        ]
        indexes = [models.Index(fields=["period", "level", "stage"])]

    def __str__(self):
        return f"{self.subject} · {self.period}"

    def get_absolute_url(self):
        return reverse("monitoring:cycle_detail", args=[self.pk])

    @property
    def access_unit(self):
        return self.responsible_unit

    # Fired only through stages.cycles_move, which saves, logs the state change and audits it.
    @transition(field=stage, source=list(NEXT_STAGE), target=RETURN_VALUE(*NEXT_STAGE.values()))
    def advance(self, to):
        return to

    @transition(field=stage, source=[Stage.MONITOR, Stage.IMPLEMENT], target=Stage.WARN)
    def warn(self):
        pass

    @transition(field=stage, source=Stage.WARN, target=Stage.IMPROVE)
    def start_improving(self):
        pass

    @transition(field=stage, source=Stage.IMPROVE, target=Stage.IMPLEMENT)
    def back_to_implementing(self):
        pass


class CycleTarget(models.Model):
    """A target in force linked to a cycle, with the version in force when the cycle began."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="target_links")
    target = models.ForeignKey("plans.Target", on_delete=models.PROTECT, related_name="cycle_links")
    version = models.PositiveIntegerField(_("version pinned"))

    class Meta:
        verbose_name = _("linked target")
        verbose_name_plural = _("linked targets")
        constraints = [models.UniqueConstraint(fields=["cycle", "target"], name="cycletarget_once")]

    def __str__(self):
        return f"{self.target} v{self.version}"


class CycleStandard(models.Model):
    """A standard in force linked to a cycle, with the version in force when the cycle began."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="standard_links")
    standard = models.ForeignKey(
        "plans.Standard", on_delete=models.PROTECT, related_name="cycle_links"
    )
    version = models.PositiveIntegerField(_("version pinned"))

    class Meta:
        verbose_name = _("linked standard")
        verbose_name_plural = _("linked standards")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "standard"], name="cyclestandard_once")
        ]

    def __str__(self):
        return f"{self.standard} v{self.version}"


class EvidenceKind(models.TextChoices):
    DATA = "data", _("Data (approved readings of the period)")
    DOCUMENT = "document", _("Document")
    DECISION = "decision", _("Decision")


class StageGateQuerySet(models.QuerySet):
    def for_cycle(self, cycle):
        """The gates a cycle answers: its level's, for every kind of period or its own."""
        return self.filter(level=cycle.level).filter(
            Q(period_kind="") | Q(period_kind=cycle.period.kind)
        )


class StageGate(models.Model):
    """What a cycle at a level must show before it may leave a stage (data, not code). A gate
    may hold for one kind of period only: a teacher's or a student's personal report covers an
    academic year (workflows.review.personal), so a term's diagnosis shows another document."""

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    kind = models.CharField(_("evidence kind"), max_length=10, choices=EvidenceKind.choices)
    label = models.CharField(_("required evidence"), max_length=120)
    period_kind = models.CharField(
        _("kind of period"),
        max_length=10,
        choices=PeriodKind.choices,
        blank=True,
        default="",
        help_text=_("Empty: the cycles of every kind of period. A kind: only the cycles of it."),
    )

    objects = StageGateQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence gate")
        verbose_name_plural = _("evidence gates")
        ordering = ["level", "stage", "id"]
        constraints = [
            models.UniqueConstraint(fields=["level", "stage", "label"], name="gate_unique")
        ]

    def __str__(self):
        return f"{self.get_level_display()} · {self.get_stage_display()} · {self.label}"

    def applies_to(self, period_kind: str) -> bool:
        return self.period_kind in ("", period_kind)


class CycleEvidence(models.Model):
    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("cycle")
    )
    gate = models.ForeignKey(
        StageGate, on_delete=models.PROTECT, related_name="+", verbose_name=_("evidence gate")
    )
    text = models.TextField(_("evidence"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cycle evidence")
        verbose_name_plural = _("cycle evidence")
        ordering = ["added_at", "id"]

    def __str__(self):
        return f"{self.cycle} · {self.gate.label}"


class PeriodOpening(models.Model):
    """Progress of the background job that creates every cycle of a period."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    period = models.ForeignKey(Period, on_delete=models.CASCADE, verbose_name=_("reporting period"))
    levels = models.JSONField(_("levels"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("subjects"), default=0)
    created = models.PositiveIntegerField(_("cycles created"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("period opening")
        verbose_name_plural = _("period openings")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.period} · {self.created}/{self.total}"


class Decider(models.TextChoices):
    COMMITTEE = "committee", _("The quality assurance committee (its chair records it)")
    DEPARTMENT_LEADER = "department_leader", _("The department leader")
    QUALITY_OFFICE = "quality_office", _("The quality office")


# The stages of the large loop a decision is recorded on: rewards (评优 recommendations) on
# 激励, training taken on 学习, measures adopted on 创新.
DECISION_STAGES = [Stage.INCENTIVE, Stage.LEARN, Stage.INNOVATE]


class DecisionKind(models.Model):
    """What may be recommended or recorded on a cycle's large loop, and who decides it (data:
    the shipped kinds are the college's defaults, not a seed's rule)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    stage = models.CharField(
        _("stage"), max_length=12, choices=[(s.value, s.label) for s in DECISION_STAGES]
    )
    level = models.CharField(
        _("level"),
        max_length=10,
        choices=Level.choices,
        blank=True,
        help_text=_("Empty: every level."),
    )
    decider = models.CharField(
        pgettext_lazy("decision kind", "decided by"), max_length=20, choices=Decider.choices
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("decision kind")
        verbose_name_plural = _("decision kinds")
        ordering = ["stage", "level", "name"]

    def __str__(self):
        return self.name


class DecisionStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("decision", "Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")


class CycleDecision(ConcurrentTransitionMixin, models.Model):
    """A recommendation or record on a cycle's large loop (a reward, training taken, a measure
    adopted): who proposed what and on which grounds, and the decision of whoever the kind
    names."""

    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("cycle")
    )
    kind = models.ForeignKey(
        DecisionKind, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind")
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    title = models.CharField(_("what"), max_length=200)
    grounds = models.TextField(_("grounds"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    status = FSMField(
        _("status"),
        default=DecisionStatus.PROPOSED,
        choices=DecisionStatus.choices,
        protected=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("person", "decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("cycle decision")
        verbose_name_plural = _("cycle decisions")
        ordering = ["proposed_at", "id"]
        indexes = [models.Index(fields=["cycle", "stage", "status"])]

    def __str__(self):
        return f"{self.kind} · {self.title}"

    def get_absolute_url(self):
        return reverse("monitoring:cycle_detail", args=[self.cycle_id]) + f"#stage-{self.stage}"

    @property
    def access_unit(self):
        return self.cycle.responsible_unit

    @property
    def subject(self):
        return self.cycle.subject

    @fsm_log_by
    @transition(field=status, source=DecisionStatus.PROPOSED, target=DecisionStatus.APPROVED)
    def approve(self, by=None):
        self.decided_by = by
        self.decided_at = timezone.now()

    @fsm_log_by
    @transition(field=status, source=DecisionStatus.PROPOSED, target=DecisionStatus.REJECTED)
    def reject(self, by=None):
        self.decided_by = by
        self.decided_at = timezone.now()


class CycleReport(models.Model):
    """A subject's annual quality report (专业年度质量报告, 课程年度质量报告, 教师发展报告 …)
    assembled from its cycle in the background, with progress (cycle_report.py)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, related_name="reports", verbose_name=_("cycle")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    file = models.FileField(_("file"), upload_to="monitoring/reports/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cycle quality report")
        verbose_name_plural = _("cycle quality reports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.cycle} · {self.get_status_display()}"

    @property
    def access_unit(self):
        return self.cycle.responsible_unit
