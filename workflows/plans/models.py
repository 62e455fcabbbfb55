"""Plans (规划), targets (目标), standards (标准) and the task-decomposition table (年度任务分解表).

Plans, targets and standards share one lifecycle: draft → submitted → reviewed by the owning
level → approved by the committee (in force) → retired / superseded. Once in force an item only
changes through a ChangeRequest; every approved content is kept as an ItemVersion.
"""

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description
from viewflow.workflow.models import Process

from accounts.models import OrgUnit, Role
from workflows.levels import Level


class ItemState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed, awaiting committee")
    RETURNED = "returned", _("Returned with comments")
    IN_FORCE = "in_force", _("In force")
    SUPERSEDED = "superseded", _("Superseded")
    RETIRED = "retired", _("Retired")


EDITABLE_STATES = (ItemState.DRAFT, ItemState.RETURNED)
S = ItemState


class ChainItem(ConcurrentTransitionMixin, models.Model):
    """What plans, targets and standards have in common: owner, lifecycle, version."""

    title = models.CharField(_("title"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner unit")
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner (personal plan)"),
    )
    lead_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lead person"),
    )
    reviewing_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrgUnit.Kind.OFFICE},
        verbose_name=_("reviewing office"),
        help_text=_(
            "The office whose leader reviews a college-level item; "
            "the quality office when none is set."
        ),
    )
    state = FSMField(_("status"), default=S.DRAFT, choices=S.choices, protected=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    committee_round = models.PositiveIntegerField(default=0, editable=False)
    return_comment = models.TextField(_("comments"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The fields whose values make up a version (snapshots, change requests, diffs).
    CONTENT_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("plans:item_detail", args=[self._meta.model_name, self.pk])

    @property
    def access_unit(self):
        return self.owner_unit

    @property
    def is_editable(self):
        return self.state in EDITABLE_STATES

    @fsm_log_by
    @transition(field=state, source=[S.DRAFT, S.RETURNED], target=S.SUBMITTED)
    def submit(self, by=None):
        self.return_comment = ""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=S.SUBMITTED, target=S.REVIEWED)
    def review(self, by=None, description=None):
        self.committee_round += 1

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=[S.SUBMITTED, S.REVIEWED], target=S.RETURNED)
    def send_back(self, by=None, description=None):
        self.return_comment = description or ""

    @fsm_log_by
    @transition(field=state, source=S.REVIEWED, target=S.IN_FORCE)
    def approve(self, by=None):
        self.version = 1

    @fsm_log_by
    @transition(field=state, source=S.IN_FORCE, target=S.RETIRED)
    def retire(self, by=None):
        pass

    @fsm_log_by
    @transition(field=state, source=S.IN_FORCE, target=S.SUPERSEDED)
    def supersede(self, by=None):
        pass


class PlanKind(models.TextChoices):
    GENERAL = "general", _("General plan (总规划)")
    SPECIAL = "special", _("Special plan (专项规划)")
    DEPARTMENT = "department", _("Department plan (系部规划)")
    ANNUAL = "annual", _("Annual work plan (年度工作计划)")
    MAJOR_SCHEME = "major_scheme", _("Major construction scheme (专业建设方案)")
    COURSE_SCHEME = "course_scheme", _("Course construction scheme (课程建设方案)")
    TEACHER_SELF = "teacher_self", _("Teacher self-development plan (教师自我发展规划)")
    STUDENT_SELF = "student_self", _("Student self-development plan (学生自我发展规划)")


# Seed 001 表3: which tier each kind of plan sits in. Annual plans sit under any plan.
KIND_TIER = {
    PlanKind.GENERAL: 1,
    PlanKind.SPECIAL: 2,
    PlanKind.DEPARTMENT: 2,
    PlanKind.MAJOR_SCHEME: 3,
    PlanKind.COURSE_SCHEME: 3,
    PlanKind.TEACHER_SELF: 3,
    PlanKind.STUDENT_SELF: 3,
}
PERSONAL_KINDS = (PlanKind.TEACHER_SELF, PlanKind.STUDENT_SELF)
# a self-development plan is its owner's as a teacher or a student: the role it needs in its unit
# and the level it sits at
PERSONAL_PLAN_OWNER = {
    PlanKind.TEACHER_SELF: (Role.TEACHER, Level.TEACHER),
    PlanKind.STUDENT_SELF: (Role.STUDENT, Level.STUDENT),
}


class Plan(ChainItem):
    kind = models.CharField(_("kind"), max_length=20, choices=PlanKind.choices)
    tier = models.PositiveSmallIntegerField(_("tier"), default=1)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent plan"),
    )
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        verbose_name=_("replaces plan"),
        help_text=_("The plan in force that this one supersedes once approved."),
    )
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    summary = models.TextField(_("summary"), blank=True)

    CONTENT_FIELDS = (
        "title",
        "kind",
        "parent",
        "replaces",
        "start_year",
        "end_year",
        "summary",
        "lead_person",
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["tier", "start_year", "title", "pk"]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["owner_unit", "state"])]

    @property
    def period_label(self):
        return f"{self.start_year}–{self.end_year}"

    @property
    def period_start(self):
        return datetime.date(self.start_year, 1, 1)

    @property
    def period_end(self):
        return datetime.date(self.end_year, 12, 31)

    @property
    def years(self):
        return list(range(self.start_year, self.end_year + 1))


class TargetCategory(models.TextChoices):
    """Seed 001 表4: the target types of each level."""

    SCHOOL_SCALE = "school_scale", _("Scale (规模目标)")
    SCHOOL_STANDING = "school_standing", _("Standing (水平目标)")
    SCHOOL_TIER = "school_tier", _("Tier (层次目标)")
    MAJOR_STRUCTURE = "major_structure", _("Structure (结构目标)")
    MAJOR_OPERATION = "major_operation", _("Operation (运行目标)")
    MAJOR_STANDING = "major_standing", _("Standing (水平目标)")
    COURSE_SETTING = "course_setting", _("Setting (设置目标)")
    COURSE_ELEMENTS = "course_elements", _("Elements (要素目标)")
    COURSE_STANDING = "course_standing", _("Standing (水平目标)")
    TEACHER_QUANTITY = "teacher_quantity", _("Quantity (数量目标)")
    TEACHER_STRUCTURE = "teacher_structure", _("Structure (结构目标)")
    TEACHER_STANDING = "teacher_standing", _("Standing (水平目标)")
    STUDENT_ACADEMIC = "student_academic", _("Academic development (学业发展)")
    STUDENT_PERSONAL = "student_personal", _("Personal development (个人发展)")
    STUDENT_CAREER = "student_career", _("Career development (职业发展)")

    @classmethod
    def level_of(cls, value: str) -> str:
        return value.split("_", 1)[0]


class Target(ChainItem):
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="targets", verbose_name=_("plan it serves")
    )
    category = models.CharField(_("target type"), max_length=24, choices=TargetCategory.choices)
    description = models.TextField(pgettext_lazy("target", "description"), blank=True)
    indicator = models.CharField(_("indicator"), max_length=120, blank=True)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=20, blank=True)
    baseline = models.DecimalField(
        _("baseline"), max_digits=14, decimal_places=4, null=True, blank=True
    )

    CONTENT_FIELDS = (
        "title",
        "category",
        "description",
        "indicator",
        "unit_of_measure",
        "baseline",
        "lead_person",
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["level", "category", "title", "pk"]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["owner_unit", "state"])]

    @property
    def is_measurable(self):
        return bool(self.indicator)


class TargetValue(models.Model):
    """The value a measurable target aims at in one year of its plan's period."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("target value"), max_digits=14, decimal_places=4)

    class Meta:
        verbose_name = _("target value")
        verbose_name_plural = _("target values")
        ordering = ["target", "year"]
        constraints = [
            models.UniqueConstraint(fields=["target", "year"], name="targetvalue_unique_year")
        ]

    def __str__(self):
        return f"{self.target} {self.year}: {self.value}"


class Standard(ChainItem):
    text = models.TextField(_("text"), blank=True)
    reference = models.CharField(_("reference standard (参照标准)"), max_length=200, blank=True)
    targets = models.ManyToManyField(
        Target, related_name="standards", blank=True, verbose_name=_("targets it serves")
    )

    CONTENT_FIELDS = ("title", "text", "reference", "lead_person")

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["level", "title", "pk"]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["owner_unit", "state"])]


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    RETIRED = "retired", _("Retired")


class Task(ConcurrentTransitionMixin, models.Model):
    """One row of the task-decomposition table (附件1)."""

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("plan")
    )
    position = models.PositiveIntegerField(_("row"), default=0)
    category = models.CharField(_("category (类别)"), max_length=60)
    title = models.CharField(_("task (建设任务)"), max_length=500)
    deliverable = models.TextField(_("deliverable (成果形式)"))
    lead_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lead unit (牵头部门)"),
    )
    lead_unit_name = models.CharField(_("lead unit as written"), max_length=200, blank=True)
    assisting_units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="+", verbose_name=_("assisting units (协助部门)")
    )
    assisting_text = models.CharField(_("assisting units as written"), max_length=300, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("person responsible"),
    )
    remarks = models.CharField(_("remarks (备注)"), max_length=300, blank=True)
    state = FSMField(_("status"), default=TaskState.OPEN, choices=TaskState.choices, protected=True)
    import_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["plan", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "import_key"], name="task_unique_key_in_plan")
        ]
        indexes = [models.Index(fields=["lead_unit", "state"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("plans:task_detail", args=[self.pk])

    @property
    def access_unit(self):
        return self.lead_unit or self.plan.owner_unit

    @property
    def is_overdue(self):
        return (
            self.state == TaskState.OPEN
            and self.deadline is not None
            and self.deadline < timezone.localdate()
        )

    @fsm_log_by
    @transition(field=state, source=TaskState.OPEN, target=TaskState.DONE)
    def complete(self, by=None):
        pass

    @fsm_log_by
    @transition(field=state, source=[TaskState.OPEN, TaskState.DONE], target=TaskState.RETIRED)
    def retire(self, by=None):
        pass


class ItemVersion(models.Model):
    """The content of a plan, target or standard as approved; never changed afterwards."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    number = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("content"))
    # The same content as people read it (choice labels, names of linked items), taken when the
    # version was approved, so a later rename never rewrites what a version said.
    display = models.JSONField(_("content as shown"), default=dict, blank=True)
    change_request = models.ForeignKey(
        "ChangeRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["content_type", "object_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "number"], name="itemversion_unique_number"
            )
        ]

    def __str__(self):
        return f"v{self.number}"


class ChangeState(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting committee")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ChangeKind(models.TextChoices):
    EDIT = "edit", _("Change of content")
    RETIRE = "retire", _("Retirement")
    SUPERSEDE = "supersede", _("Replacement by a successor")
    TASKS = "tasks", _("Change of the task list")


class ChangeRequest(ConcurrentTransitionMixin, models.Model):
    """变更申请: a change to an item in force (new content, retirement, replacement by a
    successor, or a new task list), decided by the committee; the item stays as it is until then.

    `before` and `after` are the request's own record of what changes ({key: {"label", "raw",
    "display"}}), taken when it is made: the page shows them, never the live item, so what
    changed stays readable after the decision.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(
        _("kind of change"), max_length=12, choices=ChangeKind.choices, default=ChangeKind.EDIT
    )
    summary = models.CharField(_("what changes"), max_length=300)
    reason = models.TextField(_("why"))
    proposed = models.JSONField(_("proposed content"))
    before = models.JSONField(_("before the change"), default=dict, blank=True)
    after = models.JSONField(_("after the change"), default=dict, blank=True)
    effect = models.JSONField(_("effect on dependent items"), default=list)
    base_version = models.PositiveIntegerField()
    state = FSMField(
        _("status"), default=ChangeState.SUBMITTED, choices=ChangeState.choices, protected=True
    )
    decision_comment = models.TextField(_("committee comments"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "state"])]

    def __str__(self):
        return self.summary

    def get_absolute_url(self):
        return reverse("plans:change_detail", args=[self.pk])

    @property
    def access_unit(self):
        return self.item.owner_unit

    @fsm_log_by
    @transition(field=state, source=ChangeState.SUBMITTED, target=ChangeState.APPROVED)
    def approve(self, by=None):
        self.decided_at = timezone.now()

    @fsm_log_by
    @transition(field=state, source=ChangeState.SUBMITTED, target=ChangeState.REJECTED)
    def reject(self, by=None):
        self.decided_at = timezone.now()


class CommitteeVote(models.Model):
    """One member's vote on one committee round (an item's approval or a change request). A
    member votes once per round; changing the vote before the decision updates this row and
    appends the earlier vote to `history` (and to the audit trail)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    round = models.PositiveIntegerField(default=1)
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approve = models.BooleanField(_("approve"))
    as_chair = models.BooleanField(_("chair's vote"), default=False)
    comment = models.TextField(_("comments"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), null=True, blank=True)
    history = models.JSONField(_("earlier votes"), default=list, blank=True)

    class Meta:
        verbose_name = _("committee vote")
        verbose_name_plural = _("committee votes")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "round", "voter"],
                name="committeevote_one_per_member",
            )
        ]

    def __str__(self):
        return f"{self.voter} {'+' if self.approve else '-'} #{self.object_id}/{self.round}"


class CommitteeDecision(models.Model):
    """One committee round, opened when the vote opens and decided once: who may vote (the
    committee's members at opening, less anyone a separation-of-duties rule keeps out), how
    many approving votes decide, and the outcome (None while the vote is open). The unique key
    makes a second decision impossible."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    round = models.PositiveIntegerField(default=1)
    approved = models.BooleanField(_("approved"), null=True, blank=True)
    comment = models.TextField(_("comments"), blank=True)
    opened_at = models.DateTimeField(_("vote opened at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    electorate = models.JSONField(_("members entitled to vote (ids)"), default=list)
    electorate_size = models.PositiveSmallIntegerField(_("members entitled to vote"), default=0)
    threshold = models.PositiveSmallIntegerField(_("approving votes needed"), default=1)
    require_chair = models.BooleanField(_("chair must sign off"), default=False)
    excluded = models.JSONField(_("members kept out of the vote"), default=list, blank=True)

    class Meta:
        verbose_name = _("committee decision")
        verbose_name_plural = _("committee decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "round"],
                name="committeedecision_one_per_round",
            )
        ]

    def __str__(self):
        if self.approved is None:
            return f"#{self.object_id}/{self.round}: open"
        return f"#{self.object_id}/{self.round}: {'approved' if self.approved else 'returned'}"

    @property
    def is_open(self):
        return self.approved is None


class CommitteeRule(models.Model):
    """How the committee decides (data, editable in admin): the newest row applies. The
    college's default (not a seed's: the seeds are silent) is a majority of the committee's
    members at the time the vote opens, without a chair's sign-off."""

    class Mode(models.TextChoices):
        MAJORITY = "majority", _("A majority of the members")
        FIXED = "fixed", _("A fixed number of votes")

    mode = models.CharField(
        pgettext_lazy("decision rule", "decided by"),
        max_length=10,
        choices=Mode.choices,
        default=Mode.MAJORITY,
        help_text=_(
            "Majority: more than half of the members entitled to vote when the vote opens must "
            "approve; a tie does not approve. This is the college's default, editable here."
        ),
    )
    quorum = models.PositiveSmallIntegerField(
        _("votes needed"),
        default=1,
        help_text=_("Only with a fixed number: concurring votes that decide a round."),
    )
    require_chair = models.BooleanField(
        _("chair must sign off"),
        default=False,
        help_text=_("When set, an approval also needs the chair's approving vote."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("committee decision rule")
        verbose_name_plural = _("committee decision rules")

    def __str__(self):
        return f"{self.mode} quorum={self.quorum} chair={self.require_chair}"

    @classmethod
    def current(cls):
        return cls.objects.order_by("-pk").first() or cls()

    def threshold_for(self, size: int) -> int:
        if self.mode == self.Mode.FIXED:
            return self.quorum
        return size // 2 + 1


class UnitAlias(models.Model):
    """A name a decomposition table uses for a unit (or a group of units), mapped once by a person.

    Imports meet names the org tree does not hold (党委组织部 for the organisation office, 二级单位
    for every department); the mapping chosen on an import preview is kept for the next import."""

    class Group(models.TextChoices):
        OFFICES = "offices", _("every functional office")
        DEPARTMENTS = "departments", _("every teaching department")

    name = models.CharField(_("name as written"), max_length=100, unique=True)
    unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    group = models.CharField(_("group of units"), max_length=20, choices=Group, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("unit name alias")
        verbose_name_plural = _("unit name aliases")
        constraints = [
            models.CheckConstraint(
                name="plans_unitalias_unit_xor_group",
                condition=(models.Q(unit__isnull=False) & models.Q(group=""))
                | (models.Q(unit__isnull=True) & ~models.Q(group="")),
            )
        ]

    def __str__(self):
        return self.name


class PendingImport(models.Model):
    """A parsed decomposition table waiting for its owner's confirmation."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=200)
    rows = models.JSONField()
    bad_rows = models.JSONField(default=list)
    unmatched = models.JSONField(default=list)
    # Tasks of the plan that this file no longer lists: kept unless the user ticks to retire them.
    missing = models.JSONField(default=list)
    # Names of people the file gives that match nobody, as mapped on the preview (name → user id,
    # or None for no responsible person).
    person_map = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self):
        return self.file_name


class ExportJob(models.Model):
    """A background export with its progress, for tables too large to build within a request."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=20)
    fmt = models.CharField(max_length=5)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="plans/exports/%Y/%m/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")

    def __str__(self):
        return f"{self.what}.{self.fmt} ({self.state})"

    @property
    def percent(self):
        if self.state == self.State.DONE:
            return 100
        return int(100 * self.done_rows / self.total_rows) if self.total_rows else 0


class ApprovalProcess(Process):
    """The viewflow process of one approval round: an item's submission, or a change request.

    Exactly one of the four subjects is set. An item returned with comments ends its process;
    submitting it again starts a new one, so the processes of an item are its rounds.
    """

    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.CASCADE, related_name="approval_processes"
    )
    target = models.ForeignKey(
        Target, null=True, blank=True, on_delete=models.CASCADE, related_name="approval_processes"
    )
    standard = models.ForeignKey(
        Standard,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="approval_processes",
    )
    change_request = models.ForeignKey(
        ChangeRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="approval_processes",
    )

    SUBJECT_FIELDS = ("plan", "target", "standard", "change_request")

    class Meta:
        verbose_name = _("approval process")
        verbose_name_plural = _("approval processes")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(plan__isnull=False, target=None, standard=None, change_request=None)
                    | models.Q(plan=None, target__isnull=False, standard=None, change_request=None)
                    | models.Q(plan=None, target=None, standard__isnull=False, change_request=None)
                    | models.Q(plan=None, target=None, standard=None, change_request__isnull=False)
                ),
                name="approvalprocess_one_subject",
            )
        ]

    @property
    def subject(self):
        for name in self.SUBJECT_FIELDS:
            if getattr(self, f"{name}_id") is not None:
                return getattr(self, name)
        return None

    @classmethod
    def field_for(cls, subject) -> str:
        return {
            Plan: "plan",
            Target: "target",
            Standard: "standard",
            ChangeRequest: "change_request",
        }[type(subject)]
