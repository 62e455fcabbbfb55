"""A student answers the 评教 on a phone (390 px) in chromium: the questions stack, each option
is a finger-sized target, nothing scrolls sideways, and the answer counts once."""

import pytest

from tests.conftest import PHONE, log_in
from workflows.surveys import services
from workflows.surveys.models import Response

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_answers_on_a_phone(browser, live_server, cast, sv, tmp_path):
    import datetime

    survey = services.survey_create(
        actor=cast.quality_officer,
        questionnaire=sv.pj,
        title="期末学生评教",
        period=sv.term,
        audience="sections",
        unit=cast.units.rj,
        closes_on=datetime.date.today(),
        grades_date=datetime.date.today(),
    )
    services.survey_open(actor=cast.quality_officer, survey=survey)
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, live_server.url, cast.student, cast.password)
        page.goto(f"{live_server.url}/surveys/mine/")
        page.get_by_text("期末学生评教").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        labels = page.locator(".answer-form .choices label")
        assert labels.first.bounding_box()["height"] >= 44
        for group in page.locator(".answer-form .q").all():
            radios = group.locator("input[type=radio]")
            if radios.count():
                radios.nth(3).check()
            boxes = group.locator("input[type=checkbox]")
            if boxes.count():
                boxes.first.check()
        page.locator("textarea").first.fill("希望多一些上机练习")
        page.screenshot(path=tmp_path / "answer-390.png", full_page=True)
        page.get_by_role("button", name="提交答卷").click()
        page.wait_for_url(f"{live_server.url}/surveys/thanks/")
        assert "无法追溯到您" in page.content()
        page.goto(f"{live_server.url}/surveys/mine/")
        assert "目前没有需要作答的问卷" in page.content()
    finally:
        context.close()
    assert Response.objects.count() == 1
