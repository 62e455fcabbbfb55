"""The approval flows (viewflow): every path ends in the same service call and completes the open
step; the flow's own task pages do the work through the same services."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory
from workflows.plans import flows, services
from workflows.plans.models import (
    ApprovalProcess,
    ChangeRequest,
    CommitteeDecision,
    CommitteeRule,
    ItemState,
    ItemVersion,
    Plan,
    PlanKind,
)

from .factories import draft_plan, in_force_plan

pytestmark = pytest.mark.django_db


def _url(name, item, kind="plan"):
    return reverse(f"plans:{name}", args=[kind, item.pk])


def _steps(subject):
    """[(node name, status, owner username)] of the subject's processes, oldest first."""
    tasks = Task.objects.filter(
        process__in=flows.processes_of(subject).values("pk"), flow_task_type="HUMAN"
    ).order_by("pk")
    return [(t.flow_task.name, t.status, t.owner.username if t.owner else None) for t in tasks]


def _open(subject, step):
    return flows.open_tasks(subject, step).get()


def _task_url(task):
    return reverse("plans:flow_task", args=[task.process_id, task.pk])


def test_submit_starts_the_process_and_our_pages_complete_its_steps(cast, login):
    plan = draft_plan(cast)
    officer = login(cast.quality_officer)
    officer.post(_url("item_submit", plan))
    process = flows.active_process(plan)
    assert process.flow_class is flows.ItemApprovalFlow and process.plan_id == plan.pk
    # The quality office is the only reviewer of a college plan without a reviewing office.
    assert _steps(plan) == [("review", STATUS.ASSIGNED, "zgb")]

    officer.post(_url("item_review", plan), {"decision": "approve"})
    assert _steps(plan) == [("review", STATUS.DONE, "zgb"), ("committee", STATUS.NEW, None)]
    committee_task = _open(plan, "committee")
    assert committee_task.owner_permission == "plans.decide"

    # the committee decides by a majority of its two members: the other one approved first
    services.committee_vote(actor=cast.committee_member, subject=plan, approve=True)
    login(cast.chair).post(_url("item_vote", plan), {"decision": "approve"})
    assert Plan.objects.get(pk=plan.pk).state == ItemState.IN_FORCE
    assert _steps(plan)[-1] == ("committee", STATUS.DONE, "chair")
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    ends = Task.objects.filter(process=process, flow_task_type="END").values_list(
        "flow_task", flat=True
    )
    assert [str(e.name) for e in ends] == ["in_force"]


def test_the_flow_task_pages_run_the_services(cast, login):
    plan = draft_plan(cast)
    services.item_submit(actor=cast.quality_officer, item=plan)
    officer = login(cast.quality_officer)
    inbox = officer.get(reverse("plans:inbox")).content.decode()
    review = _open(plan, "review")
    assert _task_url(review) in inbox
    page = officer.get(_task_url(review))
    assert page.status_code == 200 and plan.title in page.content.decode()
    response = officer.post(_task_url(review), {"decision": "approve"})
    assert response.status_code == 302
    assert Plan.objects.get(pk=plan.pk).state == ItemState.REVIEWED

    committee = _open(plan, "committee")
    chair = login(cast.chair)
    assert _task_url(committee) in chair.get(reverse("plans:inbox")).content.decode()
    # the committee decides by a majority of its two members: the other one approved first
    services.committee_vote(actor=cast.committee_member, subject=plan, approve=True)
    chair.post(_task_url(committee), {"decision": "approve"})
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.state == ItemState.IN_FORCE and plan.version == 1
    assert ItemVersion.objects.filter(object_id=plan.pk).count() == 1
    # The step is done: its page says so instead of acting twice.
    again = chair.post(_task_url(committee), {"decision": "approve"})
    assert again.status_code == 302 and again.url == plan.get_absolute_url()
    assert CommitteeDecision.objects.count() == 1


def test_returned_ends_the_round_and_resubmitting_starts_a_new_one(cast, login):
    plan = draft_plan(cast)
    services.item_submit(actor=cast.quality_officer, item=plan)
    officer = login(cast.quality_officer)
    response = officer.post(_task_url(_open(plan, "review")), {"decision": "return"})
    assert response.status_code == 200  # a return needs comments: the form says so
    assert Plan.objects.get(pk=plan.pk).state == ItemState.SUBMITTED
    officer.post(_task_url(_open(plan, "review")), {"decision": "return", "comment": "补充依据"})
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.state == ItemState.RETURNED and plan.return_comment == "补充依据"
    first = flows.processes_of(plan).get()
    assert first.status == PROCESS.DONE
    assert Task.objects.filter(process=first, flow_task=flows.ItemApprovalFlow.returned).exists()

    officer.post(_url("item_submit", plan))
    assert flows.processes_of(plan).count() == 2
    assert flows.active_process(plan).pk != first.pk


def test_committee_return_through_the_api_completes_the_flow_step(cast, login):
    plan = draft_plan(cast)
    services.item_submit(actor=cast.quality_officer, item=plan)
    services.item_review(actor=cast.quality_officer, item=plan, approve=True)
    response = login(cast.committee_member).post(
        f"/api/v1/plans/{plan.pk}/vote/",
        {"decision": "return", "comment": "目标值偏低"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["state"] == ItemState.RETURNED
    assert _steps(plan)[-1] == ("committee", STATUS.DONE, "committee")
    assert Task.objects.filter(
        process=flows.processes_of(plan).get(), flow_task=flows.ItemApprovalFlow.returned
    ).exists()


def test_quorum_keeps_the_committee_step_open_until_it_decides(cast, login):
    CommitteeRule.objects.create(mode=CommitteeRule.Mode.FIXED, quorum=2, require_chair=True)
    plan = draft_plan(cast)
    services.item_submit(actor=cast.quality_officer, item=plan)
    services.item_review(actor=cast.quality_officer, item=plan, approve=True)
    task = _open(plan, "committee")
    login(cast.committee_member).post(_task_url(task), {"decision": "approve"})
    task.refresh_from_db()
    assert task.status == STATUS.NEW and Plan.objects.get(pk=plan.pk).state == ItemState.REVIEWED
    login(cast.chair).post(_task_url(task), {"decision": "approve"})
    task.refresh_from_db()
    assert task.status == STATUS.DONE and task.owner == cast.chair
    assert Plan.objects.get(pk=plan.pk).state == ItemState.IN_FORCE


def test_change_request_flow_rejected_leaves_the_version_in_force(cast, login):
    plan = in_force_plan(cast)
    officer = login(cast.quality_officer)
    officer.post(
        _url("change_create", plan),
        {
            "title": "新标题",
            "kind": "general",
            "start_year": 2026,
            "end_year": 2030,
            "change-summary": "调整标题",
            "change-reason": "上级文件更名",
        },
    )
    change = ChangeRequest.objects.get()
    process = flows.active_process(change)
    assert process.flow_class is flows.ChangeRequestFlow
    assert _steps(change) == [("committee", STATUS.NEW, None)]
    task = _open(change, "committee")
    chair = login(cast.chair)
    assert _task_url(task) in chair.get(reverse("plans:inbox")).content.decode()
    chair.post(_task_url(task), {"decision": "reject", "comment": "无须变更"})
    change.refresh_from_db()
    plan = Plan.objects.get(pk=plan.pk)
    assert change.state == "rejected" and plan.version == 1 and plan.title != "新标题"
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert Task.objects.filter(process=process, flow_task=flows.ChangeRequestFlow.rejected).exists()


def test_change_request_approved_on_our_page_completes_the_flow(cast, login):
    plan = in_force_plan(cast)
    change = services.change_request_create(
        actor=cast.quality_officer,
        item=plan,
        summary="延长期限",
        reason="与省规划对齐",
        proposed={"end_year": 2031},
    )
    # the committee decides by a majority of its two members: the other one approved first
    services.committee_vote(actor=cast.committee_member, subject=change, approve=True)
    login(cast.chair).post(reverse("plans:change_vote", args=[change.pk]), {"decision": "approve"})
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.version == 2 and plan.end_year == 2031
    assert _steps(change) == [("committee", STATUS.DONE, "chair")]
    assert Task.objects.filter(
        process=flows.processes_of(change).get(), flow_task=flows.ChangeRequestFlow.approved
    ).exists()


def test_task_page_answers_404_to_outsiders_and_403_to_viewers_who_may_not_act(cast, login):
    plan = draft_plan(
        cast,
        title="信息工程系“十五五”发展规划",
        kind=PlanKind.DEPARTMENT,
        parent=in_force_plan(cast),
        unit=cast.units.xx,
        actor=cast.xx_leader,
    )
    services.item_submit(actor=cast.xx_leader, item=plan)
    task = _open(plan, "review")
    assert task.owner == cast.xx_leader  # the department's only leader gets the review
    assert login(cast.jd_leader).get(_task_url(task)).status_code == 404
    assert login(cast.outsider).get(_task_url(task)).status_code == 404
    assert login(cast.xx_member).post(_task_url(task), {"decision": "approve"}).status_code == 403
    assert Plan.objects.get(pk=plan.pk).state == ItemState.SUBMITTED
    # The quality office may still review, and then the task is theirs.
    login(cast.xx_leader).post(_task_url(task), {"decision": "approve"})
    task.refresh_from_db()
    assert task.status == STATUS.DONE and task.owner == cast.xx_leader


def test_start_flows_command_backfills_items_submitted_before_the_flows(cast):
    submitted = draft_plan(cast, title="待审规划")
    reviewed = draft_plan(cast, title="待委员会规划")
    services.item_submit(actor=cast.quality_officer, item=submitted)
    services.item_submit(actor=cast.quality_officer, item=reviewed)
    services.item_review(actor=cast.quality_officer, item=reviewed, approve=True)
    in_force = in_force_plan(cast, title="已生效规划")
    change = services.change_request_create(
        actor=cast.quality_officer,
        item=in_force,
        summary="改期",
        reason="对齐",
        proposed={"end_year": 2031},
    )
    ApprovalProcess.objects.all().delete()  # as before the flows existed

    call_command("plans_start_flows", stdout=io.StringIO())
    assert _steps(submitted) == [("review", STATUS.ASSIGNED, "zgb")]
    assert _steps(reviewed) == [("committee", STATUS.NEW, None)]
    assert _steps(change) == [("committee", STATUS.NEW, None)]
    assert not flows.processes_of(in_force).exists()
    count = ApprovalProcess.objects.count()
    call_command("plans_start_flows", stdout=io.StringIO())
    assert ApprovalProcess.objects.count() == count == 3

    # The backfilled steps complete like any other.
    services.committee_vote(actor=cast.chair, subject=reviewed, approve=True)
    services.committee_vote(actor=cast.committee_member, subject=reviewed, approve=True)
    assert _steps(reviewed) == [("committee", STATUS.DONE, "committee")]


def test_a_second_leader_means_the_review_waits_in_the_queue(cast):
    MembershipFactory(
        user=UserFactory(username="xx_leader2"), org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER
    )
    plan = draft_plan(
        cast,
        title="信息工程系规划",
        kind=PlanKind.DEPARTMENT,
        parent=in_force_plan(cast),
        unit=cast.units.xx,
        actor=cast.xx_leader,
    )
    services.item_submit(actor=cast.xx_leader, item=plan)
    assert _steps(plan) == [("review", STATUS.NEW, None)]
    services.item_review(actor=cast.xx_leader, item=plan, approve=True)
    assert _steps(plan)[0] == ("review", STATUS.DONE, "xx_leader")


# ---- the reviewing office ----------------------------------------------------------------------


@pytest.fixture
def jwc_leader(cast):
    """The academic affairs office's leader: a department leader's membership held in an office."""
    user = UserFactory(username="jwc_leader", full_name="教务处长")
    MembershipFactory(user=user, org_unit=cast.units.jwc, role=Role.DEPARTMENT_LEADER)
    return user


def test_the_reviewing_office_leader_gets_the_review_of_a_college_plan(cast, login, jwc_leader):
    root = in_force_plan(cast)
    client = login(cast.quality_officer)
    client.post(
        reverse("plans:item_create", args=["plan"]),
        {
            "title": "专业建设规划",
            "kind": "special",
            "parent": root.pk,
            "start_year": 2026,
            "end_year": 2030,
            "level": "school",
            "owner_unit": cast.units.college.pk,
            "reviewing_unit": cast.units.jwc.pk,
        },
    )
    plan = Plan.objects.get(title="专业建设规划")
    assert plan.reviewing_unit == cast.units.jwc
    client.post(_url("item_submit", plan))
    task = _open(plan, "review")
    assert task.owner == jwc_leader

    leader = login(jwc_leader)
    inbox = leader.get(reverse("plans:inbox")).content.decode()
    assert _task_url(task) in inbox
    # the home page's task list names the step and the plan and links to the step's page
    home = leader.get("/")
    [row] = home.context["tasks"]
    assert (row.url, str(row.title), row.process.brief) == (
        _task_url(task),
        "所属层级审核",
        "专业建设规划",
    )
    page = leader.get(plan.get_absolute_url())
    assert page.status_code == 200
    # the progress line: the review waits for the person it was given to
    [current] = page.context["progress"].current
    assert (str(current.title), current.who) == ("所属层级审核", str(jwc_leader))
    # Another department's leader neither sees nor reviews it.
    assert login(cast.xx_leader).get(_task_url(task)).status_code == 404
    leader = login(jwc_leader)
    leader.post(_task_url(task), {"decision": "approve"})
    assert Plan.objects.get(pk=plan.pk).state == ItemState.REVIEWED
    assert _steps(plan)[0] == ("review", STATUS.DONE, "jwc_leader")


def test_an_office_owned_standard_is_reviewed_by_that_office_and_the_quality_office_may_too(
    cast, login, jwc_leader
):
    from .factories import draft_standard, draft_target

    target = draft_target(cast, in_force_plan(cast))
    standard = services.standard_create(
        actor=cast.quality_officer,
        owner_unit=cast.units.jwc,
        level="school",
        content={"title": "合格课程标准", "text": "", "reference": "", "targets": [target.pk]},
    )
    assert standard.reviewing_unit == cast.units.jwc  # the owner office by default
    services.item_submit(actor=cast.quality_officer, item=standard)
    assert _open(standard, "review").owner == jwc_leader
    assert flows.may_act(jwc_leader, _open(standard, "review"))
    assert not flows.may_act(cast.xx_leader, _open(standard, "review"))
    # The quality office administers: it may still do the review, and the task follows it.
    services.item_review(actor=cast.quality_officer, item=standard, approve=True)
    assert _steps(standard)[0] == ("review", STATUS.DONE, "zgb")

    # Without a reviewing office a college item stays with the quality office.
    other = draft_standard(cast, [target], title="学校基本标准")
    assert other.reviewing_unit is None
    services.item_submit(actor=cast.quality_officer, item=other)
    assert _open(other, "review").owner == cast.quality_officer
    assert not flows.may_act(jwc_leader, _open(other, "review"))


def test_a_department_unit_cannot_be_the_reviewing_office(cast, login):
    response = login(cast.quality_officer).post(
        "/api/v1/plans/",
        {
            "title": "专项规划",
            "kind": "general",
            "start_year": 2026,
            "end_year": 2030,
            "level": "school",
            "owner_unit": cast.units.college.pk,
            "reviewing_unit": cast.units.xx.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "reviewing_unit" in response.json()["errors"]
    with pytest.raises(ValidationError) as exc:
        services.plan_create(
            actor=cast.quality_officer,
            owner_unit=cast.units.college,
            level="school",
            reviewing_unit=cast.units.xx,
            content={"title": "规划", "kind": "general", "start_year": 2026, "end_year": 2030},
        )
    assert "reviewing_unit" in exc.value.message_dict
    assert not Plan.objects.exists()


def test_the_reviewing_office_is_chosen_on_the_draft_and_fixed_once_submitted(
    cast, login, jwc_leader
):
    plan = draft_plan(cast)
    client = login(cast.quality_officer)
    assert 'id="reviewing-form"' in client.get(plan.get_absolute_url()).content.decode()
    client.post(_url("item_reviewing_unit", plan), {"reviewing_unit": cast.units.jwc.pk})
    assert Plan.objects.get(pk=plan.pk).reviewing_unit == cast.units.jwc
    # Only offices can be chosen; a department is refused and nothing changes.
    client.post(_url("item_reviewing_unit", plan), {"reviewing_unit": cast.units.xx.pk})
    assert Plan.objects.get(pk=plan.pk).reviewing_unit == cast.units.jwc
    # Someone who may not edit the draft may not choose its reviewer.
    response = login(cast.xx_member).post(_url("item_reviewing_unit", plan), {"reviewing_unit": ""})
    assert response.status_code in (403, 404)
    client = login(cast.quality_officer)
    client.post(_url("item_submit", plan))
    assert _open(plan, "review").owner == jwc_leader
    client.post(_url("item_reviewing_unit", plan), {"reviewing_unit": ""})
    assert Plan.objects.get(pk=plan.pk).reviewing_unit == cast.units.jwc
