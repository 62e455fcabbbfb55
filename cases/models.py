"""Quality incidents (质量事故) and complaints (投诉): the case, its classification matrix, the
routing of cases to the two accepting bodies, and the rectification notices issued on a case."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Lookup
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description
from viewflow.workflow.models import Process

from accounts.models import OrgUnit, Role


class Category(models.Model):
    """教学事故 → 课堂教学 / 考试 / …: a two-level catalogue, data in admin."""

    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="case_category_unique_name")
        ]

    def __str__(self):
        return f"{self.parent.name} · {self.name}" if self.parent_id else self.name


class Grade(models.Model):
    """一般 / 较重 / 严重 / 重大; `rank` orders them (higher is graver)."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("incident grade")
        verbose_name_plural = _("incident grades")
        ordering = ["rank"]

    def __str__(self):
        return self.name


class Approver(models.TextChoices):
    ACCEPTING_BODY = "body", _("The accepting body")
    COMMITTEE = "committee", _("The quality assurance committee")


class MatrixCell(models.Model):
    """One cell of the category × grade matrix: deadlines in working days, who approves the
    determination and who is informed. A case copies its cell when classified, so later edits
    never rewrite a case already under way or closed."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="cells", verbose_name=_("category")
    )
    grade = models.ForeignKey(
        Grade, on_delete=models.CASCADE, related_name="cells", verbose_name=_("grade")
    )
    acceptance_days = models.PositiveSmallIntegerField(
        _("acceptance deadline (working days)"), default=3, validators=[MaxValueValidator(60)]
    )
    investigation_days = models.PositiveSmallIntegerField(
        _("investigation deadline (working days)"), default=10, validators=[MaxValueValidator(120)]
    )
    rectification_days = models.PositiveSmallIntegerField(
        _("rectification deadline (working days)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(250)],
    )
    approver = models.CharField(
        _("determination approved by"),
        max_length=20,
        choices=Approver.choices,
        default=Approver.ACCEPTING_BODY,
    )
    inform_committee = models.BooleanField(_("inform the committee"), default=False)
    inform_discipline = models.BooleanField(_("inform the discipline office"), default=False)

    class Meta:
        verbose_name = _("matrix cell")
        verbose_name_plural = _("category × grade matrix")
        constraints = [
            models.UniqueConstraint(fields=["category", "grade"], name="case_matrix_one_cell")
        ]

    def __str__(self):
        return f"{self.category} × {self.grade}"

    def snapshot(self) -> dict:
        return {
            "acceptance_days": self.acceptance_days,
            "investigation_days": self.investigation_days,
            "rectification_days": self.rectification_days,
            "approver": self.approver,
            "inform_committee": self.inform_committee,
            "inform_discipline": self.inform_discipline,
        }


class RoutingRule(models.Model):
    """Which body accepts a case (两级受理). Rules are tried in `order`; the first that matches
    decides. A rule matches on the kind of the unit a case concerns, on a case concerning several
    departments, and/or on a suggested grade at or above a rank."""

    class Target(models.TextChoices):
        DEPARTMENT = "department", _("The department of the unit concerned")
        COLLEGE = "college", _("The college (quality office)")

    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=100)
    unit_kind = models.CharField(
        _("unit kind concerned"),
        max_length=20,
        choices=OrgUnit.Kind.choices,
        blank=True,
        help_text=_("Empty: any kind."),
    )
    several_departments = models.BooleanField(
        _("only when the case concerns several departments"), default=False
    )
    min_grade = models.ForeignKey(
        Grade,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("only at or above grade"),
    )
    target = models.CharField(_("accepted by"), max_length=20, choices=Target.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REFUSED = "refused", _("Refused")
    ACCEPTED = "accepted", _("Accepted")
    CLASSIFIED = "classified", _("Classified")
    INVESTIGATING = "investigating", _("Investigating")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting committee approval")
    DETERMINED = "determined", _("Determined")
    RECTIFYING = "rectifying", _("Rectifying")
    VERIFYING = "verifying", _("Verifying")
    RECTIFIED = "rectified", _("Rectification accepted")
    FEEDBACK = "feedback", _("Feedback given")
    CLOSED = "closed", _("Closed")


S = Status
OPEN_BEFORE_ACCEPTANCE = [S.SUBMITTED]
UNDER_WAY = [
    S.ACCEPTED,
    S.CLASSIFIED,
    S.INVESTIGATING,
    S.AWAITING_APPROVAL,
    S.DETERMINED,
    S.RECTIFYING,
    S.VERIFYING,
    S.RECTIFIED,
    S.FEEDBACK,
]
FINISHED = [S.WITHDRAWN, S.REFUSED, S.CLOSED]
# From determination on, the responsible unit is part of the case.
# the complainant's time to rate the answer after the feedback (services.case_close)
RATING_KIND = "case.rating"

RESPONSIBLE_STATES = [S.DETERMINED, S.RECTIFYING, S.VERIFYING, S.RECTIFIED, S.FEEDBACK, S.CLOSED]


class HoldsId(Lookup):
    """`recused_ids__holds_id=pk`: the JSON list of ids holds `pk`, as one condition on the row
    (Django's JSON `contains` has no SQLite form, and the quick start runs on SQLite)."""

    lookup_name = "holds_id"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)",  # noqa: S608 - the column, compiled by Django
            [*lhs_params, int(self.rhs)],
        )

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @> jsonb_build_array(%s::integer)", [*lhs_params, int(self.rhs)]


class Case(ConcurrentTransitionMixin, models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("Incident report")
        COMPLAINT = "complaint", _("Complaint")
        WARNING = "warning", _("Raised from a monitoring warning")
        SELF_INSPECTION = "self_inspection", _("Raised from self-inspection")

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("Inspection")
        OBSERVATION = "observation", _("Class observation")
        OTHER = "other", _("Other")
        # a case the discipline office opened from a report (举报): set by the service, never
        # chosen by someone filing (FILED_SOURCES)
        DISCIPLINE = "discipline", _("Referred by the discipline office")

    number = models.CharField(_("case number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    source = models.CharField(_("found during"), max_length=20, choices=Source.choices, blank=True)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("what happened"), max_length=4000)
    course = models.CharField(_("course"), max_length=100, blank=True)
    teacher_name = models.CharField(_("teacher"), max_length=60, blank=True)
    class_name = models.CharField(_("class"), max_length=60, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("time of the incident"), null=True, blank=True)

    subject_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="cases_concerning",
        verbose_name=_("unit concerned"),
    )
    other_units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="+", verbose_name=_("other units concerned")
    )
    accepting_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="cases_accepting",
        verbose_name=_("accepting body"),
    )
    responsible_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_responsible",
        verbose_name=_("responsible unit"),
    )
    responsible_person = models.CharField(_("responsible person"), max_length=60, blank=True)

    # The reporter may be absent (anonymous intake) or hidden from the responsible unit; who may
    # see the reporter is decided in one place: cases.access.reporter_display.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_reported",
        verbose_name=_("reporter"),
    )
    reporter_hidden = models.BooleanField(
        _("hide my identity from the unit concerned"), default=False
    )
    # The confidential track (举报 to the discipline office) sets this; such a case is outside
    # every ordinary scope of visible_cases.
    confidential = models.BooleanField(_("confidential"), default=False, db_index=True)
    # The users who take no step of this case and are never handed one (回避): the persons a
    # report to the discipline office is about, for a case opened from it (cases.duties). Ids
    # on the row, not a relation: every step's access check reads them without a query. The case
    # does not say why: nothing here leads back to the report.
    recused_ids = models.JSONField(_("recused persons"), default=list, blank=True, editable=False)
    recused_ids.register_lookup(HoldsId)

    status = FSMField(
        _("status"), default=S.SUBMITTED, choices=S.choices, protected=True, db_index=True
    )
    suggested_grade = models.ForeignKey(
        Grade,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("suggested grade"),
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("category"),
    )
    grade = models.ForeignKey(
        Grade,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("grade"),
    )
    rules = models.JSONField(_("matrix rules applied"), default=dict, blank=True)
    needs_committee = models.BooleanField(_("needs the committee"), default=False, db_index=True)
    # the committee's round on the determination (workflows.plans.committee): raised each time
    # the case goes to the committee, so a determination sent back and made again is a new vote
    committee_round = models.PositiveIntegerField(default=0, editable=False)
    investigators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="cases_investigating",
        verbose_name=_("investigators"),
    )
    findings = models.TextField(
        pgettext_lazy("investigation", "findings"), max_length=8000, blank=True
    )
    interview_notes = models.TextField(_("interview notes"), max_length=8000, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), max_length=1000, blank=True)
    committee_comment = models.TextField(_("committee comment"), max_length=1000, blank=True)
    outcome = models.TextField(_("outcome told to the reporter"), max_length=2000, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    satisfaction_comment = models.TextField(_("comment"), max_length=1000, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    idempotency_key = models.UUIDField(_("submission token"), unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True, db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["accepting_unit", "status"]),
            models.Index(fields=["responsible_unit", "status"]),
            models.Index(fields=["reporter", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.pk])

    def deadline_label(self, kind: str) -> str | None:
        """The complainant's time to rate the answer has no escalation rule to name it."""
        return str(_("Rating period")) if kind == RATING_KIND else None

    @property
    def access_unit(self):
        return self.accepting_unit

    @property
    def is_finished(self):
        return self.status in FINISHED

    # --- transitions: services lock the row, check access and call these ----------------------
    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.SUBMITTED, target=S.WITHDRAWN)
    def withdraw(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.SUBMITTED, target=S.ACCEPTED)
    def accept(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.SUBMITTED, target=S.REFUSED)
    def refuse(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[S.SUBMITTED, S.ACCEPTED], target=S.SUBMITTED)
    def transfer(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.ACCEPTED, target=S.CLASSIFIED)
    def classify(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.CLASSIFIED, target=S.INVESTIGATING)
    def start_investigation(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.INVESTIGATING, target=S.AWAITING_APPROVAL)
    def submit_for_approval(self, by=None, description=None):
        self.committee_round += 1

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.AWAITING_APPROVAL, target=S.INVESTIGATING)
    def send_back(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[S.INVESTIGATING, S.AWAITING_APPROVAL], target=S.DETERMINED)
    def determine(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[S.DETERMINED, S.RECTIFYING], target=S.RECTIFYING)
    def issue_notice(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.RECTIFYING, target=S.VERIFYING)
    def submit_rectification(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.VERIFYING, target=S.RECTIFYING)
    def return_for_rework(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.VERIFYING, target=S.RECTIFIED)
    def accept_rectification(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.VERIFYING, target=S.RECTIFYING)
    def accept_one_notice(self, by=None, description=None):
        """One notice accepted while others remain open."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[S.RECTIFIED, S.DETERMINED], target=S.FEEDBACK)
    def give_feedback(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=S.FEEDBACK, target=S.CLOSED)
    def close(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[S.CLOSED, S.REFUSED], target=S.ACCEPTED)
    def reopen(self, by=None, description=None):
        pass


# the sources someone filing an incident report chooses from (the form, the API)
FILED_SOURCES = [(v, label) for v, label in Case.Source.choices if v != Case.Source.DISCIPLINE]


class Notice(models.Model):
    """整改通知书 / 督办通知书 issued on a case to the responsible unit."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        RECEIVED = "received", _("Receipt confirmed")
        REPORTED = "reported", _("Rectification reported")
        RETURNED = "returned", _("Returned for re-work")
        ACCEPTED = "accepted", _("Rectification accepted")

    class Kind(models.TextChoices):
        RECTIFICATION = "rectification", _("Rectification notice")
        SUPERVISION = "supervision", _("Supervision notice")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="notices", verbose_name=_("case")
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.RECTIFICATION
    )
    number = models.CharField(_("notice number"), max_length=40, unique=True)
    issuer_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signed by"),
    )
    recipient_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="notices_received", verbose_name=_("to")
    )
    facts = models.TextField(_("facts"), max_length=4000)
    requirements = models.TextField(_("requirements"), max_length=4000)
    due_at = models.DateTimeField(_("rectify by"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ISSUED, db_index=True
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    received_at = models.DateTimeField(_("receipt confirmed at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("receipt confirmed by"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    escalated = models.BooleanField(_("escalated"), default=False)

    class Meta:
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")
        ordering = ["issued_at", "pk"]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.case_id]) + f"#notice-{self.pk}"

    def deadline_label(self, kind: str) -> str | None:
        """The rectification time limit named after the notice's kind: a 督办通知书's runs under
        the rule of 整改通知书 (engine.deadlines.deadline_rows)."""
        return self.get_kind_display() if kind == "notice.rectification" else None

    @property
    def access_unit(self):
        return self.case.accepting_unit

    @property
    def is_open(self):
        return self.status != self.Status.ACCEPTED

    @property
    def on_time(self):
        return self.accepted_at is not None and self.accepted_at <= self.due_at


class RectificationReport(models.Model):
    """One submission of the responsible unit on a notice, and the issuer's verdict on it."""

    class Verdict(models.TextChoices):
        PENDING = "pending", _("Waiting for verification")
        ACCEPTED = "accepted", pgettext_lazy("rectification verdict", "Accepted")
        RETURNED = "returned", _("Returned")

    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="reports", verbose_name=_("notice")
    )
    text = models.TextField(_("rectification report"), max_length=8000)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    verdict = models.CharField(
        _("verdict"), max_length=20, choices=Verdict.choices, default=Verdict.PENDING
    )
    verdict_reason = models.TextField(_("reasons"), max_length=2000, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rectification report")
        verbose_name_plural = _("rectification reports")
        ordering = ["submitted_at", "pk"]

    def __str__(self):
        return f"{self.notice} · {timezone.localtime(self.submitted_at):%Y-%m-%d}"

    @property
    def access_unit(self):
        return self.notice.case.accepting_unit


COMMITTEE_ROLES = (Role.COMMITTEE_CHAIR, Role.COMMITTEE_MEMBER)


class CaseProcess(Process):
    """The viewflow process (cases.flows.CaseFlow) that hands a case's steps out as tasks. A case
    has one running process at a time; a reopened case starts a new one, so the earlier rounds
    stay on record. The case's `status` stays the truth lists and filters read."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="processes", verbose_name=_("case")
    )

    class Meta:
        verbose_name = _("case process")
        verbose_name_plural = _("case processes")
