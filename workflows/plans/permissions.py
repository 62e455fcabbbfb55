"""The plans feature's capabilities and access helpers (decided through accounts.access)."""

from django.db.models import Q
from django.http import Http404

from accounts import access
from accounts.models import OrgUnit
from accounts.models import Role as R
from engine import holders

from .models import PlanKind


class PlanCap:
    VIEW = "plans.view"  # see plans, targets, standards and tasks of units in scope
    VIEW_PERSONAL = "plans.view_personal"  # see teachers' and students' self-development plans
    VIEW_STUDENT_PLANS = "plans.view_student_plans"  # see students' self-development plans only
    EDIT = "plans.edit"  # draft, edit and submit items owned by units in scope
    REVIEW = "plans.review"  # the owning level's review
    DECIDE = "plans.decide"  # committee vote
    CHAIR = "plans.chair"  # the chair's sign-off, when the decision rule asks for it
    ADMIN = "plans.admin"  # import, retire, administer the whole system
    TASK_WORK = "plans.task_work"  # upload evidence and complete tasks led by units in scope


CAPABILITIES = {
    R.COMMITTEE_CHAIR: {PlanCap.VIEW, PlanCap.DECIDE, PlanCap.CHAIR},
    R.COMMITTEE_MEMBER: {PlanCap.VIEW, PlanCap.DECIDE},
    R.QUALITY_OFFICER: {
        PlanCap.VIEW,
        PlanCap.VIEW_PERSONAL,
        PlanCap.EDIT,
        PlanCap.REVIEW,
        PlanCap.ADMIN,
        PlanCap.TASK_WORK,
    },
    R.SUPERVISOR: {PlanCap.VIEW},
    R.DEPARTMENT_LEADER: {
        PlanCap.VIEW,
        PlanCap.VIEW_PERSONAL,
        PlanCap.EDIT,
        PlanCap.REVIEW,
        PlanCap.TASK_WORK,
    },
    R.DEPARTMENT_MEMBER: {PlanCap.VIEW, PlanCap.EDIT, PlanCap.TASK_WORK},
    R.TEAM_LEADER: {PlanCap.VIEW, PlanCap.EDIT, PlanCap.TASK_WORK},
    R.TEAM_MEMBER: {PlanCap.VIEW, PlanCap.TASK_WORK},
    # Which personal plans each role sees is this table: the class adviser (班主任/辅导员) follows
    # the students' self-development plans of their major or department, not the teachers'.
    R.CLASS_ADVISER: {PlanCap.VIEW, PlanCap.VIEW_STUDENT_PLANS},
    R.TEACHER: {PlanCap.VIEW},
    R.STUDENT: {PlanCap.VIEW},
}

# College-level items (owned by the college, the committee or an office) are reviewed by their
# reviewing office's leader (a department leader's membership held in that office), or by the
# quality office when none is set; the quality office may always review them. Teaching units'
# items are reviewed by their department's leader (whose subtree never reaches an office).
COLLEGE_KINDS = (OrgUnit.Kind.COLLEGE, OrgUnit.Kind.COMMITTEE, OrgUnit.Kind.OFFICE)


def item_filter(user, model=None) -> Q:
    """Which plans/targets/standards the user sees: one Q over the owner unit, no per-row checks.

    A personal (self-development) plan is seen by its owner and by holders of VIEW_PERSONAL over
    the owner's unit (the department leader, the quality office), a student's also by holders of
    VIEW_STUDENT_PLANS there (the class adviser); other items by VIEW scope. `model` is the model
    filtered (plan kinds only exist on plans).
    """
    if not access.is_active_user(user):
        return Q(pk__in=[])
    shared = Q(owner_user__isnull=True) & access.unit_filter(user, PlanCap.VIEW, "owner_unit__")
    personal = Q(owner_user__isnull=False) & access.unit_filter(
        user, PlanCap.VIEW_PERSONAL, "owner_unit__"
    )
    if model is not None and model._meta.model_name == "plan":
        personal |= Q(owner_user__isnull=False, kind=PlanKind.STUDENT_SELF) & access.unit_filter(
            user, PlanCap.VIEW_STUDENT_PLANS, "owner_unit__"
        )
    # The reviewing office's leader sees the college-level items it reviews.
    reviewing = Q(owner_user__isnull=True) & access.unit_filter(
        user, PlanCap.REVIEW, "reviewing_unit__"
    )
    q = shared | personal | reviewing | Q(owner_user=user)
    if access.has_capability(user, PlanCap.DECIDE):
        # The committee sees everything that has reached it, personal plans included.
        q |= Q(state="reviewed") | Q(version__gt=0)
    if access.has_capability(user, PlanCap.VIEW):
        # The college's approved plans, targets and standards are the whole staff's reference,
        # and stay readable after they are superseded or retired.
        q |= Q(
            owner_user__isnull=True,
            state__in=["in_force", "superseded", "retired"],
            owner_unit__kind__in=COLLEGE_KINDS,
        )
    return q


def task_filter(user) -> Q:
    """Tasks the user sees: those of plans in scope, and those their units lead or assist."""
    if not access.is_active_user(user):
        return Q(pk__in=[])
    in_scope = access.unit_filter(user, PlanCap.VIEW, "plan__owner_unit__")
    # Leading and assisting are staff work: students and teachers of a unit do not see them.
    leads = access.unit_filter(user, PlanCap.TASK_WORK, "lead_unit__")
    from .models import Task

    unit_ids = access.visible_units(user, PlanCap.TASK_WORK).values("pk")
    assisted = Task.assisting_units.through.objects.filter(orgunit_id__in=unit_ids)
    held = Q(pk__in=holders.held_pks(user, Task))  # 转办 or 代理 (engine.holders)
    return in_scope | leads | Q(pk__in=assisted.values("task_id")) | Q(person=user) | held


def can_view(user, item) -> bool:
    model = type(item)
    return model.objects.filter(item_filter(user, model), pk=item.pk).exists()


def can_edit(user, item) -> bool:
    if getattr(item, "owner_user_id", None) and item.owner_user_id == getattr(user, "pk", None):
        return True
    return access.can(user, PlanCap.EDIT, item)


def can_review(user, item) -> bool:
    if item.owner_unit.kind in COLLEGE_KINDS:
        if PlanCap.ADMIN in access.capabilities(user):
            return True
        office = item.reviewing_unit
        return office is not None and access.can(user, PlanCap.REVIEW, office)
    return access.can(user, PlanCap.REVIEW, item)


def review_filter(user, prefix: str = "") -> Q:
    """The submitted items `user` reviews as the owning level, as one Q (for the inbox)."""
    caps = access.capabilities(user)
    if PlanCap.REVIEW not in caps:
        return Q(pk__in=[])
    college = Q(**{f"{prefix}owner_unit__kind__in": COLLEGE_KINDS})
    teaching = ~college & access.unit_filter(user, PlanCap.REVIEW, f"{prefix}owner_unit__")
    if PlanCap.ADMIN in caps:
        return teaching | college
    offices = access.unit_filter(user, PlanCap.REVIEW, f"{prefix}reviewing_unit__")
    return teaching | (college & Q(**{f"{prefix}reviewing_unit__isnull": False}) & offices)


def _office_leaders(office):
    from accounts.models import Membership

    return Membership.objects.filter(
        role=R.DEPARTMENT_LEADER, org_unit__path__in=[*office.ancestor_paths(), office.path]
    )


def review_stood_in_for(item):
    """The reviewing office of a college-level item when nobody leads it, so that the quality
    office reviews in its place (reviewer_users), else None."""
    office = item.reviewing_unit if item.owner_unit.kind in COLLEGE_KINDS else None
    if office is None or _office_leaders(office).exists():
        return None
    return office


def reviewer_users(item):
    """Who reviews `item` as the owning level: its reviewing office's leaders (or the quality
    office), or the leaders of its department."""
    from accounts.models import Membership, User

    if item.owner_unit.kind in COLLEGE_KINDS:
        office = item.reviewing_unit
        leaders = Membership.objects.none()
        if office is not None:
            leaders = _office_leaders(office)
        if office is None or not leaders.exists():
            leaders = Membership.objects.filter(role=R.QUALITY_OFFICER)
        return User.objects.filter(is_active=True, pk__in=leaders.values("user_id")).order_by("pk")
    department = item.owner_unit.department() or item.owner_unit
    leaders = Membership.objects.filter(role=R.DEPARTMENT_LEADER, org_unit=department)
    return User.objects.filter(is_active=True, pk__in=leaders.values("user_id")).order_by("pk")


def get_visible(user, model, pk):
    """The access helper for plans, targets and standards: 404 unless the user may see it."""
    item = model.objects.filter(item_filter(user, model)).select_related("owner_unit").filter(pk=pk)
    item = item.first()
    if item is None:
        raise Http404
    return item


def get_task(user, pk):
    from .models import Task

    page = Task.objects.select_related("plan", "lead_unit", "person", "plan__owner_unit")
    task = page.filter(task_filter(user), pk=pk).first()
    if task is None:
        # whoever a step was handed to (转办, 代理) lands on the task after doing it
        task = page.filter(pk=pk).first()
        if task is not None and not holders.took_part(task, user):
            task = None
    if task is None:
        raise Http404
    return task


def can_work_task(user, task) -> bool:
    named = bool(task.person_id) and task.person_id == getattr(user, "pk", None)
    usual = named or access.can(user, PlanCap.TASK_WORK, task)
    return holders.may_do(task, user, usual, "work")
