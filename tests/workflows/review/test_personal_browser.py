"""A teacher writes and submits her personal self-diagnosis report on a phone (390 px), in a
real browser: the form fits the screen, the counters run, and the report reaches its approver."""

import pytest

from tests.conftest import PHONE, log_in
from tests.factories import PASSWORD
from tests.workflows.monitoring.factories import PeriodFactory
from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import Cycle
from workflows.review.models import PersonalReport, PersonalStatus

from .factories import shipped_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROW = {
    "a": "完成教学任务，评教良好。",
    "p": "信息化手段运用不足，原因是培训少、资源建设滞后。",
    "m": "参加培训，建设课程资源。",
    "e": "已完成两门课的资源建设。",
}


def test_a_teacher_writes_her_report_on_a_phone(cast, live_server, browser, settings):
    settings.SESSION_COOKIE_SECURE = False
    shipped_catalogue("teacher-personal")
    period = PeriodFactory()
    cycle = Cycle.objects.create(
        subject=services.subject_for_user(cast.teacher, Level.TEACHER),
        period=period,
        level=Level.TEACHER,
        responsible_unit=cast.units.rj,
    )
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, cast.teacher, PASSWORD)
    page.goto(f"{live_server.url}/review/personal/")
    page.click("text=撰写我的个人诊改报告")
    page.wait_for_selector("#report-form")
    page.fill("#overview", "本年度对照个人发展规划完成了主要任务。")
    for row in page.locator("fieldset[data-row]").all():
        element = row.get_attribute("data-row")
        for part, text in ROW.items():
            page.fill(f"#{part}-{element}", text)
    counter = page.locator(".counter[data-opinion]").first
    assert "✓" in counter.inner_text()
    # nothing sticks out of a phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("button[value=submit]")
    page.wait_for_selector("#personal-status")
    assert page.inner_text("#personal-status") == "已提交"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    report = PersonalReport.objects.get(cycle=cycle)
    assert report.status == PersonalStatus.SUBMITTED
