"""The approval flows (viewflow): an item's review and committee steps, and a change request's
committee step.

The services stay the one place where a plan, target, standard or change request changes state.
A flow records who must act next and what was done: `start_for` is called by the service that
submits, `complete_step` by the service that reviews or decides, inside the service's
transaction. The flow's own task views (`ServiceStep`) end in the same service calls, so a step
done on any path — our pages, the API, the task view — completes the matching task exactly once.

Lock order: a service locks the subject row first and the process row second (both in
`complete_step` and in the task views, which call the services), so two people acting at once
queue on the subject and the loser finds the step done.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from accounts import access
from accounts.models import OrgUnit, Role
from engine import holders, steps

from .models import ApprovalProcess, ChangeRequest, ChangeState, ItemState
from .permissions import PlanCap, can_review, review_stood_in_for, reviewer_users

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
SUBJECTS = ("plan", "target", "standard", "change_request")
REVIEW = "review"
COMMITTEE = "committee"
ITEMS = ("plan", "target", "standard")
# what the inbox reads with a process (engine.selectors.task_rows) and filters its unit by
INBOX_RELATED = (*(f"{name}__owner_unit" for name in ITEMS), "change_request")
UNIT_LOOKUPS = tuple(f"process__approvalprocess__{name}__owner_unit" for name in ITEMS)


class ServiceStep(flow.View):
    """A human step whose work is a service call (review, committee vote).

    Who may act is decided by the access layer, not by Django permissions held on the task: the
    task's `owner_permission` names the capability for the record, and the task is given to a
    person up front when exactly one person holds it (the office's or department's leader).
    """

    def __init__(self, view, *, step, capability, **kwargs):
        super().__init__(view, **kwargs)
        self.step = step
        self.Permission(capability)

    def can_execute(self, user, task):
        return may_act(user, task)

    def can_assign(self, user, task):
        return task.owner_id is None and may_act(user, task)


def subject_of(process):
    process = process if isinstance(process, ApprovalProcess) else process.coerced
    return process.subject


def _state(activation) -> str:
    """The subject's state as committed in this transaction (never a cached instance)."""
    subject = subject_of(activation.process)
    return type(subject).objects.values_list("state", flat=True).get(pk=subject.pk)


def _single_reviewer(activation):
    users = list(reviewer_users(subject_of(activation.process))[:2])
    return users[0] if len(users) == 1 else None


class ItemApprovalFlow(flow.Flow):
    process_class = ApprovalProcess
    process_title = _("Plan, target or standard approval")
    # what the home page's task list says a task is about (engine.selectors.task_rows)
    process_summary_template = "{{ process.subject }}"
    summary_related = INBOX_RELATED
    inbox_unit_lookups = UNIT_LOOKUPS
    process_description = _("Review by the owning level, then the committee's decision.")
    lock_impl = lock.select_for_update_lock

    def inbox_object(self, process):
        return process.subject

    def inbox_unit(self, subject, task):
        # a change request's item is a generic relation: its unit would cost a query per row
        return getattr(subject, "owner_unit", None)

    start = flow.StartHandle(this.start_process).Next(this.route)
    # A process started for an item already reviewed (see the plans_start_flows command) goes
    # straight to the committee.
    route = (
        flow.Switch()
        .Case(this.review, lambda a: _state(a) == ItemState.SUBMITTED)
        .Default(this.committee)
    )
    review = (
        ServiceStep(this.review_view, step=REVIEW, capability=PlanCap.REVIEW)
        .Annotation(title=_("Review by the owning level"))
        .Assign(_single_reviewer)
        .Next(this.after_review)
    )
    after_review = (
        flow.If(lambda a: _state(a) == ItemState.REVIEWED).Then(this.committee).Else(this.returned)
    )
    committee = (
        ServiceStep(this.vote_view, step=COMMITTEE, capability=PlanCap.DECIDE)
        .Annotation(title=_("Committee decision"))
        .Next(this.after_committee)
    )
    after_committee = (
        flow.If(lambda a: _state(a) == ItemState.IN_FORCE).Then(this.in_force).Else(this.returned)
    )
    in_force = flow.End().Annotation(title=_("In force"))
    returned = flow.End().Annotation(title=_("Returned with comments"))

    def start_process(self, activation, subject):
        setattr(activation.process, ApprovalProcess.field_for(subject), subject)
        activation.process.save()
        return activation.process

    def task_url(self, task) -> str:
        return task_url(task)

    # what engine.selectors.progress asks (the item page's progress line)
    def progress_processes(self, subject):
        return processes_of(subject)

    def waiting_for(self, task, subject) -> str:
        if task.flow_task.step == REVIEW:
            if review_stood_in_for(subject) is not None:
                return str(steps.office_seat(Role.QUALITY_OFFICER))
            unit = subject.reviewing_unit or subject.owner_unit.department() or subject.owner_unit
            return str(unit)
        return str(OrgUnit.Kind.COMMITTEE.label)

    def stand_in(self, task, subject) -> str:
        office = review_stood_in_for(subject) if task.flow_task.step == REVIEW else None
        if office is None:
            return ""
        return holders.stand_in_note(office, steps.office_seat(Role.QUALITY_OFFICER).unit)

    def steps_after(self, names, subject) -> list:
        return [self.committee.task_title] if REVIEW in names else []

    def review_view(self, request, **kwargs):
        from . import views

        return views.flow_review(request, **kwargs)

    def vote_view(self, request, **kwargs):
        from . import views

        return views.flow_vote(request, **kwargs)


class ChangeRequestFlow(flow.Flow):
    process_class = ApprovalProcess
    process_title = _("Change request")
    process_summary_template = "{{ process.subject }}"
    summary_related = INBOX_RELATED
    inbox_unit_lookups = UNIT_LOOKUPS
    process_description = _("The committee approves (a new version comes into force) or rejects.")
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.committee)
    committee = (
        ServiceStep(this.vote_view, step=COMMITTEE, capability=PlanCap.DECIDE)
        .Annotation(title=_("Committee decision"))
        .Next(this.after_committee)
    )
    after_committee = (
        flow.If(lambda a: _state(a) == ChangeState.APPROVED).Then(this.approved).Else(this.rejected)
    )
    approved = flow.End().Annotation(title=_("Approved: new version in force"))
    rejected = flow.End().Annotation(title=_("Rejected: version in force unchanged"))

    start_process = ItemApprovalFlow.start_process
    inbox_object = ItemApprovalFlow.inbox_object
    inbox_unit = ItemApprovalFlow.inbox_unit
    progress_processes = ItemApprovalFlow.progress_processes
    waiting_for = ItemApprovalFlow.waiting_for
    stand_in = ItemApprovalFlow.stand_in
    task_url = ItemApprovalFlow.task_url
    vote_view = ItemApprovalFlow.vote_view


FLOWS = (ItemApprovalFlow, ChangeRequestFlow)


def flow_for(subject):
    return ChangeRequestFlow if isinstance(subject, ChangeRequest) else ItemApprovalFlow


def processes_of(subject):
    return ApprovalProcess.objects.filter(**{ApprovalProcess.field_for(subject): subject})


def active_process(subject):
    return processes_of(subject).filter(status=PROCESS.NEW).order_by("-pk").first()


def open_tasks(subject, step: str | None = None):
    tasks = Task.objects.filter(
        process__in=processes_of(subject).filter(status=PROCESS.NEW).values("pk"),
        status__in=OPEN,
    )
    if step is not None:
        flow_class = flow_for(subject)
        tasks = tasks.filter(flow_task=getattr(flow_class, step))
    return tasks.order_by("pk")


def start_for(subject):
    """Start the subject's approval process (in the caller's transaction); idempotent."""
    process = active_process(subject)
    if process is not None:
        return process
    return flow_for(subject).start.run(subject=subject)


def complete_step(subject, step: str, actor) -> Task | None:
    """Complete the subject's open `step` task as `actor`, after the service changed the state.

    Called with the subject row already locked by the service. A subject submitted before the
    flows existed has no task until `manage.py plans_start_flows` has run; nothing to complete.
    """
    task = open_tasks(subject, step).first()
    if task is None:
        return None
    with task.flow_task.flow_class.lock(task.process_id):
        task.refresh_from_db()
        if task.status not in OPEN:
            return None
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(actor)
        elif task.owner_id != actor.pk:
            activation.reassign(actor)
        if task.status == STATUS.ASSIGNED:
            activation.start(None)
        activation.execute()
    return task


def may_act(user, task) -> bool:
    """May `user` do this open task? The same answer the services give."""
    if task.status not in OPEN or not access.is_active_user(user):
        return False
    subject = subject_of(task.process)
    if task.flow_task.step == REVIEW:
        return subject.state == ItemState.SUBMITTED and can_review(user, subject)
    waiting = ChangeState.SUBMITTED if isinstance(subject, ChangeRequest) else ItemState.REVIEWED
    return subject.state == waiting and access.can(user, PlanCap.DECIDE)


def task_url(task) -> str:
    from django.urls import reverse

    return reverse("plans:flow_task", args=[task.process_id, task.pk])


def open_task_urls(subjects) -> dict[tuple[str, int], str]:
    """{(field, subject pk): url of its open step} for a list of subjects, in one query."""
    ids: dict[str, list[int]] = {}
    for subject in subjects:
        ids.setdefault(ApprovalProcess.field_for(subject), []).append(subject.pk)
    if not ids:
        return {}
    q = Q(pk__in=[])
    for name, pks in ids.items():
        q |= Q(**{f"process__approvalprocess__{name}__in": pks})
    rows = Task.objects.filter(
        q, status__in=OPEN, process__status=PROCESS.NEW, flow_task_type="HUMAN"
    ).values_list(
        "pk",
        "process_id",
        *[f"process__approvalprocess__{name}_id" for name in ApprovalProcess.SUBJECT_FIELDS],
    )
    urls = {}
    for pk, process_id, *subject_ids in rows:
        for name, subject_id in zip(ApprovalProcess.SUBJECT_FIELDS, subject_ids, strict=True):
            if subject_id is not None:
                urls[(name, subject_id)] = task_url(Task(pk=pk, process_id=process_id))
    return urls


def review_task_owners(subjects) -> dict[tuple[str, int], int | None]:
    """{(field, subject pk): the owner of its open review task (None while pooled)}, in one
    query."""
    ids: dict[str, list[int]] = {}
    for subject in subjects:
        ids.setdefault(ApprovalProcess.field_for(subject), []).append(subject.pk)
    q = Q(pk__in=[])
    for name, pks in ids.items():
        q |= Q(**{f"process__approvalprocess__{name}__in": pks})
    rows = Task.objects.filter(
        q, status__in=OPEN, process__status=PROCESS.NEW, flow_task=ItemApprovalFlow.review
    ).values_list(
        "owner_id",
        *[f"process__approvalprocess__{name}_id" for name in ApprovalProcess.SUBJECT_FIELDS],
    )
    owners = {}
    for owner_id, *subject_ids in rows:
        for name, subject_id in zip(ApprovalProcess.SUBJECT_FIELDS, subject_ids, strict=True):
            if subject_id is not None:
                owners[(name, subject_id)] = owner_id
    return owners


def reviewer_task_q(user) -> Q:
    """The engine inbox's pool of review tasks named to nobody (several leaders may review):
    those of the submitted items the user reviews, as the services decide (`review_filter`)."""
    from .models import Plan, Standard, Target
    from .permissions import review_filter

    if PlanCap.REVIEW not in access.capabilities(user):
        return Q(pk__in=[])
    items = Q(pk__in=[])
    for name, model in (("plan", Plan), ("target", Target), ("standard", Standard)):
        submitted = model.objects.filter(review_filter(user), state=ItemState.SUBMITTED)
        items |= Q(**{f"process__approvalprocess__{name}__in": submitted.values("pk")})
    return Q(owner__isnull=True, status=STATUS.NEW, flow_task=ItemApprovalFlow.review) & items
