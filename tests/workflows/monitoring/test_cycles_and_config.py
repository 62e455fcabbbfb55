"""Opening a period in bulk, evidence gates, indicator configuration, exports, pages."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import Membership, Role
from tests.documents import docx_text, official_docx, red_runs, upload_template
from tests.factories import UserFactory
from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import (
    Cycle,
    Improvement,
    Indicator,
    PeriodOpening,
    Stage,
    StageGate,
    Subject,
)

from .factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def _people(cast, n, role, prefix):
    for i in range(n):
        user = UserFactory(username=f"{prefix}{i:04d}")
        Membership.objects.create(user=user, org_unit=cast.units.rj, role=role)


def _open(cast, period, levels, capture):
    with capture(execute=True):
        services.period_open(actor=cast.quality_officer, period=period, levels=levels)
    return PeriodOpening.objects.latest("started_at")


def test_opening_a_period_creates_every_cycle_without_a_query_storm(
    cast, mon, django_capture_on_commit_callbacks
):
    _people(cast, 5, Role.STUDENT, "s")
    with CaptureQueriesContext(connection) as small:
        opening = _open(cast, mon.y2026, Level.values, django_capture_on_commit_callbacks)
    # 1 college + 3 majors + 2 courses + 2 teachers (teacher, software_lead) + 6 students
    assert opening.status == PeriodOpening.Status.DONE
    assert opening.total == opening.created == 14
    assert Cycle.objects.filter(period=mon.y2026).count() == 14
    assert Cycle.objects.filter(level=Level.TEACHER).count() == 2

    _people(cast, 300, Role.STUDENT, "t")
    with CaptureQueriesContext(connection) as large:
        opening = _open(cast, mon.y2027, Level.values, django_capture_on_commit_callbacks)
    assert opening.created == 314
    assert len(large.captured_queries) <= len(small.captured_queries) + 4

    # Re-opening creates nothing twice.
    again = _open(cast, mon.y2027, Level.values, django_capture_on_commit_callbacks)
    assert again.created == 0
    assert Cycle.objects.filter(period=mon.y2027).count() == 314


def test_opening_carries_targets_over_as_drafts(cast, mon, django_capture_on_commit_callbacks):
    _open(cast, mon.y2026, [Level.MAJOR], django_capture_on_commit_callbacks)
    Cycle.objects.filter(subject=mon.rj, period=mon.y2026).update(target_text="就业率95%")
    _open(cast, mon.y2027, [Level.MAJOR], django_capture_on_commit_callbacks)
    nxt = Cycle.objects.get(subject=mon.rj, period=mon.y2027)
    assert nxt.carried_over and nxt.target_text == "就业率95%"
    assert nxt.previous.period == mon.y2026


def test_opening_page_shows_progress(cast, mon, login, django_capture_on_commit_callbacks):
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/monitoring/periods/{mon.y2026.pk}/open/", {"levels": ["major", "course"]}
        )
    progress = client.get(response.url, HTTP_ACCEPT="application/json").json()
    assert progress == {"status": "done", "total": 5, "created": 5}
    assert client.get(response.url).status_code == 200


def test_evidence_gates_are_data_and_say_what_is_missing(cast, mon, chains):
    from django.core.exceptions import ValidationError

    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=cast.units.rj
    )
    StageGate.objects.create(
        level=Level.MAJOR, stage=Stage.TARGET, kind="document", label="专业调研报告"
    )
    missing = {g.label for g in services.cycle_missing_evidence(cycle)}
    assert missing == {"目标已确定并报批", "专业调研报告"}
    with pytest.raises(ValidationError, match="没有关联现行目标"):
        services.cycle_advance(actor=cast.software_lead, cycle=cycle)
    # Linked targets in force are the committee's decision: that gate is met by the link.
    services.cycle_link_items(actor=cast.software_lead, cycle=cycle)
    missing = {g.label for g in services.cycle_missing_evidence(cycle)}
    assert missing == {"专业调研报告"}
    with pytest.raises(ValidationError, match="专业调研报告"):
        services.cycle_advance(actor=cast.software_lead, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.stage == Stage.TARGET
    gate = StageGate.objects.get(label="专业调研报告")
    services.cycle_add_evidence(actor=cast.software_lead, cycle=cycle, gate=gate, text="已完成")
    services.cycle_advance(actor=cast.software_lead, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.stage == Stage.STANDARD


def test_teachers_and_students_run_their_own_cycle_only(cast, mon):
    from django.core.exceptions import PermissionDenied, ValidationError

    own = Cycle.objects.create(
        subject=mon.student, period=mon.y2026, level=Level.STUDENT, responsible_unit=cast.units.rj
    )
    gate = StageGate.objects.filter(level=Level.STUDENT, stage=Stage.TARGET).first()
    services.cycle_add_evidence(actor=cast.student, cycle=own, gate=gate, text="我的目标")
    # The student may run it; it stays until their plan sets a target in force.
    with pytest.raises(ValidationError, match="没有关联现行目标"):
        services.cycle_advance(actor=cast.student, cycle=own)
    with pytest.raises(PermissionDenied):
        services.cycle_advance(actor=cast.teacher, cycle=own)
    major = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=cast.units.rj
    )
    for user in (cast.teacher, cast.student, cast.jd_leader, cast.committee_member):
        with pytest.raises(PermissionDenied):
            services.cycle_advance(actor=user, cycle=major)


@pytest.mark.parametrize(
    ("direction", "yellow", "red", "field"),
    [
        ("higher", 85, 90, "red_threshold"),  # inverted
        ("higher", 90, 90, "red_threshold"),  # overlapping
        ("lower", 5, 2, "red_threshold"),  # inverted for lower-is-better
        ("higher", 150, 90, "yellow_threshold"),  # outside the possible range
    ],
)
def test_bad_threshold_bands_are_refused(cast, login, direction, yellow, red, field):
    client = login(cast.quality_officer)
    response = client.post(
        "/monitoring/indicators/new/",
        {
            "code": "N01",
            "name": "报到率",
            "level": "major",
            "direction": direction,
            "period_kind": "year",
            "min_value": "0",
            "max_value": "100",
            "yellow_threshold": yellow,
            "red_threshold": red,
            "data_owner_unit": cast.units.jwc.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Indicator.objects.filter(code="N01").exists()


def test_quality_office_configures_indicators_others_cannot(cast, login):
    payload = {
        "code": "N02",
        "name": "报到率",
        "level": "major",
        "direction": "higher",
        "period_kind": "year",
        "min_value": "0",
        "max_value": "100",
        "target_value": "95",
        "yellow_threshold": "90",
        "red_threshold": "85",
        "data_owner_unit": cast.units.jwc.pk,
        "is_active": "on",
    }
    assert login(cast.xx_leader).post("/monitoring/indicators/new/", payload).status_code == 403
    response = login(cast.quality_officer).post("/monitoring/indicators/new/", payload)
    assert response.status_code == 302
    assert Indicator.objects.get(code="N02").yellow_threshold == Decimal("90")


def test_seed_command_loads_the_catalogue(cast):
    from django.core.management import call_command

    call_command("seed_indicators", stdout=io.StringIO())
    names = set(Indicator.objects.values_list("name", flat=True))
    for name in (
        "专业招生计划完成率",
        "报到率",
        "就业率",
        "专业对口率",
        "生师比",
        "双师素质教师比例",
        "课堂教学满意度",
        "实训计划开出率",
        "学生出勤率",
        "顶岗实习对口率",
        "食堂投诉率",
    ):
        assert name in names
    assert Indicator.objects.get(code="M02").data_owner_unit == cast.units.jwc
    call_command("seed_indicators", stdout=io.StringIO())  # re-runnable
    assert Indicator.objects.filter(code="M02").count() == 1


def _ledger(cast, mon):
    return services.improvement_open(
        actor=cast.software_lead,
        subject=mon.rj,
        period=mon.y2026,
        title='=HYPERLINK("x")',
        cause_analysis="师资不足",
        measures="引进企业导师",
        owner=cast.software_lead,
        deadline="2030-01-31",
        finding="复核发现：实训条件不足",
    )


def test_ledger_exports_in_xlsx_and_docx(cast, mon, login):
    _ledger(cast, mon)
    client = login(cast.xx_leader)
    xlsx = client.get(f"/monitoring/improvements/export.xlsx?unit={cast.units.xx.pk}")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "信息工程系质量改进台账"
    assert rows[2][0] == "序号"
    assert rows[3][2] == '\'=HYPERLINK("x")'  # formula neutralised
    assert rows[3][1] == "复核发现：实训条件不足"
    docx = client.get("/monitoring/improvements/export.docx")
    doc = official_docx(docx, name_starts=f"改进台账-{cast.units.college.name}-")
    assert "质量改进台账" in doc.paragraphs[0].text
    assert doc.tables[0].rows[1].cells[3].text == "师资不足"
    # another department's leader sees nothing of it
    other = login(cast.jd_leader).get("/monitoring/improvements/export.xlsx")
    assert len(list(load_workbook(io.BytesIO(other.content)).active.iter_rows())) == 3


def test_the_quality_office_uploads_its_ledger_template_and_the_next_ledger_uses_it(
    cast, mon, login, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    _ledger(cast, mon)
    default = official_docx(login(cast.xx_leader).get("/monitoring/improvements/export.docx"))
    assert red_runs(default) == [cast.units.college.name]  # the 版头 heads every page
    assert "师资不足" in docx_text(default)

    answer = upload_template(
        login(cast.quality_officer), "monitoring.ledger", "共{{ rows|length }}项，{{ college }}"
    )
    assert answer.status_code == 302

    doc = official_docx(login(cast.xx_leader).get("/monitoring/improvements/export.docx"))
    assert f"共1项，{cast.units.college.name}" in docx_text(doc)
    assert doc.tables[0].rows[1].cells[3].text == "师资不足"


def test_an_improvement_needs_a_warning_or_a_finding(cast, mon):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.improvement_open(
            actor=cast.software_lead,
            subject=mon.rj,
            period=mon.y2026,
            title="x",
            cause_analysis="y",
            measures="z",
            owner=cast.software_lead,
            deadline="2030-01-31",
        )
    assert not Improvement.objects.exists()


def test_pages_render_with_charts(cast, mon, approved, login):
    approved(mon.employment, mon.rj, "70")
    approved(mon.attendance, mon.student, "93")
    client = login(cast.quality_officer)
    page = client.get("/monitoring/").content.decode()
    assert "vendor/echarts/echarts.min.js" in page and "heatmap-data" in page
    trend = client.get(f"/monitoring/subjects/{mon.rj.pk}/trend/{mon.employment.pk}/").json()
    assert trend["values"] == [70.0] and trend["target"] == 95.0 and trend["red"] == 85.0
    # an indicator with no reading yet is named apart, not drawn as a zero
    IndicatorFactory(
        code="P08", name="社团活动参与率", level=Level.STUDENT, data_owner_unit=cast.units.xx
    )
    student_page = login(cast.student).get(f"/monitoring/subjects/{mon.student.pk}/")
    assert "radar-data" in student_page.content.decode()
    radar = student_page.context["radar"]
    assert [a["name"] for a in radar["axes"]] == ["学生出勤率"] and radar["values"] == [93.0]
    assert "暂无数据：社团活动参与率" in student_page.content.decode()
    client = login(cast.quality_officer)
    assert client.get(f"/monitoring/overview/?period={mon.y2026.pk}&level=major").status_code == 200
    for url in (
        "/monitoring/indicators/",
        "/monitoring/warnings/",
        "/monitoring/improvements/",
        "/monitoring/cycles/",
        "/monitoring/approvals/",
        "/monitoring/readings/import/",
    ):
        assert client.get(url).status_code == 200, url
    assert Subject.objects.filter(level=Level.STUDENT).count() == 1


def test_a_linked_plan_target_supplies_the_target_of_the_year(cast, mon, approved, login):
    from tests.workflows.plans.factories import draft_plan, draft_target

    plan = draft_plan(cast)
    target = draft_target(
        cast,
        plan,
        title="就业率",
        category="school_level",
        indicator="就业率",
        unit_of_measure="%",
        baseline="90",
        values={"2026": "96", "2027": "97"},
    )
    approved(mon.employment, mon.rj, "92")
    assert mon.employment.target_for(mon.y2026) == Decimal("95")  # its own, not linked yet
    mon.employment.plan_target = target
    mon.employment.save()
    assert mon.employment.target_for(mon.y2026) == Decimal("96")
    assert mon.employment.target_for(mon.y2027) == Decimal("97")
    trend = (
        login(cast.quality_officer)
        .get(f"/monitoring/subjects/{mon.rj.pk}/trend/{mon.employment.pk}/")
        .json()
    )
    assert trend["target"] == 96.0
