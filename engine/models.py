from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.workflow.models import Process

from accounts.models import OrgUnit, Role

from .text import without_link


class Term(models.Model):
    """A school term (学期). Working days are counted against the calendar days below."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    teaching_weeks = models.PositiveSmallIntegerField(
        _("teaching weeks"), default=18, validators=[MaxValueValidator(30)]
    )

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="term_ends_after_start"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The term must end after it starts.")})


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a holiday (节假日) or a make-up day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)
    term = models.ForeignKey(
        Term,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="days",
        verbose_name=_("term"),
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"

    def clean(self):
        if self.term_id and self.date and not (self.term.start <= self.date <= self.term.end):
            raise ValidationError({"date": _("This day lies outside its term.")})


class EscalationRule(models.Model):
    """The reminder and escalation ladder for one kind of deadline. Offsets are working days."""

    class CollegeTarget(models.TextChoices):
        QUALITY_OFFICE = Role.QUALITY_OFFICER, _("Quality office")
        COMMITTEE = Role.COMMITTEE_CHAIR, _("Committee chair")

    kind = models.CharField(_("kind of item"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=100)
    remind_before = models.PositiveSmallIntegerField(
        _("remind owner (working days before)"), default=2, validators=[MaxValueValidator(30)]
    )
    leader_after = models.PositiveSmallIntegerField(
        _("escalate to unit leader (working days after)"),
        default=0,
        validators=[MaxValueValidator(60)],
    )
    college_after = models.PositiveSmallIntegerField(
        _("escalate to the college (working days after)"),
        default=3,
        validators=[MaxValueValidator(90)],
    )
    college_target = models.CharField(
        _("college escalation goes to"),
        max_length=32,
        choices=CollegeTarget.choices,
        default=CollegeTarget.QUALITY_OFFICE,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self):
        return self.label

    def clean(self):
        both_set = self.college_after is not None and self.leader_after is not None
        if both_set and self.college_after < self.leader_after:
            raise ValidationError(
                {"college_after": _("The college step must come after the leader step.")}
            )


class Deadline(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("deadline status", "Open")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Level(models.IntegerChoices):
        NONE = 0, _("On time")
        REMINDED = 1, _("Reminded")
        LEADER = 2, _("Escalated to unit leader")
        COLLEGE = 3, _("Escalated to the college")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    obj = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=64)
    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="deadlines", verbose_name=_("owner unit")
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deadlines",
        verbose_name=_("owner"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation"), choices=Level.choices, default=Level.NONE
    )
    # When the escalation sweep must next look at this row; NULL = nothing left to do. The sweep
    # reads only rows whose moment has come, through the partial index below.
    next_action_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"],
                condition=Q(status__in=["open", "paused"]),
                name="deadline_one_live_per_object_kind",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_action_at"],
                condition=Q(status="open", next_action_at__isnull=False),
                name="deadline_due_action_idx",
            ),
            models.Index(fields=["owner_unit", "status", "due_at"]),
            models.Index(fields=["owner_user", "status", "due_at"]),
            models.Index(fields=["content_type", "object_id"]),
        ]

    def __str__(self):
        return f"{self.label} → {timezone.localtime(self.due_at):%Y-%m-%d}"

    @property
    def is_overdue(self):
        return self.status == self.Status.OPEN and self.due_at < timezone.now()

    @property
    def label(self) -> str:
        from .deadlines import kind_label

        return kind_label(self.kind)


class Notification(models.Model):
    """One message to one person: the outbox row (written in the causing transaction) and, once
    delivered, the in-app message behind the bell."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64, blank=True)
    unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("unit")
    )
    dedup_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedup_key"], name="notification_dedup")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["created_at"],
                condition=Q(delivered_at__isnull=True),
                name="notification_undelivered",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def in_app_body(self) -> str:
        """The body as the in-app list shows it: the entry links its page, so the link that ends
        the body for mail and chat is left out."""
        return without_link(self.body, self.url)


class Delivery(models.Model):
    """An outside channel's copy of a notification (email, the unit's chat robot)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Chat webhook")
        DINGTALK = "dingtalk", _("DingTalk work notification")
        WECOM = "wecom", _("WeCom application message")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    target = models.CharField(_("target"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel", "target"], name="delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_idx",
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.target}"


class NotificationPreference(models.Model):
    """Which outside channels a person wants for one kind of message. In-app is always on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=64)
    email = models.BooleanField(_("email"), default=True)
    webhook = models.BooleanField(_("chat webhook"), default=True)
    # A work notification to the person on DingTalk or WeCom, where the college runs one.
    chat = models.BooleanField(_("work chat"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once")]

    def __str__(self):
        return f"{self.user} · {self.kind}"


class Sequence(models.Model):
    key = models.CharField(max_length=100, unique=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self):
        return f"{self.key}={self.value}"


def attachment_path(instance, filename):
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    obj = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    mime = models.CharField(_("type"), max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return self.original_name


def validate_template(value: str) -> None:
    from django.template import Template, TemplateSyntaxError

    try:
        Template(value)
    except TemplateSyntaxError as exc:
        raise ValidationError(
            _("This is not a valid template: %(error)s") % {"error": exc}
        ) from exc


class MessageTemplate(models.Model):
    """An administrator's wording for one kind of message; without one, the registered default
    (translated) is used. Context: obj, url and the kind's own variables."""

    kind = models.CharField(_("kind of message"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200, validators=[validate_template])
    body = models.TextField(_("message"), blank=True, validators=[validate_template])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self):
        return self.kind


class ImportRun(models.Model):
    """One spreadsheet import as it ran: the record of what happened, also when it failed.

    The counters and `checkpoint` (the last row number whose chunk committed) are written in the
    same transaction as the chunk's rows, so a failed run says exactly what is in the database
    and a re-run continues after the checkpoint."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("import", "Queued")
        RUNNING = "running", pgettext_lazy("import", "Running")
        DONE = "done", pgettext_lazy("import", "Done")
        FAILED = "failed", pgettext_lazy("import", "Failed")

    kind = models.CharField(_("kind"), max_length=30, db_index=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    checkpoint = models.PositiveIntegerField(_("last committed row"), default=0)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["actor", "-created_at"])]

    def __str__(self):
        return f"{self.kind_label} · {self.file_name}"

    @property
    def kind_label(self) -> str:
        from .imports import importer_for

        importer = importer_for(self.kind)
        return str(importer.label) if importer else self.kind

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.processed * 100 // self.total)

    def add_error(self, row: int, message: str, column: str = "") -> None:
        self.error_count += 1
        if len(self.errors) < settings.IMPORT_MAX_ERRORS_KEPT:
            self.errors.append({"row": row, "column": column, "message": str(message)})


class DutyRule(models.Model):
    """A separation-of-duties rule (职责分离): whoever did (or is) `earlier_step` of a process
    may not do its `later_step`. The shipped rows are the college's defaults, not a seed's:
    where the seeds are silent, a college expects nobody to verify their own rectification,
    approve their own report or vote on their own change request. Edit them here; every change
    is audited. engine.duties reads them."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Not the same person")
        UNIT = "unit", _("Nobody from the same unit")

    process = models.CharField(_("process"), max_length=40)
    earlier_step = models.CharField(_("who did (or is)"), max_length=40)
    later_step = models.CharField(_("may not do"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    description = models.CharField(
        _("rule as shown to users"),
        max_length=200,
        help_text=_("Shown on the page when the rule refuses someone."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("separation-of-duties rule")
        verbose_name_plural = _("separation-of-duties rules")
        ordering = ["process", "later_step", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "earlier_step", "later_step", "kind"], name="dutyrule_unique"
            )
        ]

    def __str__(self):
        return self.description


class StepProcess(Process):
    """The process of a step table (engine.steps): viewflow's own Process row, pointing at the
    domain object through its public `artifact` fields."""

    class Meta:
        proxy = True
        verbose_name = _("step process")
        verbose_name_plural = _("step processes")

    @property
    def brief(self) -> str:
        table = self.flow_class.table
        return table.summary(self.artifact) if self.artifact is not None else ""


class Absence(models.Model):
    """A person away (出差, 请假) from one date to another, with the deputy (代理) whose inbox
    shows their tasks meanwhile (engine.delegation). Deadlines keep running."""

    class Kind(models.TextChoices):
        TRIP = "trip", _("Business trip (出差)")
        LEAVE = "leave", _("Leave (请假)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="absences",
        verbose_name=_("person away"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    starts_on = models.DateField(_("away from"))
    ends_on = models.DateField(_("away until"))
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="deputising",
        verbose_name=_("deputy (代理)"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(deputy=models.F("user")), name="absence_deputy_not_self"
            ),
        ]
        indexes = [models.Index(fields=["deputy", "ends_on"])]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()} {self.starts_on}–{self.ends_on}"

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The absence cannot end before it starts.")
        if self.deputy_id and self.deputy_id == self.user_id:
            errors["deputy"] = _("Name someone else as your deputy.")
        if errors:
            raise ValidationError(errors)


class ChatIdentity(models.Model):
    """Who a person is on DingTalk or WeCom: the platform's user id, found by mobile number
    (`manage.py chat_sync`) or entered by an administrator."""

    class Platform(models.TextChoices):
        DINGTALK = "dingtalk", _("DingTalk")
        WECOM = "wecom", _("WeCom")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_identities",
        verbose_name=_("person"),
    )
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    platform_user_id = models.CharField(_("user id on the platform"), max_length=64)
    synced_at = models.DateTimeField(_("synced at"), auto_now=True)

    class Meta:
        verbose_name = _("chat identity")
        verbose_name_plural = _("chat identities")
        constraints = [
            models.UniqueConstraint(fields=["user", "platform"], name="chat_identity_once"),
            models.UniqueConstraint(
                fields=["platform", "platform_user_id"], name="chat_identity_unique_id"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_platform_display()} {self.platform_user_id}"


class DigestPreference(models.Model):
    """How often a person gets the digest of their open work (default: daily)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        OFF = "off", _("Do not send")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_preference"
    )
    frequency = models.CharField(
        _("digest"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY
    )

    class Meta:
        verbose_name = _("digest preference")
        verbose_name_plural = _("digest preferences")

    def __str__(self):
        return f"{self.user} · {self.get_frequency_display()}"


def _template_path(instance, filename):
    return f"doc_templates/{instance.kind}/v{instance.version}.docx"


class DocumentTemplate(models.Model):
    """An office's own Word template for one kind of document (engine/doc_templates.py); the
    newest active version is used, the shipped default until there is one."""

    kind = models.CharField(_("document"), max_length=64, db_index=True)
    version = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=_template_path)
    note = models.CharField(_("note"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="document_template_version")
        ]

    def __str__(self):
        return f"{self.kind} v{self.version}"
