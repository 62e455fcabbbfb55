"""A student's complaint and the discipline office's supervision request (督办), clicked through in
chromium by the people who act, with the people who may not refused on the way."""

import pytest

from cases.complaints.models import Supervision
from cases.models import Case
from cases.models import Status as S
from tests.conftest import DESKTOP, PHONE, log_in

pytestmark = [
    pytest.mark.usefixtures("case_catalogue"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_a_complaint_is_supervised_and_answered(browser, live_server, cast):
    base = live_server.url

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    try:
        log_in(page, base, cast.student, cast.password)
        page.goto(f"{base}/cases/new/complaint/")
        page.fill("#id_title", "实训课多次无故停课")
        page.select_option("#id_subject_unit", str(cast.units.rj.pk))
        page.fill("#id_description", "本学期Python实训课已三次无故停课，未安排补课。")
        page.click("form.case-form button[type=submit]")
        page.wait_for_url(f"{base}/cases/*/")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.close()
    case = Case.objects.get()
    assert case.accepting_unit == cast.units.xx and case.status == S.SUBMITTED

    desk = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = desk.new_page()
    try:
        # Nobody but the discipline office oversees complaints or issues 督办.
        log_in(page, base, cast.xx_leader, cast.password)
        assert page.goto(f"{base}/discipline/complaints/").status == 403
        desk.clear_cookies()

        log_in(page, base, cast.discipline_officer, cast.password)
        page.goto(f"{base}/discipline/complaints/")
        page.click(f"a[href='/discipline/complaints/{case.pk}/']")
        page.fill("textarea[name=request]", "请于期限内受理并答复办理情况。")
        page.click("form[action$='/supervise/'] button[type=submit]")
        page.wait_for_url(f"{base}/discipline/complaints/{case.pk}/")
        # The page lists the request it just sent, with its answer-by date.
        assert page.locator("a[href^='/supervision/']").count() == 1
        desk.clear_cookies()
    finally:
        desk.close()
    supervision = Supervision.objects.get()
    assert supervision.unit == cast.units.xx and supervision.is_open

    desk = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = desk.new_page()
    try:
        # Another department's leader cannot see the request.
        log_in(page, base, cast.jd_leader, cast.password)
        assert page.goto(f"{base}{supervision.get_absolute_url()}").status == 404
        desk.clear_cookies()

        # The accepting body's leader finds it on the home page, accepts the case and answers.
        log_in(page, base, cast.xx_leader, cast.password)
        page.click(f"a[href='{supervision.get_absolute_url()}']")
        assert "请于期限内受理并答复办理情况。" in page.content()
        page.goto(f"{base}/cases/{case.pk}/")
        page.click("a[data-action=accept]")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{base}/cases/{case.pk}/")
        page.goto(f"{base}{supervision.get_absolute_url()}")
        page.fill("textarea[name=answer]", "已受理，正在调查，五个工作日内答复投诉人。")
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("textarea[name=answer]").count() == 0
    finally:
        desk.close()
    supervision.refresh_from_db()
    assert supervision.status == Supervision.Status.ANSWERED
    assert supervision.answered_by == cast.xx_leader
    assert Case.objects.get().status == S.ACCEPTED
