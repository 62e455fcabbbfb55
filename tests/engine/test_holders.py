"""The holder of an open step may do it (engine.holders): for EVERY registered step table (and
the case flow), a leader reassigns (转办) the open task to an otherwise unprivileged person of
their subtree, that person opens the page and does the step through its URL as a user clicks,
and the object moves on. A deputy (代理) does the same for an absent holder. Separation of
duties still refuses: a 转办 to a self-diagnosis report's author is refused with the rule, and a
deputy who wrote the report cannot approve it. An expert's own review is never handed on."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from accounts.models import Membership, OrgUnit, Role
from cases.complaints.flows import SupervisionFlow
from cases.confidential.flows import ReportFlow as ConfidentialFlow
from cases.flows import CaseFlow
from engine import delegation, holders, services, steps
from engine.models import Absence
from tests.cases.confidential.factories import file_report
from tests.cases.factories import file_case
from tests.engine.test_delegation import plan_task
from tests.engine.test_steps import inbox_rows, supervise
from tests.factories import UserFactory
from tests.workflows.review.factories import filled_report, forwarded_report, shipped_catalogue
from workflows.monitoring import services as monitoring
from workflows.monitoring.flows import (
    CycleDecisionFlow,
    CycleFlow,
    ImprovementFlow,
    ReadingFlow,
    WarningFlow,
)
from workflows.monitoring.models import Reading, Warning
from workflows.observations.flows import DutyFlow
from workflows.plans.task_flows import PlanTaskFlow
from workflows.review import services as review
from workflows.review.flows import (
    AssignmentFlow,
    ConclusionFlow,
    PersonalReportFlow,
    RoundFlow,
)
from workflows.review.flows import ReportFlow as SelfDiagnosisFlow
from workflows.review.models import ReviewAssignment

PDF = b"%PDF-1.4\nx\n%%EOF\n"


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


# ------------------------------------------------------------ one object per table, waiting


def _supervision(cast, client, mon, approved):
    case = file_case(cast.teacher, cast.units.rj, reporter_hidden=True)
    obj = supervise(client, cast, case)
    return obj, [(obj.get_absolute_url(), {"answer": "已受理，正在调查。"})], "answered"


def _confidential(cast, client, mon, approved):
    obj, _code = file_report()
    url = reverse("confidential:office_advance", args=[obj.pk])
    return obj, [(url, {"action": "start_check"})], "preliminary_check"


def _plan_task(cast, client, mon, approved):
    obj = plan_task(cast, lead_unit=cast.units.rj)
    return (
        obj,
        [
            (reverse("plans:task_evidence", args=[obj.pk]), lambda: {"file": _pdf()}),
            (reverse("plans:task_complete", args=[obj.pk]), {}),
        ],
        "done",
    )


def _pdf():
    return SimpleUploadedFile("成果.pdf", PDF)


def _reading(cast, client, mon, approved):
    obj, _ = monitoring.reading_submit(
        actor=cast.xx_member,
        indicator=mon.employment,
        subject=mon.rj,
        period=mon.y2026,
        value="80",
    )
    return obj, [(reverse("monitoring:reading_approve", args=[obj.pk]), {})], "approved"


def _warning(cast, client, mon, approved):
    approved(mon.employment, mon.rj, "80")
    obj = Warning.objects.get()
    url = reverse("monitoring:warning_acknowledge", args=[obj.pk])
    return obj, [(url, {})], "acknowledged"


def _improvement(cast, client, mon, approved):
    approved(mon.employment, mon.rj, "80")
    obj = monitoring.improvement_open(
        actor=cast.software_lead,
        warning=Warning.objects.get(),
        subject=mon.rj,
        period=mon.y2026,
        title="提高就业率",
        cause_analysis="岗位不足",
        measures="新增合作企业",
        owner=cast.software_member,
        deadline=datetime.date(2030, 3, 31),
    )
    monitoring.improvement_submit(actor=cast.software_member, improvement=obj, evidence="协议")
    url = f"/monitoring/improvements/{obj.pk}/sign-off/"
    return obj, [(url, {"effective": "1", "note": "有效"})], "closed"


def _self_diagnosis(cast, client, mon, approved):
    obj = filled_report(cast.xx_member, cast.units.xx, shipped_catalogue())
    review.report_submit(actor=cast.xx_member, report=obj)
    url = reverse("review:report_action", args=[obj.pk, "approve"])
    return obj, [(url, {})], "approved"


def _round(cast, client, mon, approved):
    report = forwarded_report(cast)
    start = timezone.localdate() + datetime.timedelta(days=40)
    obj = review.round_create(
        actor=cast.quality_officer,
        name="2026 复核",
        catalogue=report.catalogue,
        review_start=start,
        review_end=start + datetime.timedelta(days=5),
    )
    review.round_add_report(actor=cast.quality_officer, round_=obj, report=report)
    url = reverse("review:round_detail", args=[obj.pk])
    return obj, [(url, {"step": "publish"})], "disclosed"


def _case(cast, client, mon, approved):
    obj = file_case(cast.teacher, cast.units.rj)
    task = holders.open_tasks(obj)[0]
    return obj, [(CaseFlow.instance.task_url(task), {})], "accepted"


SCENARIOS = {
    SupervisionFlow: _supervision,
    ConfidentialFlow: _confidential,
    PlanTaskFlow: _plan_task,
    ReadingFlow: _reading,
    WarningFlow: _warning,
    ImprovementFlow: _improvement,
    SelfDiagnosisFlow: _self_diagnosis,
    RoundFlow: _round,
    CaseFlow: _case,
}
# the expert's own review (test below), one's own personal report and its approver named by the
# duty rules, a reward decided by the body its kind names, an observer's own lessons: never
# handed on
PERSONAL = {AssignmentFlow, PersonalReportFlow, CycleDecisionFlow, DutyFlow}
# a unit's improvement period after a review: nothing to click, the next review ends it
# (tests/engine/test_one_list.py walks it, 转办 included)
WAITING = {ConclusionFlow}
# the cycle's own work needs plans in force to reach a decision (the monitoring chains):
# tests/workflows/monitoring/test_cycle_flow.py walks its 转办
WALKED_WITH_ITS_DOMAIN = {CycleFlow}


def test_every_registered_step_table_is_walked():
    assert set(steps.REGISTRY.values()) == (
        set(SCENARIOS) | PERSONAL | WAITING | WALKED_WITH_ITS_DOMAIN
    ) - {CaseFlow}


def _status(obj):
    obj = fresh(obj)
    return getattr(obj, "state", None) or obj.status


def _unit_of(task):
    return OrgUnit.objects.get(pk=delegation.task_unit_id(task))


def _person(unit, name):
    """Someone holding no role that lets them do the step: a teacher of the unit."""
    user = UserFactory(full_name=name)
    Membership.objects.create(user=user, org_unit=unit, role=Role.TEACHER)
    return user


def _leader(unit):
    user = UserFactory(full_name="转办领导")
    Membership.objects.create(user=user, org_unit=unit, role=Role.DEPARTMENT_LEADER)
    return user


def _click(client, user, posts):
    client.force_login(user)
    for url, data in posts:
        client.post(url, data() if callable(data) else data)


def _usual_holder(cast, task):
    """Who does the step when nobody handed it on: the person it is named to, else a holder of
    its seat (a case's accepting body: the department's leader)."""
    if task.owner_id is not None:
        return task.owner
    if isinstance(task.flow_task, steps.StepTask):
        role = task.owner_permission.removeprefix(steps.SEAT_PREFIX)
        return steps.seat_holders(steps.Seat(role, _unit_of(task))).first()
    return cast.xx_leader


def _reassign(client, leader, task, person, reason="原负责人出差，转办"):
    client.force_login(leader)
    return client.post(
        reverse("engine:task_reassign", args=[task.pk]), {"to_user": person.pk, "reason": reason}
    )


@pytest.mark.parametrize("flow_class", list(SCENARIOS), ids=lambda f: f.__name__)
def test_the_person_a_step_is_reassigned_to_does_it_through_its_page(
    flow_class, cast, client, mon, approved, django_capture_on_commit_callbacks
):
    obj, posts, after = SCENARIOS[flow_class](cast, client, mon, approved)
    task = holders.open_tasks(obj)[0]
    assert task.flow_task.flow_class is flow_class
    unit = _unit_of(task)
    person = _person(unit, "代办教师")
    before = _status(obj)
    # otherwise unprivileged: their click changes nothing
    _click(client, person, posts)
    assert _status(obj) == before
    assert not [r for r in inbox_rows(client, person) if r.obj == obj]

    usual = _usual_holder(cast, task)
    assert usual is not None
    assert _reassign(client, _leader(unit), task, person).status_code == 302
    # handed on, the step is no longer theirs who usually do it: their clicks change nothing
    _click(client, usual, posts)
    assert _status(obj) == before
    rows = [r for r in inbox_rows(client, person) if r.obj == obj]
    assert len(rows) == 1
    # the row's link opens for them
    assert client.get(rows[0].url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        _click(client, person, posts)
    assert _status(obj) == after
    done = type(task).objects.get(pk=task.pk)
    assert done.status == "DONE" and done.owner_id == person.pk
    assert not [r for r in inbox_rows(client, person) if r.obj == obj]
    # the page they land on after the step still opens for them (a confidential report's does
    # not: its office's pages show it to no more people than its steps need)
    if flow_class is not ConfidentialFlow:
        url = obj.get_absolute_url() if flow_class is CaseFlow else rows[0].url
        assert client.get(url).status_code == 200, url


def _away(person, deputy):
    today = timezone.localdate()
    return Absence.objects.create(
        user=person, kind=Absence.Kind.TRIP, starts_on=today, ends_on=today, deputy=deputy
    )


@pytest.mark.parametrize(
    "flow_class", [SupervisionFlow, PlanTaskFlow, SelfDiagnosisFlow, CaseFlow], ids=str
)
def test_a_deputy_does_the_absent_holders_step(
    flow_class, cast, client, mon, approved, django_capture_on_commit_callbacks
):
    obj, posts, after = SCENARIOS[flow_class](cast, client, mon, approved)
    task = holders.open_tasks(obj)[0]
    unit = _unit_of(task)
    deputy = _person(unit, "代理教师")
    before = _status(obj)
    _click(client, deputy, posts)
    assert _status(obj) == before
    # the holder: the leader of the seat (a case: the accepting body's member)
    absent = {
        SupervisionFlow: cast.xx_leader,
        PlanTaskFlow: cast.software_lead,
        SelfDiagnosisFlow: cast.xx_leader,
        CaseFlow: cast.xx_leader,
    }[flow_class]
    _away(absent, deputy)
    rows = [r for r in inbox_rows(client, deputy) if r.obj == obj]
    assert len(rows) == 1 and rows[0].on_behalf == absent
    assert client.get(rows[0].url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        _click(client, deputy, posts)
    assert _status(obj) == after


def test_a_reassign_to_the_reports_author_is_refused_with_the_rule(cast, client, mon, approved):
    report, posts, _after = _self_diagnosis(cast, client, mon, approved)
    task = holders.open_tasks(report)[0]
    holder = task.owner_id
    refused = _reassign(client, cast.xx_leader, task, cast.xx_member)
    assert refused.status_code == 200
    errors = refused.context["form"].errors["to_user"]
    assert errors == [f"{cast.xx_member}不得办理此步骤：自我诊改报告的撰写人不得审核本人的报告。"]
    assert fresh(task).owner_id == holder
    # nor may the author act on it as a deputy of the head
    _away(cast.xx_leader, cast.xx_member)
    assert not holders.may_act(report, cast.xx_member, "approve")
    _click(client, cast.xx_member, posts)
    assert _status(report) == "submitted"


def test_a_reassign_to_the_cases_reporter_for_the_findings_is_refused(cast, client):
    from tests.cases.factories import advance

    reporter = _person(cast.units.xx, "投诉教师")
    case = file_case(reporter, cast.units.rj)
    advance(cast, case, "investigating")
    case = fresh(case)
    task = holders.open_tasks(case)[0]
    assert task.flow_task.name == "findings"
    # not offered on the page, and refused if posted anyway
    client.force_login(cast.xx_leader)
    form = client.get(reverse("engine:task_reassign", args=[task.pk])).context["form"]
    assert reporter not in form.fields["to_user"].queryset
    refused = _reassign(client, cast.xx_leader, task, reporter)
    assert refused.status_code == 200 and refused.context["form"].errors["to_user"]
    # the service says which rule (the reporter is known here)
    with pytest.raises(ValidationError) as raised:
        services.task_reassign(actor=cast.xx_leader, task=task, to_user=reporter, reason="试")
    assert "投诉人（报告人）不得调查本案" in raised.value.message_dict["to_user"][0]
    assert Task.objects.get(pk=task.pk).owner_id == task.owner_id != reporter.pk


def test_an_experts_review_is_neither_reassigned_nor_deputised(cast, client):
    from tests.workflows.review.factories import round_in_review

    report = forwarded_report(cast)
    _round, chair = round_in_review(cast, [report])
    assignment = ReviewAssignment.objects.get(member=chair, report=report)
    task = holders.open_tasks(assignment)[0]
    assert not delegation.may_reassign(cast.xx_leader, task)
    assert _reassign(client, cast.xx_leader, task, cast.xx_member).status_code == 302
    assert fresh(task).owner_id == cast.expert.pk
    _away(cast.expert, cast.xx_member)
    assert not [r for r in inbox_rows(client, cast.xx_member) if r.obj == assignment]
    assert not holders.may_act(assignment, cast.xx_member)
    client.force_login(cast.xx_member)
    page = reverse("review:assignment_detail", args=[assignment.pk])
    assert client.get(page).status_code == 404


def test_a_reading_reassigned_shows_on_the_new_approvers_approvals_page(
    cast, client, mon, approved
):
    reading, _posts, _after = _reading(cast, client, mon, approved)
    task = holders.open_tasks(reading)[0]
    person = _person(cast.units.xx, "代审教师")
    _reassign(client, cast.xx_leader, task, person)
    client.force_login(person)
    page = client.get(reverse("monitoring:approvals"))
    assert [r.pk for r in page.context["page"]] == [reading.pk]
    assert fresh(reading).status == Reading.objects.get(pk=reading.pk).status == "pending"


def test_a_deputys_inbox_shows_the_absent_persons_case_and_committee_tasks(cast, client):
    """The case pools (the accepting body's tasks) and the committee's votes of the person away
    reach the deputy's inbox, marked as theirs; the vote stays the member's own: the deputy
    reads what it decides and cannot cast it."""
    from tests.workflows.plans.factories import in_force_plan
    from workflows.plans.models import ChangeRequest

    case = file_case(cast.teacher, cast.units.rj)
    plan = in_force_plan(cast)
    client.force_login(cast.quality_officer)
    client.post(
        reverse("plans:change_create", args=["plan", plan.pk]),
        {
            "change-summary": "延长规划期限",
            "change-reason": "与学院五年规划对齐",
            "title": plan.title,
            "kind": plan.kind,
            "start_year": plan.start_year,
            "end_year": plan.end_year + 1,
        },
    )
    change = ChangeRequest.objects.get()
    deputy = _person(cast.units.xx, "代理教师")
    assert not [r for r in inbox_rows(client, deputy) if r.obj in (case, change)]
    _away(cast.xx_leader, deputy)
    _away(cast.committee_member, deputy)
    rows = {r.obj: r for r in inbox_rows(client, deputy)}
    assert rows[case].on_behalf == cast.xx_leader
    assert rows[change].on_behalf == cast.committee_member
    page = client.get(rows[change].url)
    assert page.status_code == 200
    assert 'id="deputy-note"' in page.content.decode() and page.context["rows"]
    assert client.post(rows[change].url, {"decision": "approve"}).status_code == 403
    # the members themselves still have them
    assert [r for r in inbox_rows(client, cast.committee_member) if r.obj == change]
    assert [r for r in inbox_rows(client, cast.xx_leader) if r.obj == case]


def test_a_case_step_handed_on_is_not_decided_otherwise_by_its_body(cast, client, mon, approved):
    """The accepting body keeps no decision at a step handed on: neither its own (受理, 不予受理)
    nor a transfer or an escalation, which would complete the task under its holder's name."""
    from accounts.models import User
    from cases import access as case_access

    obj, _posts, _after = _case(cast, client, mon, approved)
    task = holders.open_tasks(obj)[0]
    unit = _unit_of(task)
    person = _person(unit, "代办教师")
    body = User.objects.get(pk=_usual_holder(cast, task).pk)
    assert case_access.may(body, fresh(obj), "transfer")
    assert _reassign(client, _leader(unit), task, person).status_code == 302
    body = User.objects.get(pk=body.pk)
    for action in ("accept", "refuse", "transfer", "escalate"):
        assert not case_access.may(body, fresh(obj), action), action
    assert case_access.may(User.objects.get(pk=person.pk), fresh(obj), "accept")


def test_the_reassign_picker_offers_staff_only(cast, client):
    student = UserFactory(full_name="学生甲")
    Membership.objects.create(user=student, org_unit=cast.units.rj, role=Role.STUDENT)
    staff = _person(cast.units.rj, "教师乙")
    offered = set(delegation.reassign_candidates(cast.xx_leader))
    assert staff in offered and student not in offered
