"""Import profiles (导入方案) for the tables the national 人才培养工作状态数据 platform exports.

A profile says, as data, how one exported table becomes readings: which column names the
subject (a unit, major or course code, a staff or student number), which the period (or one
fixed period), and which columns give the value of which indicator, with value mappings
(是/否 → 1/0, grade words → scores) and a scale. The quality office edits profiles on its
pages; every upload is previewed against one profile and then confirmed (`Upload`).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from engine.models import ImportRun
from workflows.levels import Level
from workflows.monitoring.models import Indicator, Period


class SubjectKey(models.TextChoices):
    UNIT = "unit", _("Unit code")
    MAJOR = "major", _("Major code")
    COURSE = "course", _("Course code")
    STAFF = "staff", _("Staff number")
    STUDENT = "student", _("Student number")


# The indicator levels each kind of key can name.
KEY_LEVELS = {
    SubjectKey.UNIT: {Level.SCHOOL, Level.MAJOR, Level.COURSE},
    SubjectKey.MAJOR: {Level.MAJOR},
    SubjectKey.COURSE: {Level.COURSE},
    SubjectKey.STAFF: {Level.TEACHER},
    SubjectKey.STUDENT: {Level.STUDENT},
}


class Profile(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(
        _("table name"),
        max_length=100,
        help_text=_("The table's name as the state-data platform shows it."),
    )
    description = models.TextField(_("description"), blank=True)
    sheet_name = models.CharField(
        _("sheet name"), max_length=100, blank=True, help_text=_("Empty: the first sheet.")
    )
    header_row = models.PositiveSmallIntegerField(
        _("header row"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("The row number of the column headers (rows above it are titles)."),
    )
    subject_key = models.CharField(_("subject key"), max_length=10, choices=SubjectKey.choices)
    subject_column = models.CharField(_("subject column"), max_length=100)
    subject_map = models.JSONField(
        _("subject code mapping"),
        default=dict,
        blank=True,
        help_text=_("Platform code → the college's code, where the two differ."),
    )
    period_column = models.CharField(
        _("period column"),
        max_length=100,
        blank=True,
        help_text=_("Empty: every row belongs to the fixed period below."),
    )
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fixed period"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Raised on every save: a preview made against an older version is not confirmed.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("state-data import profile")
        verbose_name_plural = _("state-data import profiles")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        if not self.period_column.strip() and self.period_id is None:
            raise ValidationError(
                {"period_column": _("Name the period column or choose a fixed period.")}
            )
        if self.period_column.strip() and self.period_id is not None:
            raise ValidationError(
                {"period": _("Either a period column or a fixed period, not both.")}
            )


class ProfileColumn(models.Model):
    profile = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="columns", verbose_name=_("profile")
    )
    header = models.CharField(_("column header"), max_length=100)
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator")
    )
    value_map = models.JSONField(
        _("value mapping"),
        default=dict,
        blank=True,
        help_text=_("Cell text → number, e.g. 是 → 1, 否 → 0, 优秀 → 95."),
    )
    scale = models.DecimalField(
        _("multiply by"),
        max_digits=10,
        decimal_places=4,
        default=Decimal(1),
        help_text=_("E.g. 100 when the table gives 0.95 for 95%."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("value column")
        verbose_name_plural = _("value columns")
        ordering = ["profile", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "header"], name="statedata_column_header"),
            models.UniqueConstraint(
                fields=["profile", "indicator"], name="statedata_column_indicator"
            ),
            models.CheckConstraint(condition=~Q(scale=0), name="statedata_scale_not_zero"),
        ]

    def __str__(self):
        return f"{self.header} → {self.indicator}"


class Upload(models.Model):
    """One exported table, previewed against a profile and then (maybe) imported."""

    profile = models.ForeignKey(
        Profile, on_delete=models.PROTECT, related_name="uploads", verbose_name=_("profile")
    )
    profile_version = models.PositiveIntegerField(_("profile version"))
    file = models.FileField(_("file"), upload_to="statedata/%Y/%m/", max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=200)
    rows = models.PositiveIntegerField(_("rows (estimate)"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    preview_run = models.ForeignKey(
        ImportRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preview run"),
    )
    import_run = models.ForeignKey(
        ImportRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("import run"),
    )

    class Meta:
        verbose_name = _("state-data upload")
        verbose_name_plural = _("state-data uploads")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.profile} · {self.file_name}"

    @property
    def batch(self) -> str:
        return f"statedata:{self.pk}"
