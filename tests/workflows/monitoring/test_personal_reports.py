"""Personal self-diagnosis reports through the URLs: 吴芳 (a teacher) and 郑小明 (a student)
write theirs on a phone, their approver approves it from the inbox, and the approved report
meets the diagnose gate of their own cycle."""

import io

import pytest
from docx import Document

from accounts.models import AuditEntry, Role
from engine.selectors import inbox_tasks
from tests.documents import docx_text, official_docx, red_runs, upload_template
from tests.factories import MembershipFactory, UserFactory
from tests.workflows.review.factories import shipped_catalogue
from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import Cycle, Stage
from workflows.monitoring.stages import cycles_move
from workflows.review.models import PersonalReport, PersonalStatus

pytestmark = pytest.mark.django_db

GOOD = {
    "achievements": "完成课堂教学任务，学生评教良好。",
    "problems": "信息化教学手段运用不足，原因是培训参加得少，课程资源建设滞后。",
    "measures": "参加信息化教学培训，建设课程资源。",
    "effects": "已完成两门课的资源建设，学生评价提高。",
}


@pytest.fixture
def personal_catalogues(db):
    return {
        Level.TEACHER: shipped_catalogue("teacher-personal"),
        Level.STUDENT: shipped_catalogue("student-personal"),
    }


def _cycle_at(cast, user, level, period, stage=Stage.DIAGNOSE):
    subject = services.subject_for_user(user, level)
    cycle = Cycle.objects.create(
        subject=subject, period=period, level=level, responsible_unit=cast.units.rj
    )
    path = ["standard", "plan", "implement", "monitor", "diagnose", "incentive", "learn"]
    for to in path[: path.index(stage) + 1] if stage != Stage.TARGET else []:
        cycles_move(Cycle.objects.filter(pk=cycle.pk), "advance", args=(to,))
    cycle.refresh_from_db()
    return cycle


def _write(client, report, **override):
    data = {"overview": "本年度对照个人发展规划完成了主要任务，也发现了不足。", "action": "submit"}
    for row in report.rows.all():
        for name, value in {**GOOD, **override}.items():
            data[f"row-{row.element_id}-{name}"] = value
    return client.post(f"/review/personal/{report.pk}/edit/", data, follow=True)


def _start(client, cycle):
    response = client.post(f"/review/personal/start/{cycle.pk}/")
    assert response.status_code == 302
    return PersonalReport.objects.get(cycle=cycle)


def test_a_teacher_writes_submits_and_the_team_leader_approves(
    cast, mon, personal_catalogues, login
):
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026)
    client = login(cast.teacher)
    page = client.get("/review/personal/").content.decode()
    assert "撰写我的个人诊改报告" in page
    report = _start(client, cycle)
    assert report.catalogue == personal_catalogues[Level.TEACHER]
    assert report.rows.count() == personal_catalogues[Level.TEACHER].elements.count() == 6
    edit = client.get(f"/review/personal/{report.pk}/edit/").content.decode()
    assert "师德师风" in edit and "爱国守法" in edit
    # the cycle page and the home card say what is missing: the report is not submitted
    assert "完成并提交个人诊改报告" in client.get("/").content.decode()

    page = _write(client, report).content.decode()
    report.refresh_from_db()
    assert report.status == PersonalStatus.SUBMITTED
    assert "已提交" in page

    # the team leader (专业带头人) of 软件技术 has it in the inbox, with the progress line
    assert [t.process.artifact for t in inbox_tasks(cast.software_lead)] == [report]
    assert not inbox_tasks(cast.xx_leader).exists()
    lead = login(cast.software_lead)
    page = lead.get(f"/review/personal/{report.pk}/").content.decode()
    assert 'id="personal-approve"' in page
    assert "审核个人诊改报告" in page
    approved = lead.post(f"/review/personal/{report.pk}/approve/", follow=True)
    assert "个人诊改报告已审核通过。" in approved.content.decode()
    report.refresh_from_db()
    assert report.status == PersonalStatus.APPROVED
    assert report.approved_by == cast.software_lead
    assert not inbox_tasks(cast.software_lead).exists()
    assert AuditEntry.objects.filter(
        action="review.personal.approve", actor=cast.software_lead
    ).exists()

    # the approved report is the diagnosis of 吴芳's cycle: it shows there and she moves on
    client = login(cast.teacher)
    page = client.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert f"/review/personal/{report.pk}/" in page and "已批准" in page
    client.post(f"/monitoring/cycles/{cycle.pk}/advance/")
    cycle.refresh_from_db()
    assert cycle.stage == Stage.INCENTIVE


def test_the_diagnose_gate_waits_for_the_approval(cast, mon, personal_catalogues, login):
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026)
    client = login(cast.teacher)
    report = _start(client, cycle)
    _write(client, report)
    page = client.post(f"/monitoring/cycles/{cycle.pk}/advance/", follow=True).content.decode()
    cycle.refresh_from_db()
    assert cycle.stage == Stage.DIAGNOSE
    assert "教师个人诊改报告" in page  # the gate named as missing


def test_over_the_limits_nothing_is_lost_and_the_rows_are_marked(
    cast, mon, personal_catalogues, login
):
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026)
    client = login(cast.teacher)
    report = _start(client, cycle)
    page = _write(client, report, problems="短", measures="措" * 201).content.decode()
    report.refresh_from_db()
    assert report.status == PersonalStatus.DRAFT
    assert "报告已保存，但尚不能提交" in page
    assert "has-errors" in page
    assert report.rows.first().measures == "措" * 201


def test_a_team_leaders_own_report_goes_to_the_department_leader(
    cast, mon, personal_catalogues, login
):
    # 赵磊 leads 软件技术 and teaches there: nobody approves their own report
    cycle = _cycle_at(cast, cast.software_lead, Level.TEACHER, mon.y2026)
    client = login(cast.software_lead)
    report = _start(client, cycle)
    _write(client, report)
    assert not inbox_tasks(cast.software_lead).filter(flow_task__contains="approve").exists()
    assert [t.process.artifact for t in inbox_tasks(cast.xx_leader)] == [report]
    response = client.post(f"/review/personal/{report.pk}/approve/", follow=True)
    report.refresh_from_db()
    assert report.status == PersonalStatus.SUBMITTED
    assert "不得审核本人的报告" in response.content.decode()
    login(cast.xx_leader).post(f"/review/personal/{report.pk}/approve/")
    report.refresh_from_db()
    assert report.status == PersonalStatus.APPROVED


def test_a_student_is_approved_by_the_class_adviser_else_the_team_leader(
    cast, mon, personal_catalogues, login
):
    cycle = _cycle_at(cast, cast.student, Level.STUDENT, mon.y2026)
    client = login(cast.student)
    report = _start(client, cycle)
    assert "学业发展" in client.get(f"/review/personal/{report.pk}/edit/").content.decode()
    _write(client, report)
    # no class adviser yet: the major's team leader
    assert [t.process.artifact for t in inbox_tasks(cast.software_lead)] == [report]
    # returned with a reason, rewritten, resubmitted: now an adviser holds the seat
    lead = login(cast.software_lead)
    lead.post(f"/review/personal/{report.pk}/return/", {"reason": "请补充职业规划"})
    report.refresh_from_db()
    assert report.status == PersonalStatus.DRAFT
    adviser = UserFactory(username="adviser", full_name="钱老师")
    MembershipFactory(user=adviser, org_unit=cast.units.rj, role=Role.CLASS_ADVISER)
    client = login(cast.student)
    assert "请补充职业规划" in client.get(f"/review/personal/{report.pk}/").content.decode()
    _write(client, report)
    assert [t.process.artifact for t in inbox_tasks(adviser)] == [report]
    assert not inbox_tasks(cast.software_lead).exists()
    assert "钱老师" in client.get(f"/review/personal/{report.pk}/").content.decode()
    login(adviser).post(f"/review/personal/{report.pk}/approve/")
    report.refresh_from_db()
    assert report.status == PersonalStatus.APPROVED and report.approved_by == adviser


def test_who_sees_a_personal_report(cast, mon, personal_catalogues, login):
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026)
    report = _start(login(cast.teacher), cycle)
    url = f"/review/personal/{report.pk}/"
    for user in (cast.teacher, cast.software_lead, cast.xx_leader, cast.quality_officer):
        assert login(user).get(url).status_code == 200, user
    # a colleague on the team, another department, a student and an outsider do not
    for user in (cast.software_member, cast.jd_leader, cast.student, cast.outsider):
        assert login(user).get(url).status_code == 404, user
    # only the person edits and starts their own
    assert login(cast.software_lead).get(f"{url}edit/").status_code == 403
    assert login(cast.student).post(f"/review/personal/start/{cycle.pk}/").status_code == 404


def test_the_word_export_is_the_official_a4_layout(cast, mon, personal_catalogues, login):
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026)
    client = login(cast.teacher)
    report = _start(client, cycle)
    _write(client, report)
    login(cast.software_lead).post(f"/review/personal/{report.pk}/approve/")
    response = login(cast.teacher).get(f"/review/personal/{report.pk}/export.docx")
    assert response.status_code == 200
    assert (
        "教师个人发展诊改报告" in response["Content-Disposition"]
        or "filename*" in (response["Content-Disposition"])
    )
    doc = Document(io.BytesIO(response.content))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "教师个人发展诊改报告" in text and "赵磊" in text
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert "吴芳" in cells and "1.1 师德师风" in cells and GOOD["measures"] in cells


def test_the_next_personal_report_follows_the_quality_offices_template(
    cast, mon, personal_catalogues, login, settings, tmp_path
):
    from workflows.review import exports

    settings.MEDIA_ROOT = tmp_path
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026)
    report = _start(login(cast.teacher), cycle)
    _write(login(cast.teacher), report)
    # an uploaded template is tried with the sample: it must offer every field the report has
    assert set(exports.personal_sample()) == set(exports.personal_context(report))
    url = f"/review/personal/{report.pk}/export.docx"
    default = official_docx(login(cast.teacher).get(url))
    assert red_runs(default) == [cast.units.college.name]
    item = default.tables[1]
    assert [c.text for c in item.rows[0].cells][:2] == ["诊断项目", "诊断要素"]
    # item 2 has three elements: one cell for them, item 1's stays its own
    assert item.cell(2, 0)._tc is item.cell(4, 0)._tc and item.cell(2, 0).text == "2 业务能力"
    assert item.cell(1, 0)._tc is not item.cell(2, 0)._tc

    answer = upload_template(login(cast.quality_officer), "review.personal", "本校：{{ person }}")
    assert answer.status_code == 302
    assert "本校：吴芳" in docx_text(official_docx(login(cast.teacher).get(url)))


def test_the_quality_office_edits_the_personal_catalogue_as_data(
    cast, mon, personal_catalogues, login
):
    """A new version imported and activated is what the next report is written on."""
    from workflows.review import catalogues
    from workflows.review.models import Catalogue

    data = catalogues.shipped()["teacher-personal"]
    data = {**data, "version": 2, "items": data["items"][:1]}
    newer = catalogues.load_data(data, status=Catalogue.Status.ACTIVE)
    workbook = catalogues.catalogue_xlsx(newer)
    assert catalogues.parse_xlsx(io.BytesIO(workbook))["person_level"] == "teacher"
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026)
    report = _start(login(cast.teacher), cycle)
    assert report.catalogue == newer and report.rows.count() == 1
    # a unit's report is never offered a personal catalogue
    page = login(cast.software_lead).get("/review/").content.decode()
    assert "教师个人发展诊改报告" not in page


def test_the_personal_reports_page_says_personal_reports_not_confidential_ones(
    cast, mon, personal_catalogues, login
):
    """ "My reports" means two things: one's personal self-diagnosis reports and one's signed
    confidential reports (举报); each page says its own."""
    import re

    from django.urls import reverse

    _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026)
    client = login(cast.teacher)
    html = client.get(reverse("review:personal_list")).content.decode()
    heading = re.search(r'id="my-personal-reports"><h2>([^<]*)</h2>', html).group(1)
    assert heading == "我的个人诊改报告"
    assert "我的实名举报" not in html
    mine = client.get(reverse("confidential:mine")).content.decode()
    assert re.search(r"<h1>([^<]*)</h1>", mine).group(1) == "我的实名举报"
