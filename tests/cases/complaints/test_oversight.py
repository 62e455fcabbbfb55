"""The discipline office's oversight of every complaint and its supervision requests (督办),
clicked through as the office and the accepting body's leader."""

import io

from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEntry
from cases.complaints.models import Supervision
from cases.models import Status as S
from engine.models import Deadline, Notification
from engine.selectors import inbox_tasks, task_rows
from tests.cases.complaints.factories import file_anonymous
from tests.cases.factories import advance, file_case


def test_office_sees_every_complaint_without_hidden_identities_and_exports_it(cast, client):
    dept = file_case(cast.teacher, cast.units.rj, reporter_hidden=True, title="=1+1 公式")
    college = file_case(cast.student, cast.units.jwc, title="<script>alert(1)</script>")
    anonymous, _code = file_anonymous(cast.units.jd)
    report = file_case(cast.supervisor, cast.units.rj, kind="report", title="督导听课")
    advance(cast, college, S.CLOSED)
    client.force_login(cast.discipline_officer)
    page = client.get(reverse("complaints:oversight"))
    html = page.content.decode()
    shown = {row["case"] for row in page.context["rows"]}
    assert shown == {dept, college, anonymous} and report not in shown
    assert cast.teacher.full_name not in html and "&lt;script&gt;" in html
    closed = client.get(reverse("complaints:oversight"), {"status": S.CLOSED})
    assert {r["case"] for r in closed.context["rows"]} == {college}
    by_unit = client.get(reverse("complaints:oversight"), {"unit": cast.units.xx.pk})
    assert {r["case"] for r in by_unit.context["rows"]} == {dept}
    export = client.get(reverse("complaints:oversight_export"))
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert len(rows) == 4 and cast.teacher.full_name not in str(rows)
    titles = {r[1] for r in rows[1:]}
    assert "'=1+1 公式" in titles
    satisfaction = {r[0]: r[11] for r in rows[1:]}
    assert satisfaction[college.number] == 5
    detail = client.get(reverse("complaints:oversight_detail", args=[dept.pk]))
    assert detail.status_code == 200 and cast.teacher.full_name not in detail.content.decode()
    api = client.get("/api/v1/complaints/oversight/").json()["results"]
    assert {r["number"] for r in api} == {dept.number, college.number, anonymous.number}
    assert cast.teacher.username not in str(api)


def test_only_the_office_oversees(cast, client):
    for name in ("xx_leader", "quality_officer", "teacher", "chair"):
        client.force_login(getattr(cast, name))
        assert client.get(reverse("complaints:oversight")).status_code == 403, name
        assert client.get(reverse("complaints:oversight_export")).status_code == 403, name
        assert client.get("/api/v1/complaints/oversight/").status_code == 403, name


def test_overdue_filter_uses_the_engine_deadlines(cast, client):
    late = file_case(cast.teacher, cast.units.rj, title="迟迟未受理")
    file_case(cast.teacher, cast.units.rj, title="新投诉")
    Deadline.objects.filter(object_id=str(late.pk), kind="case.acceptance").update(
        due_at="2020-01-01T00:00:00Z"
    )
    client.force_login(cast.discipline_officer)
    page = client.get(reverse("complaints:oversight"), {"overdue": "on"})
    rows = page.context["rows"]
    assert [r["case"] for r in rows] == [late] and len(rows[0]["overdue"]) == 1


def test_supervision_request_lands_with_the_leader_and_needs_an_answer(cast, client):
    case = file_case(cast.teacher, cast.units.rj, reporter_hidden=True)
    client.force_login(cast.discipline_officer)
    empty = client.post(reverse("complaints:supervise", args=[case.pk]), {"request": ""})
    assert empty.status_code == 400 and not Supervision.objects.exists()
    sent = client.post(
        reverse("complaints:supervise", args=[case.pk]),
        {"request": "请于期限内受理并答复。", "working_days": 3},
    )
    assert sent.status_code == 302
    supervision = Supervision.objects.get()
    assert supervision.unit == cast.units.xx and supervision.is_open
    deadline = Deadline.objects.get(kind="case.supervision")
    assert deadline.owner_unit == cast.units.xx and deadline.due_at == supervision.due_at
    note = Notification.objects.get(kind="complaint.supervision")
    assert note.recipient == cast.xx_leader and case.number in note.title
    assert AuditEntry.objects.filter(
        action="case.supervise", object_id=str(case.pk), actor=cast.discipline_officer
    ).exists()
    rows = [r for r in task_rows(inbox_tasks(cast.xx_leader)) if r.obj == supervision]
    assert len(rows) == 1 and rows[0].due == deadline.due_at
    # others may not issue or answer
    client.force_login(cast.xx_leader)
    assert (
        client.post(reverse("complaints:supervise", args=[case.pk]), {"request": "x"}).status_code
        == 403
    )
    client.force_login(cast.jd_leader)
    assert client.get(supervision.get_absolute_url()).status_code == 404
    client.force_login(cast.xx_leader)
    home = client.get("/").content.decode()
    assert supervision.get_absolute_url() in home
    blank = client.post(supervision.get_absolute_url(), {"answer": " "})
    assert blank.status_code == 400
    answered = client.post(supervision.get_absolute_url(), {"answer": "已受理，正在调查。"})
    assert answered.status_code == 302
    supervision.refresh_from_db()
    assert supervision.status == Supervision.Status.ANSWERED
    assert supervision.answered_by == cast.xx_leader
    assert Deadline.objects.get(kind="case.supervision").status == "done"
    assert AuditEntry.objects.filter(
        action="case.supervision_answer", object_id=str(case.pk)
    ).exists()
    assert Notification.objects.filter(
        kind="complaint.supervision_answered", recipient=cast.discipline_officer
    ).exists()
    again = client.post(supervision.get_absolute_url(), {"answer": "再答"})
    assert again.status_code == 403
    client.force_login(cast.discipline_officer)
    detail = client.get(reverse("complaints:oversight_detail", args=[case.pk]))
    timeline = [e.action for e in detail.context["timeline"]]
    assert timeline == ["case.file", "case.supervise", "case.supervision_answer"]
    assert cast.teacher.full_name not in detail.content.decode()


def test_supervision_through_the_api(cast, client):
    case = file_case(cast.student, cast.units.jwc)
    client.force_login(cast.discipline_officer)
    made = client.post(
        f"/api/v1/complaints/{case.pk}/supervise/",
        {"request": "请加快办理。"},
        content_type="application/json",
    )
    assert made.status_code == 201
    pk = made.json()["id"]
    client.force_login(cast.quality_officer)
    bad = client.post(f"/api/v1/supervisions/{pk}/answer/", {}, content_type="application/json")
    assert bad.status_code == 400
    ok = client.post(
        f"/api/v1/supervisions/{pk}/answer/", {"answer": "已办结"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "answered"
    # answered already: nothing in the request is wrong, the request is past it (409, not 400)
    again = client.post(
        f"/api/v1/supervisions/{pk}/answer/", {"answer": "再答"}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json() == {"code": "conflict", "message": "该督办单已经答复。"}


def test_supervision_shows_on_the_case_page_of_the_accepting_body(cast, client):
    case = file_case(cast.teacher, cast.units.rj, reporter_hidden=True)
    client.force_login(cast.discipline_officer)
    client.post(
        reverse("complaints:supervise", args=[case.pk]),
        {"request": "请说明受理延误原因。", "working_days": 3},
    )
    client.force_login(cast.xx_leader)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "请说明受理延误原因。" in page
    assert cast.teacher.full_name not in page


def test_the_case_page_leads_whoever_answers_a_supervision_request_to_it(cast, client):
    """The case page listed a 督办单 as 待答复 with no way to it: the accepting body found where
    to answer only through its to-do list."""
    from cases.complaints import services as complaint_services

    case = file_case(cast.teacher, cast.units.jwc)
    supervision = complaint_services.supervision_issue(
        actor=cast.discipline_officer, case=case, request="请加快受理。", working_days=5
    )
    answer_url = reverse("complaints:supervision", args=[supervision.pk])
    client.force_login(cast.quality_officer)
    assert f'href="{answer_url}"' in client.get(case.get_absolute_url()).content.decode()
    client.force_login(cast.teacher)
    assert answer_url not in client.get(case.get_absolute_url()).content.decode()
    client.force_login(cast.quality_officer)
    client.post(answer_url, {"answer": "已受理。"})
    assert answer_url not in client.get(case.get_absolute_url()).content.decode()
