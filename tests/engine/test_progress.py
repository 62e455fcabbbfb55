"""The progress line (engine.selectors.progress, {% progress_line %}) on the pages of processes
that are not step tables: a case and a plan's approval. A reporter who hid their identity stays
hidden in it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from accounts.models import AuditEntry
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


def _determine_before_the_findings(cast, client, reporter=None, **kw):
    """A case the body determines while its sole investigator has not recorded findings, then
    tells the reporter the outcome with no notice, as the body clicks it."""
    case = advance(cast, file_case(reporter or cast.teacher, cast.units.rj, **kw), S.INVESTIGATING)
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
    return case


def test_a_step_another_step_closed_says_so_not_the_other_steps_outcome(cast, client):
    """认定 taken while the findings were open closes the findings step, and feedback with no
    notice closes the notice step: each says which step closed it, and the step taken has a row
    of its own after it, naming who took it and when."""
    case = _determine_before_the_findings(cast, client)
    body = body_of(cast, case)
    progress, html = line(client, body, case.get_absolute_url())
    titles = [s.title for s in progress.done]
    assert titles[titles.index("调查并记录调查结果") :] == [
        "调查并记录调查结果",
        "认定",
        "下发整改通知书",
        "反馈处理结果",
    ]
    rows = {s.title: s for s in progress.done}
    assert rows["调查并记录调查结果"].outcome == "由“认定”办结"
    assert rows["下发整改通知书"].outcome == "由“反馈处理结果”办结"
    assert rows["受理或不予受理"].outcome == "受理"  # a step's own outcome is still its own
    # the investigator named on the findings step did nothing, and the one who determined did
    # not do the findings: the findings row names nobody, the 认定 row the one who determined
    findings = Task.objects.get(process__caseprocess__case=case, flow_task=CaseFlow.findings)
    assert findings.owner_id is not None and findings.owner != body
    assert rows["调查并记录调查结果"].who == "" and rows["下发整改通知书"].who == ""
    assert rows["认定"].who == rows["反馈处理结果"].who == str(body)
    assert rows["认定"].outcome == "" and rows["反馈处理结果"].outcome == ""
    # when: the moment 认定 closed the findings step, which the audit trail records too
    assert rows["认定"].when == rows["调查并记录调查结果"].when == findings.finished
    audited = AuditEntry.objects.get(action="case.determine", object_id=str(case.pk))
    assert audited.actor == body
    assert abs((audited.created_at - rows["认定"].when).total_seconds()) < 5
    # and the investigator is told her step closed, in her language
    told = Notification.objects.get(recipient=findings.owner, kind="case.investigation_closed")
    assert "已在记录调查结果前认定" in told.body and case.number in told.title
    when = f"{timezone.localtime(findings.finished):%Y-%m-%d %H:%M}"
    closed = f'调查并记录调查结果</strong> · 由“认定”办结\n      <div class="muted">{when}</div>'
    assert closed in html
    assert f'<strong>认定</strong>\n      <div class="muted">{body} · {when}</div>' in html
    assert findings.owner.full_name not in html.split('id="progress"', 1)[1]


def test_a_hidden_reporter_is_not_named_on_the_row_of_a_step_taken_from_another(cast, client):
    """Who took a step from another one is named as the case lets the reader see people: had the
    hidden reporter done it, the row would say (hidden), not who they are."""
    case = _determine_before_the_findings(cast, client, reporter_hidden=True)
    findings = Task.objects.get(process__caseprocess__case=case, flow_task=CaseFlow.findings)
    findings.data = {**findings.data, "by": cast.teacher.pk}
    findings.save(update_fields=["data"])
    progress, html = line(client, cast.quality_officer, case.get_absolute_url())
    assert {s.title: s.who for s in progress.done}["认定"] == "（已隐藏）"
    assert cast.teacher.full_name not in html


def test_steps_closed_in_someone_elses_stead_are_read_in_one_go(cast, client, settings):
    """The people who closed steps from another step or in their owner's stead are read with
    the rest of the progress line: the case page does not read more for two such steps (认定
    closing the findings, the body closing the reporter's 评价 step) than for one."""
    settings.CASES_RATING_DAYS = 0  # the body closes at once, in the reporter's stead

    def queries(case):
        url = case.get_absolute_url()
        client.force_login(body_of(cast, case))
        client.get(url)  # warm caches (content types)
        with CaptureQueriesContext(connection) as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    rated = _determine_before_the_findings(cast, client)
    client.force_login(cast.teacher)
    assert (
        client.post(
            reverse("cases:action", args=[rated.pk, "rate"]), {"satisfaction": 5}
        ).status_code
        == 302
    )
    closed = _determine_before_the_findings(cast, client)
    client.force_login(body_of(cast, closed))
    assert client.post(reverse("cases:action", args=[closed.pk, "close"])).status_code == 302

    def stead(case):
        tasks = Task.objects.filter(process__caseprocess__case=case)
        return sorted(t.flow_task.name for t in tasks if "by" in t.data)

    assert stead(rated) == ["findings"] and stead(closed) == ["close", "findings"]
    progress, _html = line(client, body_of(cast, closed), closed.get_absolute_url())
    assert progress.done[-1].who == str(body_of(cast, closed)) and not progress.current
    assert queries(closed) == queries(rated)


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
