from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from treebeard.mp_tree import MP_Node

from .validators import validate_webhook_url


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    staff_no = models.CharField(
        _("staff or student number"), max_length=32, blank=True, db_index=True
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.username

    def get_full_name(self):
        return self.full_name or super().get_full_name() or self.username


class OrgUnit(MP_Node):
    class Kind(models.TextChoices):
        COLLEGE = "college", _("College")
        COMMITTEE = "committee", _("Quality assurance committee")
        OFFICE = "office", _("Functional office")
        DEPARTMENT = "department", _("Teaching department")
        MAJOR = "major", _("Major")
        COURSE = "course", _("Course")

    # Which kinds may sit directly under which: the tree mirrors the college's structure.
    ALLOWED_PARENTS = {
        Kind.COLLEGE: (),
        Kind.COMMITTEE: (Kind.COLLEGE,),
        Kind.OFFICE: (Kind.COLLEGE, Kind.OFFICE),
        Kind.DEPARTMENT: (Kind.COLLEGE,),
        Kind.MAJOR: (Kind.DEPARTMENT,),
        Kind.COURSE: (Kind.MAJOR, Kind.DEPARTMENT),
    }

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    webhook_url = models.URLField(
        _("chat webhook URL"), blank=True, max_length=500, validators=[validate_webhook_url]
    )
    webhook_secret = models.CharField(
        _("chat webhook signing secret"),
        max_length=200,
        blank=True,
        help_text=_(
            "DingTalk-style robots sign each request with this secret; leave empty if unused."
        ),
    )

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self):
        return self.name

    def clean(self):
        # a form placing the unit in the tree says where it will sit (`_pending_parent`, None
        # for a root) before treebeard writes it there
        if hasattr(self, "_pending_parent"):
            parent = self._pending_parent
        else:
            parent = OrgUnit.objects.get_parent(self) if self.pk else None
        allowed = self.ALLOWED_PARENTS.get(self.kind, ())
        if parent is None and allowed:
            raise ValidationError({"kind": _("A unit of this kind needs a parent unit.")})
        if parent is not None and parent.kind not in allowed:
            raise ValidationError(
                {
                    "kind": _("A %(kind)s cannot sit under a %(parent)s.")
                    % {"kind": self.get_kind_display(), "parent": parent.get_kind_display()}
                }
            )

    @property
    def is_teaching(self):
        return self.kind in (self.Kind.DEPARTMENT, self.Kind.MAJOR, self.Kind.COURSE)

    def department(self):
        """The teaching department this unit belongs to (itself for a department)."""
        if self.kind == self.Kind.DEPARTMENT:
            return self
        if self.kind in (self.Kind.MAJOR, self.Kind.COURSE):
            return OrgUnit.objects.filter(
                kind=self.Kind.DEPARTMENT, path__in=self.ancestor_paths()
            ).first()
        return None

    def ancestor_paths(self):
        return [self.path[:i] for i in range(self.steplen, len(self.path), self.steplen)]


class Role(models.TextChoices):
    COMMITTEE_CHAIR = "committee_chair", _("Committee chair")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    QUALITY_OFFICER = "quality_officer", _("Quality officer")
    DEPARTMENT_LEADER = "department_leader", _("Department leader")
    DEPARTMENT_MEMBER = "department_member", _("Department quality group member")
    TEAM_LEADER = "team_leader", _("Professional team leader")
    TEAM_MEMBER = "team_member", _("Professional team member")
    CLASS_ADVISER = "class_adviser", _("Class adviser")
    SUPERVISOR = "supervisor", _("Supervisor")
    DISCIPLINE_OFFICER = "discipline_officer", _("Discipline officer")
    TEACHER = "teacher", _("Teacher")
    STUDENT = "student", _("Student")
    EXTERNAL_EXPERT = "external_expert", _("External expert")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("org unit")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org_unit", "role"], name="membership_unique_role_in_unit"
            )
        ]
        indexes = [models.Index(fields=["org_unit", "role"])]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.org_unit}"


class GrantableRole(models.Model):
    """Which roles the holder of a role may grant, inside the units that role covers (a
    department leader in the department's subtree, a college-wide role anywhere)."""

    granter_role = models.CharField(_("granted by"), max_length=32, choices=Role.choices)
    role = models.CharField(_("role granted"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("grantable role")
        verbose_name_plural = _("grantable roles")
        ordering = ["granter_role", "role"]
        constraints = [
            models.UniqueConstraint(fields=["granter_role", "role"], name="grantable_role_unique")
        ]

    def __str__(self):
        return f"{self.get_granter_role_display()} → {self.get_role_display()}"


class OrgUnitUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)


class OrgUnitGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit trail is append-only")

    def delete(self):
        raise PermissionError("the audit trail is append-only")


class AuditEntry(models.Model):
    """One row per business operation, written in the transaction that made the change."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("object type")
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        when = timezone.localtime(self.created_at)
        return f"{when:%Y-%m-%d %H:%M} {self.action_display} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit trail is append-only")

    @property
    def action_display(self) -> str:
        from .audit_actions import action_label

        return action_label(self.action)


class LoginThrottle(models.Model):
    """Recent failed logins of one username from one client address (accounts/throttle.py).
    Keyed on both, so guessing from one place never shuts the account's owner out elsewhere."""

    username = models.CharField(_("username"), max_length=150)
    address = models.CharField(_("client address"), max_length=45, blank=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    wait_until = models.DateTimeField(_("next attempt allowed at"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")
        ordering = ["-last_failure_at"]
        constraints = [
            models.UniqueConstraint(fields=["username", "address"], name="login_throttle_unique")
        ]

    def __str__(self):
        return f"{self.username} @ {self.address or '?'}"


class ApiToken(models.Model):
    """A personal API token for scripts (SSO users have no local password). Only a hash of the
    key is kept; the key is shown once, when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(_("key starts with"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
