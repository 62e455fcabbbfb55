"""The progress line says when a step was handed on (转办): for EVERY flow the 转办 is walked
through (tests/engine/test_holders.py's scenarios), the object's page names who handed the open
step to whom, and still does once the step is done; a hidden reporter stays hidden in it; a page
with nothing handed on reads no more than it did before."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from viewflow.workflow.models import Task

from accounts.models import Membership, Role
from cases.confidential.flows import ReportFlow as ConfidentialFlow
from engine import holders, selectors, services
from tests.cases.factories import file_case
from tests.engine.test_delegation import plan_task, step_of
from tests.engine.test_holders import SCENARIOS, _click, _reassign, _status, _unit_of
from tests.factories import UserFactory
from workflows.monitoring.flows import ReadingFlow
from workflows.review.flows import RoundFlow

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _page(client, user, url):
    client.force_login(user)
    page = client.get(url, **ZH)
    assert page.status_code == 200, url
    return page.context["progress"], page.content.decode()


def _line(html):
    return html.split('id="progress"', 1)[1].split("</section>", 1)[0]


# a reading is approved from the approvals list: it has no page of its own with a progress line
WITH_A_PAGE = [f for f in SCENARIOS if f is not ReadingFlow]


def _object_page(obj, task):
    if hasattr(obj, "get_absolute_url"):
        return obj.get_absolute_url()
    return task.flow_task.flow_class.instance.task_url(task)


@pytest.mark.parametrize("flow_class", WITH_A_PAGE, ids=lambda f: f.__name__)
def test_every_flows_page_says_who_handed_the_step_to_whom(
    flow_class, cast, client, mon, approved, django_capture_on_commit_callbacks
):
    obj, posts, after = SCENARIOS[flow_class](cast, client, mon, approved)
    task = holders.open_tasks(obj)[0]
    unit = _unit_of(task)
    leader = UserFactory(full_name="钱进")
    Membership.objects.create(user=leader, org_unit=unit, role=Role.DEPARTMENT_LEADER)
    person = UserFactory(full_name="孙敏")
    Membership.objects.create(user=person, org_unit=unit, role=Role.TEACHER)
    url = _object_page(obj, task)
    # who sees the object's page anyway: the unit's leader (a confidential report: its office;
    # a review round: the quality office that runs it)
    seer = {ConfidentialFlow: cast.discipline_officer, RoundFlow: cast.quality_officer}.get(
        flow_class, leader
    )
    _progress, html = _page(client, seer, url)
    assert "handed" not in _line(html)

    assert _reassign(client, leader, task, person).status_code == 302
    # whoever opens the page: one who sees it anyway, the person who holds the step now
    for viewer in (seer, person):
        progress, html = _page(client, viewer, url)
        [step] = [s for s in progress.current if s.task.pk == task.pk]
        assert step.who == "孙敏" and step.handed == [("钱进", "孙敏")]
        assert '孙敏<span class="muted handed">（由钱进转办）</span>' in _line(html)
    with translation.override("en"):
        # an English bracket after a space, the Chinese one right after the name
        assert step.handed_text == " (handed on by 钱进)"

    with django_capture_on_commit_callbacks(execute=True):
        _click(client, person, posts)
    assert _status(obj) == after
    # done, the step keeps saying it was handed on (a confidential report's office page shows
    # it to the office, not to whoever did one step of it)
    progress, html = _page(client, seer, url)
    [step] = [s for s in progress.done if s.title == str(task.title)]
    assert step.who == "孙敏" and step.handed == [("钱进", "孙敏")]
    assert '孙敏<span class="handed">（由钱进转办）</span> · ' in _line(html)
    if flow_class is not ConfidentialFlow:
        _progress, html = _page(client, person, url)
        assert "（由钱进转办）" in _line(html)


def test_a_plan_tasks_page_says_why_someone_else_acts_and_each_hand_on(cast, client):
    """A plan task waits for its lead team's leader (责任人 —): handed on twice, the line names
    both hands, oldest first, for the people who see the page."""
    task = plan_task(cast, lead_unit=cast.units.rj)
    step = step_of(task)
    assert _reassign(client, cast.xx_leader, step, cast.software_member).status_code == 302
    assert _reassign(client, cast.xx_leader, step, cast.teacher).status_code == 302
    for viewer in (cast.xx_leader, cast.software_lead, cast.teacher):
        progress, html = _page(client, viewer, task.get_absolute_url())
        assert progress.current[0].handed == [("刘伟", "何燕"), ("刘伟", "吴芳")]
        assert '吴芳<span class="muted handed">（刘伟转办给何燕；刘伟转办给吴芳）</span>' in html


def test_a_cases_step_is_not_handed_to_its_reporter_and_a_hidden_one_stays_hidden(cast, client):
    """The reporter (here a teacher of the department who hid their identity) would get a step
    nobody could do: the 转办 is refused without saying they filed it. The leader who files a
    case hidden and hands its acceptance on is named to nobody but themselves."""
    case = file_case(cast.teacher, cast.units.rj, reporter_hidden=True)
    task = holders.open_tasks(case)[0]
    client.force_login(cast.xx_leader)
    form = client.get(reverse("engine:task_reassign", args=[task.pk])).context["form"]
    assert cast.teacher not in form.fields["to_user"].queryset
    assert cast.software_member in form.fields["to_user"].queryset
    refused = _reassign(client, cast.xx_leader, task, cast.teacher)
    assert refused.status_code == 200 and refused.context["form"].errors["to_user"]
    with pytest.raises(ValidationError) as raised:
        services.task_reassign(actor=cast.xx_leader, task=task, to_user=cast.teacher, reason="试")
    [error] = raised.value.message_dict["to_user"]
    assert error == f"{cast.teacher}不得办理此步骤：与本案有利害关系的人员不办理本案（回避）。"
    assert "报告" not in error and "投诉" not in error
    assert Task.objects.get(pk=task.pk).owner_id is None

    case = file_case(cast.xx_leader, cast.units.rj, reporter_hidden=True)
    task = holders.open_tasks(case)[0]
    assert _reassign(client, cast.xx_leader, task, cast.software_member).status_code == 302
    for viewer in (cast.software_member, cast.quality_officer):
        progress, html = _page(client, viewer, case.get_absolute_url())
        assert progress.current[0].handed == [("（已隐藏）", str(cast.software_member))]
        assert f'{cast.software_member}<span class="muted handed">（由（已隐藏）转办）</span>' in (
            _line(html)
        )
        assert cast.xx_leader.full_name not in _line(html)
    progress, _html = _page(client, cast.xx_leader, case.get_absolute_url())
    assert progress.current[0].handed == [(str(cast.xx_leader), str(cast.software_member))]


def test_a_page_with_nothing_handed_on_reads_no_more_than_before(cast, client, monkeypatch):
    """Nothing handed on: the task page runs the queries it ran before the line said anything
    of 转办 (the handover reading taken out). Handed on: the line reads the people once."""
    quiet = plan_task(cast, lead_unit=cast.units.rj)
    handed = plan_task(cast, title="修订课程标准", lead_unit=cast.units.rj)
    assert _reassign(client, cast.xx_leader, step_of(handed), cast.teacher).status_code == 302
    client.force_login(cast.software_lead)

    def queries(url):
        client.get(url)  # warm caches (content types, the handed-on list)
        with CaptureQueriesContext(connection) as seen:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in seen]

    def people_read(sqls):
        return [q for q in sqls if 'FROM "accounts_user" WHERE "accounts_user"."id" IN' in q]

    now = {obj: queries(obj.get_absolute_url()) for obj in (quiet, handed)}
    with monkeypatch.context() as before:
        before.setattr(selectors, "_handed_marks", lambda tasks: {})
        then = {obj: queries(obj.get_absolute_url()) for obj in (quiet, handed)}
    assert len(now[quiet]) == len(then[quiet]) and not people_read(now[quiet])
    assert len(now[handed]) == len(then[handed]) + 1
    assert len(people_read(now[handed])) == len(people_read(then[handed])) + 1
