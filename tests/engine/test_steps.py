"""The step tables (engine.steps): a process's human step reaches the one inbox of everyone
holding its seat, leaves all of them once done, and the object page's progress line says who
must act. Walked through the pages as the people concerned click them."""

from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Membership, Role
from cases.complaints.models import Supervision
from tests.cases.factories import file_case
from tests.factories import UserFactory


def inbox_rows(client, user, **params):
    client.force_login(user)
    page = client.get(reverse("engine:inbox"), params)
    assert page.status_code == 200
    return page.context["rows"]


def supervise(client, cast, case):
    client.force_login(cast.discipline_officer)
    sent = client.post(
        reverse("complaints:supervise", args=[case.pk]),
        {"request": "请于期限内受理并答复。", "working_days": 3},
    )
    assert sent.status_code == 302
    return Supervision.objects.get(case=case)


def test_supervision_waits_for_every_leader_of_the_body_until_one_answers(cast, client):
    second = UserFactory(full_name="第二负责人")
    Membership.objects.create(user=second, org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER)
    case = file_case(cast.teacher, cast.units.rj, reporter_hidden=True)
    supervision = supervise(client, cast, case)
    for leader in (cast.xx_leader, second):
        rows = [r for r in inbox_rows(client, leader) if r.obj == supervision]
        assert len(rows) == 1, leader
        row = rows[0]
        assert str(row.title) == "Answer the supervision request" or row.title
        assert row.url == supervision.get_absolute_url()
        assert row.unit == cast.units.xx and row.due == supervision.due_at
        assert case.number in row.about
    assert not [r for r in inbox_rows(client, cast.jd_leader) if r.obj == supervision]
    client.force_login(cast.xx_leader)
    line = client.get(supervision.get_absolute_url()).context["progress"]
    assert [str(s.who) for s in line.current] == ["信息工程系 部门负责人"]
    assert line.current[0].due == supervision.due_at and not line.done
    answered = client.post(supervision.get_absolute_url(), {"answer": "已受理，正在调查。"})
    assert answered.status_code == 302
    for leader in (cast.xx_leader, second):
        assert not [r for r in inbox_rows(client, leader) if r.obj == supervision], leader
    done = Task.objects.get(flow_task_type="HUMAN", status=STATUS.DONE, owner=cast.xx_leader)
    assert done.data["outcome"] == "answered"
    line = client.get(supervision.get_absolute_url()).context["progress"]
    assert not line.current and [(str(s.who), str(s.outcome)) for s in line.done] == [
        (str(cast.xx_leader), "已答复")
    ]


def test_a_confidential_report_waits_for_the_office_step_by_step(cast, client):
    from cases.confidential.models import Report
    from tests.cases.confidential.factories import file_report

    second = UserFactory(full_name="第二纪检员")
    Membership.objects.create(user=second, org_unit=cast.units.jw, role=Role.DISCIPLINE_OFFICER)
    report, _code = file_report()
    walk = [
        ("start_check", "", "start_check"),
        ("file_case", "", "decide_filing"),
        ("investigate", "", "investigate"),
        ("conclude", "问题属实", "conclude"),
        ("handle", "责令退回经费", "handle"),
        ("answer_reporter", "已处理。", "answer"),
        ("close", "", "close"),
    ]
    for index, (action, text, step) in enumerate(walk):
        for officer in (cast.discipline_officer, second):
            rows = [r for r in inbox_rows(client, officer) if r.obj == report]
            assert [r.flow_task.name for r in rows] == [step], (action, officer)
            assert rows[0].url == report.get_absolute_url()
        assert not [r for r in inbox_rows(client, cast.quality_officer) if r.obj == report]
        client.force_login(cast.discipline_officer if index % 2 else second)
        line = client.get(report.get_absolute_url()).context["progress"]
        assert len(line.current) == 1 and len(line.done) == index
        assert [str(s.who) for s in line.current] == ["纪委办公室 纪委工作人员"]
        response = client.post(
            reverse("confidential:office_advance", args=[report.pk]),
            {"action": action, "text": text},
        )
        assert response.status_code == 302, action
    report.refresh_from_db()
    assert report.status == "closed"
    for officer in (cast.discipline_officer, second):
        assert not [r for r in inbox_rows(client, officer) if r.obj == report]
    line = client.get(report.get_absolute_url()).context["progress"]
    assert not line.current and len(line.done) == len(walk)
    assert {s.who for s in line.done} == {str(cast.discipline_officer), str(second)}
    assert Report.objects.get(pk=report.pk).reporter_id is None


def test_one_holder_takes_a_seats_task_and_the_others_no_longer_see_it(cast, client):
    from accounts.models import AuditEntry

    second = UserFactory(full_name="第二负责人")
    Membership.objects.create(user=second, org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER)
    supervision = supervise(client, cast, file_case(cast.teacher, cast.units.rj))
    [row] = [r for r in inbox_rows(client, second) if r.obj == supervision]
    assert row.claimable
    client.force_login(cast.jd_leader)
    assert client.post(reverse("engine:task_claim", args=[row.pk])).status_code == 403
    client.force_login(second)
    assert client.post(reverse("engine:task_claim", args=[row.pk])).status_code == 302
    assert [r.obj for r in inbox_rows(client, second) if r.obj == supervision] == [supervision]
    assert not [r for r in inbox_rows(client, cast.xx_leader) if r.obj == supervision]
    assert client.post(reverse("engine:task_claim", args=[row.pk])).status_code == 403
    assert AuditEntry.objects.filter(action="task.claim", actor=second).exists()
    line = client.get(supervision.get_absolute_url()).context["progress"]
    assert [s.who for s in line.current] == [str(second)]
