"""The viewflow process that hands a case's human steps out as tasks (`CaseFlow`).

The case's FSM state is the truth; the process follows it. Every node waits in one place, the
`route` switch, which picks the next task from the case's state (and, inside a state, from what
is already done: findings recorded, notices received). Every task leads back to `route`.

Steps happen in `cases.services` only: the API, the case pages and the task pages below all end
in the same service call, and the service calls `advance()` in its own transaction, which
completes the open task and lets `route` create the next one. So whichever way a step was taken,
the process and the case cannot disagree.

Who gets a task: a named user where there is one (the sole investigator, a reporter who did not
hide their identity); otherwise nobody by name, and `cases.selectors.inbox_cases` shows the task
to whoever the access layer says may act (the accepting body, the committee, the responsible
unit). Task pages ask the same access layer, never Django model permissions, so nobody needs the
process model's view permission to work on a case.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock, nodes
from viewflow.workflow.signals import task_finished
from viewflow.workflow.status import PROCESS, STATUS

from accounts.models import OrgUnit
from engine import task_writes
from engine.prepared import Prepared, fetch_together

from . import access
from .models import RESPONSIBLE_STATES, Case, CaseProcess, Notice
from .models import Status as S

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)

# node -> the case actions its task page offers (the first is the task's own step)
NODE_ACTIONS = {
    "accept": ("accept", "refuse", "transfer", "escalate", "withdraw"),
    "classify": ("classify", "transfer", "escalate"),
    "investigate": ("investigate",),
    "findings": ("findings", "determine"),
    "determine": ("determine", "findings"),
    "approve": ("approve",),
    "issue_notice": ("issue_notice", "feedback"),
    "receipt": ("receipt",),
    "rectify": ("rectification_report",),
    "verify": ("verify",),
    "feedback": ("feedback",),
    "close": ("rate", "close"),
}
# action -> the node whose own step it is
_STEP_OF_ACTION = {actions[0]: node for node, actions in NODE_ACTIONS.items()}
# task-page actions that act on one of the case's notices: the status that notice must have
NOTICE_ACTION_STATUS = {
    "receipt": (Notice.Status.ISSUED,),
    "rectification_report": (Notice.Status.RECEIVED, Notice.Status.RETURNED),
    "verify": (Notice.Status.REPORTED,),
}
# tasks for the accepting body (the inbox shows them to it)
BODY_NODES = (
    "accept",
    "classify",
    "investigate",
    "findings",
    "determine",
    "issue_notice",
    "verify",
    "feedback",
    "close",
)
UNIT_NODES = ("receipt", "rectify")

# node -> the case state its task is open in
NODE_STATE = {
    "accept": S.SUBMITTED,
    "classify": S.ACCEPTED,
    "investigate": S.CLASSIFIED,
    "findings": S.INVESTIGATING,
    "determine": S.INVESTIGATING,
    "approve": S.AWAITING_APPROVAL,
    "issue_notice": S.DETERMINED,
    "receipt": S.RECTIFYING,
    "rectify": S.RECTIFYING,
    "verify": S.VERIFYING,
    "feedback": S.RECTIFIED,
    "close": S.FEEDBACK,
}

_STATE_NODE = {
    S.SUBMITTED: "accept",
    S.ACCEPTED: "classify",
    S.CLASSIFIED: "investigate",
    S.AWAITING_APPROVAL: "approve",
    S.DETERMINED: "issue_notice",
    S.VERIFYING: "verify",
    S.RECTIFIED: "feedback",
    S.FEEDBACK: "close",
}


def next_node(case: Case) -> str:
    """The task a case in its current state waits for ("end" once it is finished)."""
    if case.status in _STATE_NODE:
        return _STATE_NODE[case.status]
    if case.status == S.INVESTIGATING:
        return "determine" if case.findings else "findings"
    if case.status == S.RECTIFYING:
        issued = case.notices.filter(status=Notice.Status.ISSUED).exists()
        return "receipt" if issued else "rectify"
    return "end"


class CaseTaskActivation(nodes.ViewActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = flow_task.flow_class.task_class(
            process=prev_activation.process, flow_task=flow_task, token=token
        )
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        owner = flow_task.calc_owner(activation) or _escalated_owner(flow_task, activation)
        if owner:
            task.owner, task.status = owner, STATUS.ASSIGNED
        task_writes.flush(task, prev_activation.task)
        return activation


def node_q(names) -> Q:
    """The cases whose open task is one of the nodes `names`, as a condition on the case table
    (what `next_node` decides, for lists: the inbox)."""
    names = set(names)
    states = {NODE_STATE[n] for n in names}
    q = Q(status__in=states - {S.INVESTIGATING})
    if "findings" in names and "determine" in names:
        q |= Q(status=S.INVESTIGATING)
    elif "findings" in names:
        q |= Q(status=S.INVESTIGATING, findings="")
    elif "determine" in names:
        q |= Q(status=S.INVESTIGATING) & ~Q(findings="")
    return q


def _goes_to(name: str):
    def condition(activation) -> bool:
        # the switch asks every branch in turn: decide once per activation
        if not hasattr(activation, "next_node"):
            activation.next_node = next_node(activation.process.case)
        return activation.next_node == name

    return condition


class CaseTask(flow.View):
    """A human step on a case. Its page is cases.views.task_page; viewflow's own task pages
    (detail, assign, cancel, undo…) are left out: they gate on model permissions, which the
    project does not hand out, and the case page already shows the history."""

    activation_class = CaseTaskActivation
    writes_together = True  # its activation writes through engine.task_writes
    index_view_class = None
    detail_view_class = None
    cancel_view_class = None
    undo_view_class = None
    revive_view_class = None
    assign_view_class = None
    unassign_view_class = None

    def __init__(self, title):
        super().__init__(this.task_page)
        self.task_title = title

    @property
    def actions(self):
        return NODE_ACTIONS[self.name]

    def is_personal(self, task) -> bool:
        """The reporter's rating is their own act (engine.delegation.is_personal): nobody hands
        it on by 转办 (a leader of the accepting body would choose who rates its answer). Once
        the 评价期 is over the body closes the case from its own page, not from this task."""
        if self.name != "close" or task.owner_id is None:
            return False
        reporter = CaseProcess.objects.filter(pk=task.process_id).values("case__reporter_id")
        return reporter.first() == {"case__reporter_id": task.owner_id}

    @property
    def view_path(self):
        # not viewflow's wrap_view: it starts the activation (owner only) itself, while here the
        # service completes the task, and who may act is the access layer's answer
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/", self.view, name="execute"
        )

    def can_execute(self, user, task):
        case = task.process.coerced.case
        return any(access.may(user, case, action) for action in self.actions)


def _escalated_owner(flow_task, activation):
    """The one person a body step went up to when the separation-of-duties rules left the
    accepting body nobody (cases.duties): the task is named to them, so it is in their inbox."""
    from . import duties

    action = NODE_ACTIONS[flow_task.name][0]
    step = duties.ACTION_STEP.get(action)
    case = activation.process.case
    if step not in duties.BODY_STEPS or not (duties.has_rules(step) or case.recused_ids):
        return None
    eligible = duties.who_acts(case, action)
    if eligible is not None and eligible.escalated and len(eligible.people) == 1:
        return eligible.people[0]
    return None


def _sole_investigator(activation):
    people = list(activation.process.case.investigators.all()[:2])
    return people[0] if len(people) == 1 else None


def _reporter(activation):
    case = activation.process.case
    return case.reporter if case.reporter_id and not case.reporter_hidden else None


class CaseFlow(flow.Flow):
    """Quality incident

    The tasks of one round of a case, from filing (or reopening) to closure."""

    process_class = CaseProcess
    # the field of the process row that names its case (engine.holders: which object a task
    # handed on belongs to, read without the case)
    process_object_field = "case"
    lock_impl = lock.select_for_update_lock
    parent_namespace = "cases"
    process_title = _("Quality incident")
    # what the home page's task list says a task is about (engine.selectors.task_rows)
    process_summary_template = "{{ process.case.number }} {{ process.case.title }}"
    summary_related = ("case__accepting_unit",)
    # the inbox's unit filter (engine.selectors.inbox_filtered)
    inbox_unit_lookups = ("process__caseprocess__case__accepting_unit",)

    def task_url(self, task) -> str:
        return task.flow_task.reverse("execute", args=[task.process_id, task.pk])

    start = nodes.StartHandle(this.start_process).Next(this.route)
    route = (
        task_writes.Route()
        .Case(this.accept, _goes_to("accept"))
        .Case(this.classify, _goes_to("classify"))
        .Case(this.investigate, _goes_to("investigate"))
        .Case(this.findings, _goes_to("findings"))
        .Case(this.determine, _goes_to("determine"))
        .Case(this.approve, _goes_to("approve"))
        .Case(this.issue_notice, _goes_to("issue_notice"))
        .Case(this.receipt, _goes_to("receipt"))
        .Case(this.rectify, _goes_to("rectify"))
        .Case(this.verify, _goes_to("verify"))
        .Case(this.feedback, _goes_to("feedback"))
        .Case(this.close, _goes_to("close"))
        .Default(this.end)
    )
    accept = CaseTask(_("Accept or refuse the case")).Next(this.route)
    classify = CaseTask(_("Classify and grade")).Next(this.route)
    investigate = CaseTask(_("Assign investigators")).Next(this.route)
    findings = (
        CaseTask(_("Investigate and record findings")).Assign(_sole_investigator).Next(this.route)
    )
    determine = CaseTask(_("Determine")).Next(this.route)
    approve = CaseTask(_("Committee vote")).Next(this.route)
    issue_notice = CaseTask(_("Issue a rectification notice")).Next(this.route)
    receipt = CaseTask(_("Confirm receipt of the notice")).Next(this.route)
    rectify = CaseTask(_("Submit the rectification report")).Next(this.route)
    verify = CaseTask(_("Verify the rectification")).Next(this.route)
    feedback = CaseTask(_("Tell the reporter the outcome")).Next(this.route)
    close = CaseTask(_("Rate or close")).Assign(_reporter).Next(this.route)
    end = nodes.End()

    def inbox_object(self, process):
        return process.case

    # the engine deadlines that time the case's tasks (on the case, and on its open notices)
    deadline_kinds = ("case.acceptance", "case.investigation", "notice.rectification")

    def deadline_objects(self, cases) -> dict:
        """The open notices of `cases` (their rectification deadline times the unit's steps),
        in one query (engine.selectors.task_rows)."""
        from django.contrib.contenttypes.models import ContentType

        found = {}
        # a notice is issued once the responsible unit is determined: before that, no query
        cases = [case for case in cases if case.status in RESPONSIBLE_STATES]
        if not cases:
            return found
        ct = ContentType.objects.get_for_model(Case).pk
        notices = Notice.objects.filter(
            case__in=cases,
            status__in=(Notice.Status.ISSUED, Notice.Status.RECEIVED, Notice.Status.RETURNED),
        )
        for notice in notices:
            found.setdefault((ct, str(notice.case_id)), []).append(notice)
        return found

    # what engine.holders and engine.delegation ask of a flow that is not a step table
    def duty_refusal(self, task, user):
        from . import duties

        case = _case_of(task)
        return duties.refusal(user, case, NODE_ACTIONS[task.flow_task.name][0])

    def reassign_excluded(self, task):
        case = _case_of(task)
        reporter = [case.reporter_id] if case.reporter_id is not None else []
        return [*reporter, *case.recused_ids]

    def reassign_refusal(self, task, user):
        """A case's steps are not handed to its reporter (the reporter's own 评价 is not handed
        at all) nor to anyone recused from it: they could not do them, and nobody else could
        either. Said without naming the reporter, who may be hidden, nor why someone is
        recused."""
        from . import duties

        case = _case_of(task)
        rule = self.duty_refusal(task, user)
        if user.pk != case.reporter_id:
            return rule
        # a rule of the table may name the reporter's role: only where they are known
        return rule if rule is not None and not case.reporter_hidden else duties.RECUSAL

    def task_unit_id(self, task):
        """The unit a task is about, for 转办: the responsible unit's steps are its own."""
        case = _case_of(task)
        if task.flow_task.name in UNIT_NODES and case.responsible_unit_id:
            return case.responsible_unit_id
        return case.accepting_unit_id

    def inbox_unit(self, case, task):
        return case.accepting_unit

    # what engine.selectors.progress asks (the case page's progress line)
    def progress_processes(self, case):
        return CaseProcess.objects.filter(case=case)

    def doer_pk(self, task):
        # whose action closed the step: its owner, or whoever closed it from another step or in
        # the owner's stead (`advance` keeps them as "by"); the progress line reads them at once
        return (task.data or {}).get("by", task.owner_id)

    def done_by(self, task, person, case, user) -> str:
        # the reporter's own 评价 (a hidden reporter completes it named to nobody)
        if (task.data or {}).get("action") == "rate":
            return access.reporter_display(user, case)
        return access.person_display(user, case, person) if person is not None else ""

    def person_shown(self, person, case, user) -> str:
        return access.person_display(user, case, person)

    def taken_from(self, task) -> str:
        # 认定 taken while the findings were open, feedback with no notice: the other step has no
        # task of its own (the case moved past it), so this task's closing is where it was taken
        other = _STEP_OF_ACTION.get((task.data or {}).get("action"))
        if other is None or other == task.flow_task.name:
            return ""
        return str(getattr(CaseFlow, other).task_title)

    def outcome_label(self, task) -> str:
        from .views import CASE_ACTIONS

        # another step taken from this task closed it: that is what happened to this step, not
        # the other step's outcome (which its own row shows)
        taken = self.taken_from(task)
        if taken:
            return _("Closed by the step “%(step)s”") % {"step": taken}
        action = (task.data or {}).get("action")
        return str(CASE_ACTIONS[action][0]) if action in CASE_ACTIONS else ""

    def waiting_for(self, task, case) -> str:
        name = task.flow_task.name
        if name in UNIT_NODES and case.responsible_unit_id:
            # the department above acts for a unit nobody acts for (access.receiving_unit)
            return str(access.receiving_unit(case)[0])
        if name == "approve":
            return str(OrgUnit.Kind.COMMITTEE.label)
        if name == "findings":
            return "、".join(str(u) for u in case.investigators.all())
        return str(case.accepting_unit)

    def steps_after(self, names, case) -> list:
        order = list(NODE_ACTIONS)
        if not case.needs_committee:
            order.remove("approve")
        last = max((order.index(n) for n in names if n in order), default=None)
        if last is None:
            return []
        return [getattr(CaseFlow, n).task_title for n in order[last + 1 :]]

    def start_process(self, activation, case):
        activation.process.case = case
        return activation.process

    def task_page(self, request, **kwargs):
        from .views import task_page

        return task_page(request, **kwargs)


def _case_of(task) -> Case:
    process = task.process
    return process.case if isinstance(process, CaseProcess) else process.coerced.case


def start(case: Case) -> CaseProcess:
    """Start the process of a case (filing, reopening, or a case that predates the flow)."""
    return CaseFlow.start.run(case=case)


_open_tasks = Prepared(
    lambda case_pk: (
        CaseFlow.task_class.objects.select_for_update(of=("self", "process"))
        .select_related("process__caseprocess")
        .filter(
            process__caseprocess__case_id=case_pk,
            process__status=PROCESS.NEW,
            status__in=OPEN,
            flow_task_type=CaseTask.task_type,
        )
        .order_by("pk")
    )
)


def lock_open_tasks(case: Case) -> list:
    """The open tasks of a case's running process, with the task and process rows locked (the
    flow lock of `lock_impl` is the same process row lock), in one query.

    Every path locks the case row first (the services' `_step`), then this: the task pages do
    not take the flow lock before the service, so there is one lock order and no deadlock, and
    as the case row serialises the steps, this reads what the previous step committed."""
    return _processes(_open_tasks.fetch(case.pk))


def lock_case_and_open_tasks(locked_case: Prepared, pk) -> tuple[list, list]:
    """`locked_case` (the case row lock of the services) and `lock_open_tasks`, in this order,
    in one round trip."""
    cases, tasks = fetch_together((locked_case, pk), (_open_tasks, pk))
    return cases, _processes(tasks)


def _processes(tasks: list) -> list:
    for task in tasks:
        task.process = task.process.caseprocess
    return tasks


def advance(case: Case, actor, action: str, *, fired: bool, tasks=None) -> None:
    """Bring the process level with the case after a service did `action` on it, in the
    service's transaction (`tasks`: what `lock_open_tasks` returned before the step). A
    transition (`fired`) completes the open task; a step that is not a transition (findings,
    receipt) completes it only when the case now waits for another task. No open task: the case
    predates the flow, or was reopened after its process ended, and a new process starts.
    `actor` is None for a reporter who hid their identity: the task then names nobody."""
    if tasks is None:
        tasks = lock_open_tasks(case)
    if not tasks:
        if not case.is_finished:
            start(case)
        return
    now = timezone.now()
    for task in tasks:
        if not fired and task.flow_task.name == next_node(case):
            continue
        task.process.case = case
        activation = task.flow_task.activation_class(task)
        # the service has decided who may act: take the task straight to done
        task.status = STATUS.DONE
        task.started = task.finished = now
        if task.owner_id is None and actor is not None:
            task.owner = actor
        task.data = {**task.data, "action": action}
        if actor is not None and task.owner_id != actor.pk:
            # someone else's step closed it (认定 while the findings were open): who did that
            task.data["by"] = actor.pk
        task.pending = True  # written with the next task (task_writes)
        task_finished.send(sender=CaseFlow, process=task.process, task=task)
        activation.activate_next()
