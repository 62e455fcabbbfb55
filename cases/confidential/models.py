from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import OrgUnit


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    PRELIMINARY_CHECK = "preliminary_check", _("Preliminary check (初核)")
    FILED = "filed", _("Filed for investigation (立案)")
    NOT_FILED = "not_filed", _("Not filed (不予立案)")
    INVESTIGATION = "investigation", _("Under investigation")
    CONCLUSION = "conclusion", _("Concluded")
    HANDLING = "handling", _("Handling")
    ANSWERED = "answered", _("Answered to the reporter")
    CLOSED = "closed", _("Closed")


class Subject(models.TextChoices):
    FUNDS = "funds", _("Misuse of funds")
    EXPERTS = "experts", _("Hiring of experts")
    FALSIFICATION = "falsification", _("Falsified self-diagnosis or conclusions")
    CONDUCT = "conduct", _("Conduct of officials")
    OTHER = "other", _("Other")


class Report(ConcurrentTransitionMixin, models.Model):
    """A report (举报) to the discipline office. Anonymous reports keep nothing about their author;
    named ones keep the reporter for the office's eyes only."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    status = FSMField(
        _("status"), default=Status.RECEIVED, choices=Status.choices, protected=True, db_index=True
    )
    subject = models.CharField(_("what it is about"), max_length=20, choices=Subject.choices)
    about = models.CharField(_("about whom or what"), max_length=200)
    subject_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("unit concerned"),
    )
    description = models.TextField(pgettext_lazy("confidential report", "description"))
    is_anonymous = models.BooleanField(_("anonymous"), default=True)
    # SET_NULL, not PROTECT (here and on the unit): a protected row would be listed on the
    # admin's "delete user/unit" page.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=pgettext_lazy("confidential report", "reporter"),
    )
    contact = models.CharField(_("contact (optional)"), max_length=200, blank=True)
    # The people the report is about, as the office confirms them: they never read the report
    # (report_share refuses them) and take no step of a case opened from it (Case.recused).
    accused = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("persons reported on"),
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_spam = models.BooleanField(_("marked as spam"), default=False, db_index=True)
    not_filed_reason = models.TextField(_("reason for not filing"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    handling = models.TextField(_("handling"), blank=True)
    answer = models.TextField(_("answer to the reporter"), blank=True)
    quality_case_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quality_case_id = models.CharField(max_length=64, blank=True)
    quality_case = GenericForeignKey("quality_case_type", "quality_case_id")
    created_at = models.DateTimeField(
        pgettext_lazy("confidential report", "filed at"), auto_now_add=True, db_index=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("confidential report", "report")
        verbose_name_plural = pgettext_lazy("confidential report", "reports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("confidential:office_detail", args=[self.pk])

    @property
    def access_unit(self):
        # Reports belong to the college as a whole: only college-wide roles reach them by role.
        return OrgUnit.objects.filter(depth=1).order_by("path").first()

    @property
    def is_open(self):
        return self.status != Status.CLOSED

    @fsm_log_by
    @transition(field=status, source=Status.RECEIVED, target=Status.PRELIMINARY_CHECK)
    def start_check(self, by=None):
        """初核"""

    @fsm_log_by
    @transition(field=status, source=Status.PRELIMINARY_CHECK, target=Status.FILED)
    def file_case(self, by=None):
        """立案"""

    @fsm_log_by
    @transition(field=status, source=Status.PRELIMINARY_CHECK, target=Status.NOT_FILED)
    def decline(self, by=None):
        """不予立案 (the reason is required by the service)"""

    @fsm_log_by
    @transition(field=status, source=Status.FILED, target=Status.INVESTIGATION)
    def investigate(self, by=None):
        """调查"""

    @fsm_log_by
    @transition(field=status, source=Status.INVESTIGATION, target=Status.CONCLUSION)
    def conclude(self, by=None):
        """结论"""

    @fsm_log_by
    @transition(field=status, source=Status.CONCLUSION, target=Status.HANDLING)
    def handle(self, by=None):
        """处理"""

    @fsm_log_by
    @transition(field=status, source=[Status.HANDLING, Status.NOT_FILED], target=Status.ANSWERED)
    def answer_reporter(self, by=None):
        """答复举报人"""

    @fsm_log_by
    @transition(field=status, source=Status.ANSWERED, target=Status.CLOSED)
    def close(self, by=None):
        """办结"""


class ReportStage(models.Model):
    """The public progress line: which stage, since when. No names, no notes."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="stages")
    status = models.CharField(_("stage"), max_length=20, choices=Status.choices)
    at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("report stage")
        verbose_name_plural = _("report stages")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.report} {self.status}"


class ReportAddition(models.Model):
    """Information or evidence the reporter added later with the tracking code."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="additions")
    text = models.TextField(_("information"), blank=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("added information")
        verbose_name_plural = _("added information")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.report} +{self.pk}"

    @property
    def access_unit(self):
        return self.report.access_unit


class ReportNote(models.Model):
    """An internal note of the office or of someone it asked to read the report."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.report} note {self.pk}"


class ReportUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Report, on_delete=models.CASCADE)

    def __str__(self):
        return f"#{self.pk}"


class ReportGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Report, on_delete=models.CASCADE)

    def __str__(self):
        return f"#{self.pk}"


class RateCounter(models.Model):
    """Attempts counted by the anonymous intake's rate limits (intake.hit), in the database so
    that every worker process counts on the same row. `key` is a scope and a keyed hash (of a
    client address or a tracking code), never the address or code itself."""

    key = models.CharField(max_length=100, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self):
        return f"{self.key}: {self.count}"
