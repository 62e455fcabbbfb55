"""A cycle's human work in its owner's inbox and on its progress line (flows.CycleFlow), and the
subject's annual quality report assembled from the cycle. Clicked through the pages."""

import datetime
import io
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document

from engine.models import Deadline
from tests.documents import docx_text, download_name, official_docx, red_runs, upload_template
from workflows.monitoring import cycle_steps, services
from workflows.monitoring.models import Cycle, CycleReport, Stage, StageGate
from workflows.monitoring.models import Warning as MonWarning

pytestmark = pytest.mark.django_db


def waiting(client, user, obj):
    client.force_login(user)
    page = client.get(reverse("engine:inbox"))
    assert page.status_code == 200
    return [row.flow_task.name for row in page.context["rows"] if row.obj == obj]


def _open(client, cast, mon, levels, capture):
    client.force_login(cast.quality_officer)
    with capture(execute=True):
        client.post(f"/monitoring/periods/{mon.y2026.pk}/open/", {"levels": levels})


def _evidence(client, cycle):
    gate = StageGate.objects.filter(level=cycle.level, stage=cycle.stage).first()
    return client.post(
        f"/monitoring/cycles/{cycle.pk}/evidence/", {"gate": gate.pk, "text": "记录"}, follow=True
    )


def _advance(client, cycle):
    client.post(f"/monitoring/cycles/{cycle.pk}/advance/")
    cycle.refresh_from_db()


def test_a_cycle_without_targets_waits_for_its_gap_to_be_filled(
    cast, mon, client, django_capture_on_commit_callbacks
):
    _open(client, cast, mon, ["major"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    # 软件技术's team leader holds the seat; the department's staff do not see it
    assert waiting(client, cast.software_lead, cycle) == ["fill_gap"]
    assert waiting(client, cast.jd_leader, cycle) == []
    client.force_login(cast.software_lead)
    page = client.get(cycle.get_absolute_url())
    line = page.context["progress"]
    assert [s.title for s in line.current] == ["填补缺口：由规划设定现行目标和标准"]
    assert line.current[0].due is not None  # the stage deadline
    html = page.content.decode()
    assert 'id="cycle-work"' in html and reverse("plans:index") in html
    assert Deadline.objects.filter(
        kind=cycle_steps.DEADLINE_KIND, object_id=str(cycle.pk), status=Deadline.Status.OPEN
    ).exists()


def test_the_work_follows_the_cycle_from_evidence_to_decision(
    cast, mon, chains, client, django_capture_on_commit_callbacks
):
    _open(client, cast, mon, ["major"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    # the targets in force are linked: the decision is what is left
    assert waiting(client, cast.software_lead, cycle) == ["decide"]
    _advance(client, cycle)
    _advance(client, cycle)
    assert cycle.stage == Stage.PLAN
    # the plan's document is missing: the work is to add it, then to decide
    assert waiting(client, cast.software_lead, cycle) == ["add_evidence"]
    _evidence(client, cycle)
    assert waiting(client, cast.software_lead, cycle) == ["decide"]
    line = client.get(cycle.get_absolute_url()).context["progress"]
    done = [(s.title, s.outcome) for s in line.done]
    assert ("补充本阶段所需佐证", "已补充佐证") in done
    # each move names the stage it reached (the line read 已进入下一阶段 twice, the same)
    moves = [outcome for title, outcome in done if title == "作出决定，推进循环"]
    assert moves == ["已进入“标准”阶段", "已进入“计划/设计”阶段"]
    # the one who moved it is named on the steps done
    assert all(s.who == str(cast.software_lead) for s in line.done if s.outcome in moves)
    # what comes is the stages after this one, not the kinds of work in the step table's order
    assert line.after == ["组织/实施", "监测", "诊断", "激励", "学习", "创新", "改进完成"]


def test_a_teachers_cycle_waits_for_the_teacher(
    cast, mon, chains, client, django_capture_on_commit_callbacks
):
    _open(client, cast, mon, ["teacher"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject__subject_user=cast.teacher, period=mon.y2026)
    assert waiting(client, cast.teacher, cycle) == ["decide"]
    assert waiting(client, cast.xx_leader, cycle) == []


def test_warning_and_closing_improvement_move_the_work_set_wise(
    cast, mon, chains, client, approved, django_capture_on_commit_callbacks
):
    _open(client, cast, mon, ["major"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    client.force_login(cast.software_lead)
    for _stage in range(3):
        _advance(client, cycle)
        if cycle.stage in (Stage.PLAN, Stage.IMPLEMENT):
            _evidence(client, cycle)
    assert cycle.stage == Stage.IMPLEMENT
    assert waiting(client, cast.software_lead, cycle) == ["decide"]
    # a red reading: the cycle moves to 预警 with its cause; its own step closes
    approved(mon.employment, mon.rj, "50")
    cycle.refresh_from_db()
    assert cycle.stage == Stage.WARN
    assert waiting(client, cast.software_lead, cycle) == []
    assert not Deadline.objects.filter(
        kind=cycle_steps.DEADLINE_KIND, object_id=str(cycle.pk), status=Deadline.Status.OPEN
    ).exists()
    warning = MonWarning.objects.get(subject=mon.rj)
    improvement = services.improvement_open(
        actor=cast.software_lead,
        subject=mon.rj,
        period=mon.y2026,
        title="提高就业率",
        cause_analysis="岗位不足",
        measures="拓展合作企业",
        owner=cast.software_lead,
        deadline=datetime.date(2030, 8, 31),
        warning=warning,
    )
    services.improvement_submit(
        actor=cast.software_lead, improvement=improvement, evidence="新增三家企业"
    )
    approved(mon.employment, mon.rj, "97")
    services.improvement_sign_off(
        actor=cast.xx_leader, improvement=improvement, effective=True, note="回到区间"
    )
    cycle.refresh_from_db()
    assert cycle.stage == Stage.IMPLEMENT
    # back at 实施: its evidence was given before, so the decision waits again
    assert waiting(client, cast.software_lead, cycle) == ["decide"]


def test_steps_backfill_opens_the_work_of_cycles_that_predate_the_flow(cast, mon, client):
    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level="major", responsible_unit=cast.units.rj
    )
    assert waiting(client, cast.software_lead, cycle) == []
    call_command("steps_backfill", stdout=io.StringIO())
    assert waiting(client, cast.software_lead, cycle) == ["fill_gap"]
    call_command("steps_backfill", stdout=io.StringIO())
    assert waiting(client, cast.software_lead, cycle) == ["fill_gap"]


def _report(client, user, cycle, capture):
    client.force_login(user)
    with capture(execute=True):
        response = client.post(f"/monitoring/cycles/{cycle.pk}/report/")
    assert response.status_code == 302
    return CycleReport.objects.filter(cycle=cycle).latest("pk")


def test_the_majors_annual_quality_report_is_assembled_from_its_cycle(
    cast, mon, chains, client, approved, django_capture_on_commit_callbacks
):
    _open(client, cast, mon, ["major"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    approved(mon.employment, mon.rj, "50")
    page = client.get(cycle.get_absolute_url()).content.decode()
    assert "专业年度质量报告" in page
    report = _report(client, cast.software_lead, cycle, django_capture_on_commit_callbacks)
    assert report.status == CycleReport.Status.DONE and report.progress == 100
    status = client.get(f"/monitoring/cycles/reports/{report.pk}/status/").json()
    assert status["progress"] == 100 and status["download"]
    response = client.get(status["download"])
    assert download_name(response) == "专业年度质量报告-软件技术-2026.docx"
    doc = Document(io.BytesIO(b"".join(response.streaming_content)))
    section = doc.sections[0]
    sizes = (section.page_width, section.page_height, section.top_margin, section.left_margin)
    assert [round(x.mm) for x in sizes] == [210, 297, 37, 28]
    text = "\n".join(p.text for p in doc.paragraphs)
    for heading in ("概述", "目标与标准", "目标与监测数据对照", "预警与改进", "诊断", "结论"):
        assert heading in text, heading
    cells = {c.text for t in doc.tables for r in t.rows for c in r.cells}
    assert "就业率" in cells and chains.employment.title in cells
    assert any("预警区间" in c for c in cells)
    # the conclusion in Chinese, the dates in the college's time zone
    assert "项指标中" in text and "循环当前处于" in text
    assert "indicators on target" not in text
    # the page lists it with its progress and link
    page = client.get(cycle.get_absolute_url()).content.decode()
    assert f"/monitoring/cycles/reports/{report.pk}/download/" in page


def test_the_cycle_report_dates_a_late_evening_move_on_the_colleges_day(cast, mon):
    """20:30 UTC is 04:30 the next morning in Beijing: the report says the Beijing date."""
    import datetime

    from workflows.monitoring import cycle_report

    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level="major", responsible_unit=cast.units.rj
    )
    Cycle.objects.filter(pk=cycle.pk).update(
        stage_changed_at=datetime.datetime(2026, 12, 4, 20, 30, tzinfo=datetime.UTC)
    )
    cycle.refresh_from_db()
    overview = cycle_report.sections(cycle)[0]
    assert any("2026-12-05" in p for p in overview.paragraphs), overview.paragraphs


def test_the_next_cycle_report_follows_the_quality_offices_template(
    cast, mon, chains, client, approved, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    _open(client, cast, mon, ["major"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    approved(mon.employment, mon.rj, "50")

    def download():
        report = _report(client, cast.software_lead, cycle, django_capture_on_commit_callbacks)
        response = client.get(f"/monitoring/cycles/reports/{report.pk}/download/")
        return official_docx(b"".join(response.streaming_content))

    default = download()
    assert red_runs(default) == [cast.units.college.name]  # the 版头 on every page
    assert "本校周期报告" not in docx_text(default)
    client.force_login(cast.quality_officer)
    answer = upload_template(
        client, "monitoring.cycle_report", "本校周期报告：{{ sections|length }}节"
    )
    assert answer.status_code == 302
    doc = download()
    assert "本校周期报告：6节" in docx_text(doc)
    assert "就业率" in docx_text(doc)  # the sections' tables are still filled


def test_a_teachers_development_report_is_theirs(
    cast, mon, chains, client, django_capture_on_commit_callbacks
):
    _open(client, cast, mon, ["teacher"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject__subject_user=cast.teacher, period=mon.y2026)
    report = _report(client, cast.teacher, cycle, django_capture_on_commit_callbacks)
    response = client.get(f"/monitoring/cycles/reports/{report.pk}/download/")
    assert download_name(response) == "教师发展报告-吴芳-2026.docx"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as z:
        assert "课堂教学满意度达到优秀" in z.read("word/document.xml").decode()
    # their team leader sees their cycle but does not assemble their report; another
    # department sees neither
    client.force_login(cast.software_lead)
    assert client.post(f"/monitoring/cycles/{cycle.pk}/report/").status_code == 403
    client.force_login(cast.jd_leader)
    assert client.get(f"/monitoring/cycles/reports/{report.pk}/download/").status_code == 404
    assert client.get(f"/monitoring/cycles/reports/{report.pk}/status/").status_code == 404


def test_a_viewer_who_does_not_run_the_cycle_cannot_start_its_report(
    cast, mon, client, django_capture_on_commit_callbacks
):
    _open(client, cast, mon, ["major"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    client.force_login(cast.chair)  # sees every cycle, runs none
    page = client.get(cycle.get_absolute_url()).content.decode()
    assert f"/monitoring/cycles/{cycle.pk}/report/" not in page
    assert client.post(f"/monitoring/cycles/{cycle.pk}/report/").status_code == 403
    assert not CycleReport.objects.exists()
    # the quality office compiles reports
    report = _report(client, cast.quality_officer, cycle, django_capture_on_commit_callbacks)
    assert report.status == CycleReport.Status.DONE


def test_a_leader_reassigns_the_cycles_open_step_and_the_person_does_it(
    cast, mon, chains, client, django_capture_on_commit_callbacks
):
    """转办 of a cycle's work: the department leader hands the major's decision to a teacher of
    the major (no monitoring rights of their own); it leaves the team leader's seat for the
    teacher's 我的待办; the teacher opens the cycle from the row and moves it on."""
    from viewflow.workflow.models import Task

    from accounts.models import AuditEntry, Membership, Role
    from tests.factories import UserFactory

    _open(client, cast, mon, ["major"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    assert waiting(client, cast.software_lead, cycle) == ["decide"]
    person = UserFactory(full_name="代办教师")
    Membership.objects.create(user=person, org_unit=cast.units.rj, role=Role.TEACHER)
    # nothing of theirs yet: they do not even see the cycle
    client.force_login(person)
    assert client.post(f"/monitoring/cycles/{cycle.pk}/advance/").status_code == 404
    assert waiting(client, person, cycle) == []

    client.force_login(cast.xx_leader)
    task = Task.objects.get(
        process__artifact_object_id=cycle.pk, flow_task_type="HUMAN", status="NEW"
    )
    url = reverse("engine:task_reassign", args=[task.pk])
    assert url in client.get(cycle.get_absolute_url()).content.decode()
    assert person in client.get(url).context["form"].fields["to_user"].queryset
    done = client.post(url, {"to_user": person.pk, "reason": "赵磊外出培训，由代办教师推进"})
    assert done.status_code == 302
    assert AuditEntry.objects.filter(action="task.reassign", object_id=str(task.pk)).exists()

    # theirs now: in their to-do list, not in the seat's
    assert waiting(client, person, cycle) == ["decide"]
    assert waiting(client, cast.software_lead, cycle) == []
    client.force_login(cast.software_lead)
    line = client.get(cycle.get_absolute_url()).context["progress"]
    assert [s.who for s in line.current] == [str(person)]
    # the team leader cannot take it back from the inbox, nor move the cycle from its page
    assert client.post(reverse("engine:task_claim", args=[task.pk])).status_code == 403
    assert (
        f"/monitoring/cycles/{cycle.pk}/advance/"
        not in client.get(cycle.get_absolute_url()).content.decode()
    )
    stage = cycle.stage
    assert client.post(f"/monitoring/cycles/{cycle.pk}/advance/").status_code == 403
    assert Cycle.objects.get(pk=cycle.pk).stage == stage

    client.force_login(person)
    rows = [r for r in client.get(reverse("engine:inbox")).context["rows"] if r.obj == cycle]
    assert client.get(rows[0].url).status_code == 200
    before = cycle.stage
    with django_capture_on_commit_callbacks(execute=True):
        _advance(client, cycle)
    assert cycle.stage != before
    finished = Task.objects.get(pk=task.pk)
    assert finished.status == "DONE" and finished.owner_id == person.pk
    # the next stage's work goes back to the seat
    assert waiting(client, person, cycle) == []
    assert waiting(client, cast.software_lead, cycle)


def test_a_teachers_cycle_reassigned_is_done_by_the_person_it_went_to(
    cast, mon, chains, client, django_capture_on_commit_callbacks
):
    """A personal cycle's work handed on (转办) by the department leader: whoever holds the
    task moves the cycle on, as in a unit's cycle (access_rules.can_run_cycle)."""
    from viewflow.workflow.models import Task

    from accounts.models import Membership, Role
    from tests.factories import UserFactory

    _open(client, cast, mon, ["teacher"], django_capture_on_commit_callbacks)
    cycle = Cycle.objects.get(subject__subject_user=cast.teacher, period=mon.y2026)
    assert waiting(client, cast.teacher, cycle) == ["decide"]
    task = Task.objects.get(
        process__artifact_object_id=cycle.pk, flow_task_type="HUMAN", status="ASSIGNED"
    )
    person = UserFactory(full_name="代办教师")
    Membership.objects.create(user=person, org_unit=cast.units.rj, role=Role.TEACHER)
    client.force_login(cast.xx_leader)
    done = client.post(
        reverse("engine:task_reassign", args=[task.pk]),
        {"to_user": person.pk, "reason": "吴芳长期病假"},
    )
    assert done.status_code == 302
    assert waiting(client, person, cycle) == ["decide"]
    assert waiting(client, cast.teacher, cycle) == []
    client.force_login(person)
    assert client.get(cycle.get_absolute_url()).status_code == 200
    before = cycle.stage
    with django_capture_on_commit_callbacks(execute=True):
        _advance(client, cycle)
    assert cycle.stage != before
    assert Task.objects.get(pk=task.pk).owner_id == person.pk
