"""CaseFlow: the viewflow process follows the case whichever way a step is taken (API, case
pages, task pages), hands each step to the right people, and never disagrees with the case."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from cases import services
from cases.flows import OPEN, CaseFlow
from cases.models import Case, CaseProcess
from cases.models import Status as S

from .factories import advance, category, file_case, grade, unit_head

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue")]


def case_tasks(case):
    return Task.objects.filter(process__caseprocess__case=case, flow_task_type="HUMAN").order_by(
        "pk"
    )


def open_node(case):
    tasks = list(case_tasks(case).filter(status__in=OPEN))
    assert len(tasks) <= 1, tasks
    return tasks[0].flow_task.name if tasks else None


def done_nodes(case):
    return [t.flow_task.name for t in case_tasks(case).filter(status=STATUS.DONE)]


def api(client, case, action, data=None):
    response = client.post(
        f"/api/v1/cases/{case.pk}/{action}/", data or {}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response


def api_notice(client, notice, action, data=None):
    response = client.post(
        f"/api/v1/cases/notices/{notice.pk}/{action}/",
        data or {},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def test_api_drives_the_process_through_the_whole_lifecycle(cast, client):
    u = cast.units
    jwc_head = unit_head(u.jwc)
    case = file_case(cast.student, u.jwc, category=category("考试"))
    assert open_node(case) == "accept"
    process = CaseProcess.objects.get(case=case)
    assert process.flow_class is CaseFlow and process.status == PROCESS.NEW

    client.force_login(cast.quality_officer)
    api(client, case, "accept")
    assert open_node(case) == "classify"
    api(client, case, "classify", {"category": category("考试").pk, "grade": grade("严重").pk})
    api(client, case, "investigate", {"investigators": [cast.xx_member.pk]})
    task = case_tasks(case).get(status__in=OPEN)
    # the sole investigator gets the findings task by name
    assert task.flow_task.name == "findings" and task.owner == cast.xx_member

    client.force_login(cast.xx_member)
    api(client, case, "findings", {"findings": "排考冲突。", "responsible_unit": u.jwc.pk})
    assert open_node(case) == "determine"
    determination = {
        "grade": grade("严重").pk,
        "responsible_unit": u.jwc.pk,
        "responsible_person": "考务科",
        "findings": "排考冲突。",
    }
    client.force_login(cast.quality_officer)
    api(client, case, "determine", determination)
    assert open_node(case) == "approve"
    client.force_login(cast.committee_member)
    api(client, case, "approve", {"decision": "send_back", "comment": "补充访谈。"})
    assert open_node(case) == "determine"  # committee send-back
    client.force_login(cast.quality_officer)
    api(client, case, "determine", determination)
    client.force_login(cast.chair)
    api(client, case, "approve", {"decision": "approve"})
    assert open_node(case) == "approve"  # a vote: the committee's majority is both members
    client.force_login(cast.committee_member)
    api(client, case, "approve", {"decision": "approve"})
    assert open_node(case) == "issue_notice"

    client.force_login(cast.quality_officer)
    notice_form = {"kind": "rectification", "facts": "冲突", "requirements": "改"}
    api(client, case, "issue_notice", notice_form)
    notice = case.notices.get()
    assert open_node(case) == "receipt"
    client.force_login(jwc_head)
    api_notice(client, notice, "receipt")
    assert open_node(case) == "rectify"
    for round_ in range(3):
        client.force_login(jwc_head)
        api_notice(client, notice, "rectification_report", {"text": f"第{round_ + 1}次"})
        assert open_node(case) == "verify"
        client.force_login(cast.quality_officer)
        if round_ < 2:  # returned for re-work twice
            api_notice(client, notice, "verify", {"verdict": "return", "reason": "佐证不足"})
            assert open_node(case) == "rectify"
    api_notice(client, notice, "verify", {"verdict": "accept"})
    assert open_node(case) == "feedback"
    api(client, case, "feedback", {"outcome": "已整改。"})
    task = case_tasks(case).get(status__in=OPEN)
    assert task.flow_task.name == "close" and task.owner == cast.student
    client.force_login(cast.student)
    api(client, case, "rate", {"satisfaction": 5})

    assert Case.objects.get(pk=case.pk).status == S.CLOSED
    assert done_nodes(case) == [
        "accept",
        "classify",
        "investigate",
        "findings",
        "determine",
        "approve",
        "determine",
        "approve",
        "issue_notice",
        "receipt",
        *["rectify", "verify"] * 3,
        "feedback",
        "close",
    ]
    process.refresh_from_db()
    assert process.status == PROCESS.DONE and process.finished
    assert open_node(case) is None
    # who completed each step is on the task
    assert case_tasks(case).get(flow_task=CaseFlow.accept).owner == cast.quality_officer


def task_url(client, case):
    """The link of the case's row in the user's inbox (the task page)."""
    page = client.get(reverse("cases:inbox")).context["page"]
    rows = [c for c in page.object_list if c.pk == case.pk]
    assert rows, "the case is not in the inbox"
    return rows[0].task_url


def do_task(client, case, data=None, action=None, expect=302):
    url = task_url(client, case)
    if action:
        url += f"?action={action}"
    assert client.get(url).status_code == 200
    response = client.post(url, data or {})
    assert response.status_code == expect, (
        getattr(response, "context", None) and response.context["form"].errors
    )
    return Case.objects.get(pk=case.pk)


def test_task_pages_drive_the_case(cast, client):
    """Each actor opens the task from their inbox and completes it on the task page."""
    u = cast.units
    jwc_head = unit_head(u.jwc)
    case = file_case(cast.teacher, u.jwc)
    client.force_login(cast.quality_officer)
    assert do_task(client, case).status == S.ACCEPTED
    case = do_task(client, case, {"category": category().pk, "grade": grade().pk})
    assert case.status == S.CLASSIFIED
    case = do_task(client, case, {"investigators": [cast.xx_member.pk, cast.xx_leader.pk]})
    assert case.status == S.INVESTIGATING
    # two investigators: nobody by name, both see the task
    client.force_login(cast.xx_leader)
    task_url(client, case)
    client.force_login(cast.xx_member)
    case = do_task(client, case, {"findings": "迟到属实。", "responsible_unit": u.jwc.pk})
    assert open_node(case) == "determine"
    # the investigator has no determine task: the case left their inbox
    assert case not in client.get(reverse("cases:inbox")).context["page"].object_list
    client.force_login(cast.quality_officer)
    case = do_task(
        client,
        case,
        {
            "grade": grade().pk,
            "responsible_unit": u.jwc.pk,
            "responsible_person": "某教师",
            "findings": "迟到属实。",
        },
    )
    assert case.status == S.DETERMINED
    case = do_task(client, case, {"kind": "rectification", "facts": "迟到", "requirements": "考勤"})
    assert case.status == S.RECTIFYING
    client.force_login(jwc_head)
    case = do_task(client, case)
    assert case.notices.get().status == "received" and open_node(case) == "rectify"
    for verdict in ("return", "return", "accept"):
        client.force_login(jwc_head)
        case = do_task(client, case, {"text": "已整改"})
        assert case.status == S.VERIFYING
        client.force_login(cast.quality_officer)
        case = do_task(client, case, {"verdict": verdict, "reason": "不足"})
    assert case.status == S.RECTIFIED
    case = do_task(client, case, {"outcome": "已处理"})
    assert case.status == S.FEEDBACK
    client.force_login(cast.teacher)
    case = do_task(client, case, {"satisfaction": "4"}, action="rate")
    assert case.status == S.CLOSED and case.satisfaction == 4
    assert open_node(case) is None
    assert done_nodes(case).count("verify") == 3


def test_task_page_access(cast, client):
    case = file_case(cast.student, cast.units.jwc)
    task = case_tasks(case).get()
    url = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
    assert url.startswith("/cases/tasks/")
    client.force_login(cast.jd_leader)  # may not see the case
    assert client.get(url).status_code == 404
    client.force_login(cast.student)  # the reporter sees it and may only withdraw
    page = client.get(url)
    assert page.status_code == 200 and page.context["action"] == "withdraw"
    client.force_login(cast.quality_officer)  # the task page says what the case is about
    assert "上课迟到二十分钟" in client.get(url).content.decode()
    client.force_login(cast.student)
    assert client.get(url + "?action=accept").status_code == 403
    client.force_login(cast.quality_officer)
    client.post(url, {})
    assert Case.objects.get(pk=case.pk).status == S.ACCEPTED
    # a done task's page says so and leads back to the case
    response = client.get(url)
    assert response.status_code == 302 and response.url == case.get_absolute_url()
    # an illegal step on a stale page: nothing happens, the process is untouched
    assert client.post(url + "?action=refuse", {"reason": "x"}).status_code == 302
    assert open_node(case) == "classify"


def test_withdraw_refuse_reopen_and_transfer(cast, client):
    u = cast.units
    # withdrawn by the complainant: the body's acceptance task is done, the process ends
    case = file_case(cast.teacher, u.rj_python)
    assert case.accepting_unit == u.xx and open_node(case) == "accept"
    services.case_escalate(actor=cast.xx_leader, case=case, reason="全院问题")
    assert done_nodes(case) == ["accept"] and open_node(case) == "accept"
    client.force_login(cast.xx_leader)
    assert case not in client.get(reverse("cases:inbox")).context["page"].object_list
    client.force_login(cast.quality_officer)
    assert case in client.get(reverse("cases:inbox")).context["page"].object_list
    services.case_transfer(actor=cast.quality_officer, case=case, to_unit=u.jd, reason="机电")
    client.force_login(cast.jd_leader)
    assert case in client.get(reverse("cases:inbox")).context["page"].object_list
    services.case_withdraw(actor=cast.teacher, case=case, reason="已解决")
    assert open_node(case) is None and done_nodes(case) == ["accept"] * 3
    assert CaseProcess.objects.get(case=case).status == PROCESS.DONE

    # refused, then reopened by the quality office: a new round with its own process
    case = file_case(cast.student, u.jwc)
    services.case_refuse(actor=cast.quality_officer, case=case, reason="不属于")
    assert CaseProcess.objects.get(case=case).status == PROCESS.DONE
    services.case_reopen(actor=cast.quality_officer, case=case, reason="新情况")
    assert CaseProcess.objects.filter(case=case).count() == 2
    assert open_node(case) == "classify"

    # a closed case reopened
    case = advance(cast, file_case(cast.student, u.jwc), S.CLOSED, responsible_unit=u.rj)
    assert open_node(case) is None
    services.case_reopen(actor=cast.quality_officer, case=case, reason="复发")
    assert open_node(case) == "classify"
    assert CaseProcess.objects.filter(case=case, status=PROCESS.NEW).count() == 1


def test_hidden_reporter_is_never_named_on_a_task(cast):
    case = file_case(cast.student, cast.units.jwc, reporter_hidden=True)
    case = advance(cast, case, S.FEEDBACK, responsible_unit=cast.units.rj)
    task = case_tasks(case).get(status__in=OPEN)
    assert task.flow_task.name == "close" and task.owner is None
    services.case_rate(actor=cast.student, case=case, satisfaction=3)
    assert not case_tasks(case).filter(owner=cast.student).exists()


def test_start_processes_command_is_idempotent(cast):
    a = file_case(cast.student, cast.units.jwc)
    b = advance(cast, file_case(cast.student, cast.units.jwc), S.INVESTIGATING)
    closed = advance(cast, file_case(cast.student, cast.units.jwc), S.CLOSED)
    # cases from before the flow: no process
    CaseProcess.objects.filter(case__in=[a, b, closed]).delete()
    call_command("cases_start_processes", verbosity=0)
    call_command("cases_start_processes", verbosity=0)
    assert open_node(a) == "accept" and open_node(b) == "findings"
    assert not CaseProcess.objects.filter(case=closed).exists()
    assert CaseProcess.objects.filter(case__in=[a, b]).count() == 2
    services.case_accept(actor=cast.quality_officer, case=a)
    assert open_node(a) == "classify"


def test_the_sole_investigators_home_page_lists_their_tasks_in_constant_queries(
    cast, client, django_assert_max_num_queries
):
    def investigate(n):
        cases = [file_case(cast.teacher, cast.units.jwc, title=f"课堂秩序{i}") for i in range(n)]
        for case in cases:
            advance(cast, case, S.INVESTIGATING)
        return cases

    client.force_login(cast.xx_member)
    [first] = investigate(1)
    client.get("/")  # per-process caches warm up
    with django_assert_max_num_queries(100) as one:
        client.get("/")
    investigate(3)
    with django_assert_max_num_queries(len(one.captured_queries)):
        home = client.get("/")
    rows = {row.process.brief: row for row in home.context["tasks"]}
    assert len(rows) == 4
    row = rows[f"{first.number} 课堂秩序0"]
    task = case_tasks(first).get(status=STATUS.ASSIGNED)
    assert row.url == task.flow_task.reverse("execute", args=[task.process_id, task.pk])
    assert f'href="{row.url}"' in home.content.decode()


def test_an_acceptance_locks_in_one_round_trip_and_writes_in_one(cast):
    # issue 14/19: the case-transition benchmark's step. Its locks (case row, then its open
    # tasks) go as one query; its writes (history row, case row, deadline, audit row, the
    # reporter's notification, the task done and the next opened) as one more.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engine import memo
    from engine.models import Deadline, Notification

    # as on a server connection whose LISTEN has committed (inside the test's transaction it
    # cannot): the memos (duty rules, seats) keep what they read, as tests/engine/
    # test_advance_queries.py does
    connection.ensure_connection()
    connection.connection._engine_memo = "listening"
    memo._forget_all()
    for held in memo.MEMOS.values():
        held._bypass = False
    warm, case = (file_case(cast.student, cast.units.jwc) for _ in range(2))
    try:
        services.case_accept(actor=cast.quality_officer, case=warm)
        with CaptureQueriesContext(connection) as captured:
            services.case_accept(actor=cast.quality_officer, case=Case(pk=case.pk))
    finally:
        connection.connection._engine_memo = None
    statements = [q["sql"] for q in captured.captured_queries]
    locks = [s for s in statements if "FOR UPDATE" in s]
    assert len(locks) == 1 and '"viewflow_task"' in locks[0], statements
    writes = [s for s in statements if s.lstrip().startswith(("INSERT", "UPDATE", "WITH"))]
    assert len(writes) == 1, [w[:80] + " … " + w[-300:] for w in writes]
    for table in (
        "django_fsm_log_statelog",
        "cases_case",
        "engine_deadline",
        "accounts_auditentry",
        "engine_notification",
        "viewflow_task",
    ):
        assert f'"{table}"' in writes[0], table
    assert Case.objects.get(pk=case.pk).status == S.ACCEPTED
    assert Deadline.objects.get(object_id=str(case.pk), kind="case.acceptance").status == "done"
    told = Notification.objects.filter(kind="case.accepted", object_id=str(case.pk))
    assert [n.recipient for n in told] == [cast.student]
    assert open_node(case) == "classify" and done_nodes(case) == ["accept"]
