"""Class observation and inspection (听课 / 巡查): observation forms as data, versioned; the
observations supervisors and leaders fill in the classroom; the teacher's replies; duty quotas
(领导干部听课制度, 督导听课) and the duty windows that feed the escalation ladder."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import OrgUnit, Role


class ObservationForm(models.Model):
    """A kind of observation sheet (课堂教学质量评价表). Its content lives in versions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("observation form")
        verbose_name_plural = _("observation forms")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def current_version(self):
        return self.versions.order_by("-number").first()


class FormVersion(models.Model):
    """One version of a form. Never changed once saved: an edit makes the next version, and an
    observation keeps the version it was filled on."""

    form = models.ForeignKey(
        ObservationForm, on_delete=models.CASCADE, related_name="versions", verbose_name=_("form")
    )
    number = models.PositiveIntegerField(_("version"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    course_indicator = models.ForeignKey(
        "monitoring.Indicator",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("course indicator"),
        help_text=_("The weighted total becomes a reading of this course-level indicator."),
    )
    teacher_indicator = models.ForeignKey(
        "monitoring.Indicator",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("teacher indicator"),
        help_text=_("The weighted total becomes a reading of this teacher-level indicator."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("observation form version")
        verbose_name_plural = _("observation form versions")
        ordering = ["form", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="observation_form_version")
        ]

    def __str__(self):
        return f"{self.form} · v{self.number}"

    def items(self):
        return FormItem.objects.filter(section__version=self).order_by(
            "section__position", "position"
        )


class FormSection(models.Model):
    version = models.ForeignKey(
        FormVersion, on_delete=models.CASCADE, related_name="sections", verbose_name=_("version")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=100)

    class Meta:
        verbose_name = _("form section")
        verbose_name_plural = _("form sections")
        ordering = ["version", "position"]

    def __str__(self):
        return self.title


class FormItem(models.Model):
    """A scored point (评价要点) with its weight: the total is Σ weight × score ÷ max, over
    Σ weight, on a 100-point scale."""

    section = models.ForeignKey(
        FormSection, on_delete=models.CASCADE, related_name="items", verbose_name=_("section")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    label = models.CharField(_("evaluation point"), max_length=100)
    guidance = models.CharField(_("what to look for"), max_length=300, blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    max_score = models.PositiveSmallIntegerField(
        _("highest score"), default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("form item")
        verbose_name_plural = _("form items")
        ordering = ["section", "position"]

    def __str__(self):
        return self.label


class ObservationKind(models.TextChoices):
    OBSERVATION = "observation", _("Class observation")
    INSPECTION = "inspection", _("Teaching inspection")


class Observation(models.Model):
    """One observed lesson. It is written once, when the observer submits (the draft lives on the
    observer's phone until then); `client_key` makes the submit idempotent."""

    client_key = models.UUIDField(_("submission key"), unique=True)
    version = models.ForeignKey(
        FormVersion, on_delete=models.PROTECT, related_name="observations", verbose_name=_("form")
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=ObservationKind.choices,
        default=ObservationKind.OBSERVATION,
    )
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="observations_made",
        verbose_name=_("observer"),
    )
    course = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="observations",
        verbose_name=_("course"),
        limit_choices_to={"kind": OrgUnit.Kind.COURSE},
    )
    class_name = models.CharField(_("class"), max_length=60, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    observed_at = models.DateTimeField(_("observed at"), db_index=True)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="observations_received",
        verbose_name=_("teacher"),
    )
    teacher_name = models.CharField(_("teacher"), max_length=60)
    strengths = models.TextField(_("strengths"), max_length=2000, blank=True)
    suggestions = models.TextField(_("problems and suggestions"), max_length=2000, blank=True)
    total_score = models.DecimalField(_("total score"), max_digits=6, decimal_places=2)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    readings_note = models.CharField(_("readings"), max_length=300, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )

    class Meta:
        verbose_name = _("class observation")
        verbose_name_plural = _("class observations")
        ordering = ["-observed_at", "-pk"]
        indexes = [
            models.Index(fields=["observer", "observed_at"]),
            models.Index(fields=["teacher", "observed_at"]),
            models.Index(fields=["course", "observed_at"]),
        ]

    def __str__(self):
        return (
            f"{self.course} · {self.teacher_name} · {timezone.localtime(self.observed_at):%Y-%m-%d}"
        )

    def get_absolute_url(self):
        return reverse("observations:detail", args=[self.pk])

    @property
    def access_unit(self):
        return self.course

    @property
    def source_key(self) -> str:
        return f"observation:{self.pk}"


class ObservationScore(models.Model):
    observation = models.ForeignKey(
        Observation, on_delete=models.CASCADE, related_name="scores", verbose_name=_("observation")
    )
    item = models.ForeignKey(
        FormItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("evaluation point")
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    comment = models.CharField(_("comment"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("observation score")
        verbose_name_plural = _("observation scores")
        ordering = ["item__section__position", "item__position"]
        constraints = [
            models.UniqueConstraint(fields=["observation", "item"], name="observation_score_item")
        ]

    def __str__(self):
        return f"{self.item}: {self.score}"


class ObservationReply(models.Model):
    """The observed teacher's answer (教师反馈), shown to the observer."""

    observation = models.ForeignKey(
        Observation, on_delete=models.CASCADE, related_name="replies", verbose_name=_("observation")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("reply"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("teacher's reply")
        verbose_name_plural = _("teachers' replies")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text[:40]


class QuotaPer(models.TextChoices):
    WEEK = "week", _("Week")
    TERM = "term", _("Term")


class DutyQuota(models.Model):
    """How many observations the holders of a role owe: e.g. each department leader 4 per term
    (学院各级领导干部听课制度), each supervisor 3 per week."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    count = models.PositiveSmallIntegerField(
        _("observations"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    per = models.CharField(_("per"), max_length=10, choices=QuotaPer.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("observation duty quota")
        verbose_name_plural = _("observation duty quotas")
        ordering = ["role", "per"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "per"],
                condition=Q(is_active=True),
                name="duty_quota_one_active",
                violation_error_message=_(
                    "This role already has an active quota for this period: change that one."
                ),
            )
        ]

    def __str__(self):
        return f"{self.get_role_display()} · {self.count}/{self.get_per_display()}"


class DutyStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MET = "met", pgettext_lazy("observation duty", "Met")


class Duty(models.Model):
    """One observer's duty in one window (a week or a term): the escalation ladder runs on its
    deadline (kind observation.duty), and the observer's inbox holds it (DutyFlow), until the
    observer has done what the quota asks."""

    quota = models.ForeignKey(
        DutyQuota, on_delete=models.CASCADE, related_name="duties", verbose_name=_("quota")
    )
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="observation_duties",
        verbose_name=_("observer"),
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    label = models.CharField(_("period"), max_length=60)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    required = models.PositiveSmallIntegerField(pgettext_lazy("observation duty", "required"))
    done = models.PositiveSmallIntegerField(_("done"), default=0)
    status = models.CharField(
        _("status"), max_length=8, choices=DutyStatus.choices, default=DutyStatus.OPEN
    )

    class Meta:
        verbose_name = _("observation duty")
        verbose_name_plural = _("observation duties")
        ordering = ["-start", "observer"]
        constraints = [
            models.UniqueConstraint(
                fields=["quota", "observer", "start"], name="observation_duty_window"
            )
        ]

    def __str__(self):
        return _("%(who)s: observations %(label)s") % {"who": self.observer, "label": self.label}

    def get_absolute_url(self):
        return reverse("observations:duty", args=[self.pk])

    @property
    def access_unit(self):
        return self.unit
