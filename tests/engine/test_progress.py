"""The progress line (engine.selectors.progress, {% progress_line %}) on the pages of processes
that are not step tables: a case and a plan's approval. A reporter who hid their identity stays
hidden in it."""

from django.urls import reverse
from viewflow.workflow.models import Task

from cases.flows import CaseFlow
from cases.models import Status as S
from engine.models import Notification
from tests.cases.factories import advance, body_of, file_case, grade
from tests.workflows.plans.factories import draft_plan


def line(client, user, url):
    client.force_login(user)
    page = client.get(url)
    assert page.status_code == 200
    return page.context["progress"], page.content.decode()


def test_a_case_page_shows_who_acts_now_and_what_comes_after(cast, client):
    case = file_case(cast.teacher, cast.units.rj, reporter_hidden=True)
    progress, html = line(client, cast.xx_leader, case.get_absolute_url())
    assert [s.who for s in progress.current] == ["信息工程系"]
    assert progress.current[0].due is not None  # the acceptance deadline
    assert len(progress.after) >= 5 and not progress.done
    assert 'id="progress"' in html
    case = advance(cast, case, S.CLOSED)
    progress, html = line(client, cast.xx_leader, case.get_absolute_url())
    assert not progress.current and not progress.after
    rated = progress.done[-1]
    assert rated.who == "（已隐藏）"
    assert cast.teacher.full_name not in html
    assert progress.done[0].who == str(cast.xx_leader) and progress.done[0].outcome


def test_a_step_another_step_closed_says_so_not_the_other_steps_outcome(cast, client):
    """认定 taken while the findings were open closes the findings step, and feedback with no
    notice closes the notice step: each says which step closed it, as the body clicks them."""
    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.INVESTIGATING)
    client.force_login(body_of(cast, case))
    determined = client.post(
        reverse("cases:action", args=[case.pk, "determine"]),
        {
            "grade": grade("一般").pk,
            "responsible_unit": cast.units.rj.pk,
            "responsible_person": "某教师",
            "findings": "教师迟到属实。",
        },
    )
    assert determined.status_code == 302
    told = client.post(reverse("cases:action", args=[case.pk, "feedback"]), {"outcome": "已批评。"})
    assert told.status_code == 302
    progress, html = line(client, body_of(cast, case), case.get_absolute_url())
    outcomes = {s.title: s.outcome for s in progress.done}
    assert outcomes["调查并记录调查结果"] == "由“认定”办结"
    assert outcomes["下发整改通知书"] == "由“反馈处理结果”办结"
    assert outcomes["受理或不予受理"] == "受理"  # a step's own outcome is still its own
    # the investigator named on the findings step did nothing: the one who determined closed it
    who = {s.title: s.who for s in progress.done}
    findings = Task.objects.get(process__caseprocess__case=case, flow_task=CaseFlow.findings)
    assert findings.owner_id is not None and findings.owner != body_of(cast, case)
    assert who["调查并记录调查结果"] == str(body_of(cast, case))
    # and the investigator is told her step closed, in her language
    told = Notification.objects.get(recipient=findings.owner, kind="case.investigation_closed")
    assert "已在记录调查结果前认定" in told.body and case.number in told.title
    assert "调查并记录调查结果</strong> · 由“认定”办结" in html


def test_a_plan_page_shows_the_review_then_the_committee(cast, client):
    plan = draft_plan(cast)
    client.force_login(cast.quality_officer)
    client.post(reverse("plans:item_submit", args=["plan", plan.pk]))
    url = reverse("plans:item_detail", args=["plan", plan.pk])
    progress, _html = line(client, cast.quality_officer, url)
    assert [s.who for s in progress.current] == [str(cast.quality_officer)]
    assert len(progress.after) == 1
    client.post(reverse("plans:item_review", args=["plan", plan.pk]), {"decision": "approve"})
    progress, _html = line(client, cast.quality_officer, url)
    assert [s.who for s in progress.current] == ["质量保证委员会"]
    assert [s.who for s in progress.done] == [str(cast.quality_officer)]
