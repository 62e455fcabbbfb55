"""The self-diagnosis report, the review round and the expert's assignment as step tables
(engine.steps): each step reaches the inbox of whoever must act (every holder of a seat), leaves
it once done, and the object page's progress line says what was done, who acts now and what
comes next. Walked through the pages where the step is a click."""

import datetime
import io

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from engine import steps
from tests.engine.test_steps import inbox_rows
from tests.factories import UserFactory
from workflows.review import services
from workflows.review.flows import ReportFlow, RoundFlow
from workflows.review.models import PanelMember, ReviewAssignment, ReviewRound

from .factories import filled_report, forwarded_report, record_findings, shipped_catalogue


def backfill(flow_class=ReportFlow) -> int:
    """How many processes of `flow_class` `steps_backfill` started."""
    out = io.StringIO()
    call_command("steps_backfill", stdout=out)
    title = str(flow_class.process_title)
    line = next(x for x in out.getvalue().splitlines() if x.startswith(title))
    return int("".join(c for c in line[len(title) :] if c.isdigit()))


def expert_card(client, user) -> int:
    """The count on the expert's home-page card of reports to review (0: no card)."""
    client.force_login(user)
    cards = client.get(reverse("home")).context["cards"]
    return sum(c.count for c in cards if str(c.title) == "待复核的报告")


def rows_for(client, user, obj):
    return [r for r in inbox_rows(client, user) if r.obj == obj]


def progress(client, user, url):
    client.force_login(user)
    page = client.get(url)
    assert page.status_code == 200
    return page.context["progress"]


def test_a_department_report_goes_from_its_author_to_every_head_then_the_quality_office(
    cast, client
):
    second = UserFactory(full_name="第二负责人")
    Membership.objects.create(user=second, org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER)
    report = filled_report(cast.xx_member, cast.units.xx, shipped_catalogue())
    url = reverse("review:report_detail", args=[report.pk])
    assert [r.flow_task.name for r in rows_for(client, cast.xx_member, report)] == ["write"]
    assert not rows_for(client, cast.xx_leader, report)
    line = progress(client, cast.xx_member, url)
    assert [str(s.who) for s in line.current] == [str(cast.xx_member)]
    assert len(line.after) == 3 and not line.done

    services.report_submit(actor=cast.xx_member, report=report)
    assert not rows_for(client, cast.xx_member, report)
    for head in (cast.xx_leader, second):
        found = rows_for(client, head, report)
        assert [r.flow_task.name for r in found] == ["approve"], head
        assert found[0].url == url and found[0].unit == cast.units.xx
    line = progress(client, cast.xx_leader, url)
    assert [str(s.who) for s in line.current] == ["信息工程系 部门负责人"]
    assert [(str(s.who), s.outcome) for s in line.done] == [(str(cast.xx_member), "已提交")]

    # returned: back to its author, gone for both heads
    client.force_login(second)
    returned = client.post(
        reverse("review:report_action", args=[report.pk, "return"]), {"reason": "数据不全"}
    )
    assert returned.status_code == 302
    for head in (cast.xx_leader, second):
        assert not rows_for(client, head, report)
    assert [r.flow_task.name for r in rows_for(client, cast.xx_member, report)] == ["write"]
    services.report_submit(actor=cast.xx_member, report=report)

    client.force_login(cast.xx_leader)
    assert client.post(reverse("review:report_action", args=[report.pk, "approve"])).status_code
    report.refresh_from_db()
    assert report.status == "approved"
    for head in (cast.xx_leader, second):
        assert not [r for r in rows_for(client, head, report) if r.flow_task.name == "approve"]
    # the approver may not also forward it (separation of duties): the other head is named
    assert [r.flow_task.name for r in rows_for(client, second, report)] == ["forward"]
    assert not rows_for(client, cast.xx_leader, report)
    client.force_login(second)
    client.post(reverse("review:report_action", args=[report.pk, "forward"]))
    report.refresh_from_db()
    assert report.status == "forwarded"
    assert [r.flow_task.name for r in rows_for(client, cast.quality_officer, report)] == ["publish"]
    line = progress(client, cast.quality_officer, url)
    outcomes = ["submitted", "returned", "submitted", "approved", "forwarded"]
    labels = [str(ReportFlow.table.outcomes[code]) for code in outcomes]
    assert [str(s.outcome) for s in line.done] == labels
    assert [str(s.who) for s in line.done] == [
        str(p) for p in (cast.xx_member, second, cast.xx_member, cast.xx_leader, second)
    ]
    assert [str(s.who) for s in line.current] == ["质量管理办公室 质管办工作人员"]
    assert not line.after


def test_a_round_and_its_experts_wait_for_the_right_people(cast, client):
    report = forwarded_report(cast)
    start = timezone.localdate() + datetime.timedelta(days=40)
    round_ = services.round_create(
        actor=cast.quality_officer,
        name="2026 复核",
        catalogue=report.catalogue,
        review_start=start,
        review_end=start + datetime.timedelta(days=5),
    )
    round_url = reverse("review:round_detail", args=[round_.pk])
    assert [r.flow_task.name for r in rows_for(client, cast.quality_officer, round_)] == ["publish"]
    services.round_add_report(actor=cast.quality_officer, round_=round_, report=report)
    chair = services.panel_add(
        actor=cast.quality_officer,
        round_=round_,
        user=cast.expert,
        kind=PanelMember.Kind.EXTERNAL,
        declaration="与被复核单位无利益关系",
        is_chair=True,
    )
    assignment = services.assignment_create(actor=cast.quality_officer, member=chair, report=report)
    # not the expert's to do before the review opens
    assert not rows_for(client, cast.expert, assignment)
    client.force_login(cast.quality_officer)
    published = client.post(round_url, {"step": "publish"})
    # published, not yet under review: the home page's card says what the inbox says
    assert not rows_for(client, cast.expert, assignment) and expert_card(client, cast.expert) == 0
    client.force_login(cast.quality_officer)
    assert published.status_code == 302
    round_.refresh_from_db()
    assert round_.status == "disclosed"
    assert [r.flow_task.name for r in rows_for(client, cast.quality_officer, round_)] == [
        "open_review"
    ]
    # the report's own steps ended with its publication
    assert not steps.processes_of(report).filter(status="NEW").exists()
    services.round_start(actor=cast.quality_officer, round_=round_, today=start)
    assert not rows_for(client, cast.quality_officer, round_)
    assert [r.flow_task.name for r in rows_for(client, cast.expert, round_)] == ["conclude"]
    mine = rows_for(client, cast.expert, assignment)
    assert [r.flow_task.name for r in mine] == ["review"]
    assert expert_card(client, cast.expert) == 1
    assert mine[0].url == reverse("review:assignment_detail", args=[assignment.pk])
    line = progress(client, cast.expert, mine[0].url)
    assert [str(s.who) for s in line.current] == [str(cast.expert)]
    record_findings(cast.expert, ReviewAssignment.objects.get(pk=assignment.pk), matching=100)
    assert not rows_for(client, cast.expert, assignment)
    line = progress(client, cast.quality_officer, round_url)
    assert [str(s.outcome) for s in line.done] == [
        str(RoundFlow.table.outcomes[code]) for code in ("published", "started")
    ]
    assert [str(s.who) for s in line.current] == [str(cast.expert)]
    services.conclusion_sign(actor=cast.expert, round_=round_, report=report)
    assert ReviewRound.objects.get(pk=round_.pk).status == "concluded"
    assert not rows_for(client, cast.expert, round_)
    line = progress(client, cast.quality_officer, round_url)
    assert not line.current and len(line.done) == 3


def test_the_backfill_opens_the_steps_of_existing_reports_once(cast, client):
    report = filled_report(cast.xx_member, cast.units.xx, shipped_catalogue())
    services.report_submit(actor=cast.xx_member, report=report)
    steps.processes_of(report).delete()
    assert not rows_for(client, cast.xx_leader, report)
    assert backfill() == 1 and backfill() == 0
    assert [r.flow_task.name for r in rows_for(client, cast.xx_leader, report)] == ["approve"]
    assert steps.processes_of(report).count() == 1
