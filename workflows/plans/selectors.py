"""Reads: the chain tree, gaps, inbox counts, version diffs. Query counts do not grow with size."""

from collections import defaultdict
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.models import OrgUnit
from engine import prepared

from .models import (
    ChangeRequest,
    ChangeState,
    ItemState,
    ItemVersion,
    Plan,
    Standard,
    Target,
    Task,
    TaskState,
)
from .permissions import PlanCap, item_filter, review_filter, task_filter

MODELS = {"plan": Plan, "target": Target, "standard": Standard}


def visible(user, model):
    return model.objects.filter(item_filter(user, model))


def visible_tasks(user):
    return Task.objects.filter(task_filter(user))


class PlanRow(NamedTuple):
    """A plan's columns in the chain tree."""

    pk: int
    parent_id: int | None
    title: str
    tier: int
    state: str
    start_year: int
    end_year: int
    unit_name: str
    owner_full_name: str | None
    owner_username: str | None

    @property
    def period_label(self) -> str:
        return Plan.period_label.fget(self)

    @property
    def owner_name(self) -> str | None:
        """As the owner's str(): the full name, else the user name (no owner: None)."""
        return self.owner_full_name or self.owner_username


def chain_tree(user) -> list[dict]:
    """Every visible plan with its child plans, targets, standards and tasks, as nested dicts.

    A fixed number of queries whatever the size: each kind is fetched once and joined in memory.
    Every kind comes as the columns the tree shows (`PlanRow`s, tuples; rendered by
    `tree.render_tree`): at 5,000 tasks building model instances cost more than reading the rows.
    """
    plans = [
        PlanRow(*row)
        for row in visible(user, Plan).values_list(
            "pk",
            "parent_id",
            "title",
            "tier",
            "state",
            "start_year",
            "end_year",
            "owner_unit__name",
            "owner_user__full_name",
            "owner_user__username",
        )
    ]
    targets = list(visible(user, Target).values_list("pk", "plan_id", "title", "category"))
    # each visible standard under each target read above, with its title: one query, by the
    # targets' ids (filtering on the targets' rule again would build and run it twice)
    target_ids = [row[0] for row in targets]
    links = Standard.targets.through.objects.filter(
        prepared.any_of("target_id", target_ids),
        standard__in=visible(user, Standard).values("pk"),
    ).values_list("target_id", "standard_id", "standard__title")
    tasks = (
        visible_tasks(user)
        .order_by("plan_id", "position", "pk")
        .values_list(
            "pk",
            "plan_id",
            "title",
            "lead_unit__name",
            "lead_unit_name",
            "person__full_name",
            "person__username",
            "deadline",
        )
    )

    standards_of = defaultdict(list)
    for target_id, standard_id, title in links:
        standards_of[target_id].append((standard_id, title))
    targets_of = defaultdict(list)
    for pk, plan_id, title, category in targets:
        targets_of[plan_id].append((pk, title, category, standards_of[pk]))
    tasks_of = defaultdict(list)
    for row in tasks:
        tasks_of[row[1]].append(row)
    children_of = defaultdict(list)
    plan_ids = {p.pk for p in plans}
    roots = []
    for p in plans:
        if p.parent_id in plan_ids:
            children_of[p.parent_id].append(p)
        else:
            roots.append(p)

    def node(plan, depth):
        return {
            "plan": plan,
            "depth": depth,
            "targets": targets_of[plan.pk],
            "tasks": tasks_of[plan.pk],
            "children": [node(c, depth + 1) for c in children_of[plan.pk]],
        }

    return [node(p, 0) for p in roots]


def flatten(tree: list[dict]) -> list[dict]:
    out = []
    stack = list(reversed(tree))
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n["children"]))
    return out


def task_chain_up(task: Task) -> dict:
    """From a task up to its plan, the plan's ancestors, and the targets the plan carries."""
    ancestors = []
    plan = task.plan
    seen = set()
    while plan is not None and plan.pk not in seen:
        seen.add(plan.pk)
        ancestors.append(plan)
        plan = plan.parent
    targets = Target.objects.filter(plan__in=ancestors).exclude(
        state__in=[ItemState.RETIRED, ItemState.SUPERSEDED]
    )
    return {"plans": ancestors, "targets": list(targets)}


def gaps(user) -> dict:
    """Broken links in the chains: targets without standards, standards without targets,
    tasks without a lead unit."""
    live = ~Q(state__in=[ItemState.RETIRED, ItemState.SUPERSEDED])
    return {
        "targets_without_standard": list(
            visible(user, Target)
            .filter(live)
            .annotate(n=Count("standards", filter=~Q(standards__state=ItemState.RETIRED)))
            .filter(n=0)
            .select_related("plan", "owner_unit")
        ),
        "standards_without_target": list(
            visible(user, Standard).filter(live, targets__isnull=True).select_related("owner_unit")
        ),
        "tasks_without_lead": list(
            visible_tasks(user)
            .filter(lead_unit__isnull=True)
            .exclude(state=TaskState.RETIRED)
            .select_related("plan")
        ),
    }


def _with_task_urls(items):
    """Give each item the address of its open flow step (one query for the whole list)."""
    from . import flows
    from .models import ApprovalProcess

    urls = flows.open_task_urls(items)
    for item in items:
        key = (ApprovalProcess.field_for(item), item.pk)
        item.task_url = urls.get(key) or item.get_absolute_url()
    return items


def awaiting_review(user):
    """Submitted items this user reviews as the owning level, as their to-do list has them: not
    those whose review step is named to someone else (the reviewer the flow assigned), which the
    user may still review from the item's page."""
    from . import flows
    from .models import ApprovalProcess

    if PlanCap.REVIEW not in access.capabilities(user):
        return []
    items = []
    for model in MODELS.values():
        items.extend(
            model.objects.filter(review_filter(user), state=ItemState.SUBMITTED).select_related(
                "owner_unit"
            )
        )
    owners = flows.review_task_owners(items)
    mine = (None, user.pk)
    items = [i for i in items if owners.get((ApprovalProcess.field_for(i), i.pk)) in mine]
    return _with_task_urls(items)


def awaiting_committee(user):
    if not access.can(user, PlanCap.DECIDE):
        return [], []
    items = []
    for model in MODELS.values():
        items.extend(model.objects.filter(state=ItemState.REVIEWED).select_related("owner_unit"))
    changes = list(ChangeRequest.objects.filter(state=ChangeState.SUBMITTED))
    return _with_task_urls(items), _with_task_urls(changes)


def my_open_tasks(user):
    """Open tasks the user's own units lead, and those named to them."""
    led = access.home_filter(user, PlanCap.TASK_WORK, "lead_unit__")
    return Task.objects.filter(led | Q(person=user), state=TaskState.OPEN)


def my_assisting_tasks(user):
    """Open tasks the user's own units help with (协助部门): visible, not theirs to close."""
    units = OrgUnit.objects.filter(access.home_filter(user, PlanCap.TASK_WORK)).values("pk")
    assisted = Task.assisting_units.through.objects.filter(orgunit_id__in=units)
    return Task.objects.filter(pk__in=assisted.values("task_id"), state=TaskState.OPEN).exclude(
        pk__in=my_open_tasks(user).values("pk")
    )


def versions_of(item):
    return ItemVersion.objects.filter(
        content_type=ContentType.objects.get_for_model(item), object_id=item.pk
    ).order_by("number")


def changes_of(item):
    return ChangeRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(item), object_id=item.pk
    ).select_related("requested_by")


EXTRA_LABELS = {
    "values": _("target value per year"),
    "targets": _("targets it serves"),
    "successor": _("successor"),
    "tasks_created": _("new tasks"),
    "tasks_updated": _("changed tasks"),
    "tasks_retired": _("retired tasks"),
}


def effect_rows(effect: list[dict]) -> list[dict]:
    """A change request's dependent items with their kind named (plan → 规划)."""
    names = {m._meta.model_name: m._meta.verbose_name for m in (Plan, Target, Standard, Task)}
    return [{**e, "kind": str(names.get(e.get("kind"), e.get("kind")))} for e in effect]


def field_label(item, key: str) -> str:
    """The readable name of a content key (a model field, or a target's values / links)."""
    if key in EXTRA_LABELS:
        return str(EXTRA_LABELS[key])
    try:
        return str(item._meta.get_field(key).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return key


def version_diff(item, a: int, b: int) -> list[dict]:
    """Side-by-side rows of two versions' content as people read it (labels, names), marking
    the fields that differ. Each version shows the names it was approved with."""
    from .services import content_display

    versions = {v.number: v for v in versions_of(item).filter(number__in=[a, b])}

    def shown(number):
        version = versions.get(number)
        if version is None:
            return {}, {}
        return version.data, version.display or content_display(type(item), version.data)

    (left_raw, left), (right_raw, right) = shown(a), shown(b)
    rows = []
    for key in list(dict.fromkeys([*left_raw.keys(), *right_raw.keys()])):
        rows.append(
            {
                "field": field_label(item, key),
                "left": left.get(key, ""),
                "right": right.get(key, ""),
                "changed": left_raw.get(key) != right_raw.get(key),
            }
        )
    return rows
