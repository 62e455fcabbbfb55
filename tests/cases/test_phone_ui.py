"""The case pages as staff and students use them in chromium, at 390 px and at 1280 px: the list
as cards, the unit picker searched by typing, the navigation on one line, and the rating the
notification asks for."""

import pytest
from django.utils import timezone

from cases.models import Case
from cases.models import Status as S
from engine.models import Notification
from tests.conftest import DESKTOP, PHONE, log_in

from .factories import advance, body_of, file_case

pytestmark = [
    pytest.mark.usefixtures("case_catalogue"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _context(browser, viewport):
    phone = viewport == PHONE
    return browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=phone, has_touch=phone)


def test_the_case_list_is_cards_on_a_phone_and_a_table_on_a_desk(
    browser, live_server, cast, tmp_path
):
    for i in range(3):
        file_case(cast.student, cast.units.rj, title=f"实训室设备长期损坏无人维修第{i}次反映")
    officer = body_of(cast, Case.objects.first())
    for viewport, shown in ((PHONE, "block"), (DESKTOP, "table-row")):
        context = _context(browser, viewport)
        page = context.new_page()
        try:
            log_in(page, live_server.url, officer, cast.password)
            page.goto(f"{live_server.url}/cases/")
            row = page.locator("main table tbody tr").first
            assert row.evaluate("r => getComputedStyle(r).display") == shown
            page.screenshot(path=tmp_path / f"case-list-{viewport['width']}.png", full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], width
        finally:
            context.close()
    # on the phone each value is labelled by its column's heading
    context = _context(browser, PHONE)
    page = context.new_page()
    try:
        log_in(page, live_server.url, officer, cast.password)
        page.goto(f"{live_server.url}/cases/")
        headings = page.locator("main table thead th").all_inner_texts()
        labels = (
            page.locator("main table tbody tr")
            .first.locator("td")
            .evaluate_all("cells => cells.map(c => c.dataset.label)")
        )
        assert labels == [h.strip() for h in headings]
        title = page.get_by_text("实训室设备长期损坏无人维修第0次反映")
        assert title.bounding_box()["width"] > 150  # a line of text, not a character per line
    finally:
        context.close()


def test_a_teacher_finds_the_unit_by_typing_and_files_on_a_phone(
    browser, live_server, cast, tmp_path
):
    context = _context(browser, PHONE)
    page = context.new_page()
    try:
        log_in(page, live_server.url, cast.teacher, cast.password)
        page.goto(f"{live_server.url}/cases/new/complaint/")
        assert "*" in page.locator("label[for=id_title]").evaluate(
            "l => getComputedStyle(l, '::after').content"
        )
        page.fill("#id_title", "实训室设备长期损坏")
        page.click("#id_subject_unit-ts-control")
        page.keyboard.type("软件")
        match = page.locator("#id_subject_unit-ts-dropdown .option.active")
        match.wait_for()
        assert match.inner_text().startswith("软件技术")
        assert "信息工程系" in match.inner_text()  # the match names its department
        page.screenshot(path=tmp_path / "picker-search.png")
        page.keyboard.press("Enter")
        # on to the other units by keyboard: a multiple picker, one search per unit
        page.keyboard.press("Tab")
        for search, unit in (("教务", "教务处"), ("纪委", "纪委办公室")):
            page.keyboard.type(search)
            page.locator("#id_other_units-ts-dropdown .option.active", has_text=unit).wait_for()
            page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.screenshot(path=tmp_path / "picker-multiple.png")
        page.fill("#id_description", "三台服务器损坏已一学期。")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.click("form.case-form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/cases/*/")
    finally:
        context.close()
    case = Case.objects.get()
    assert case.subject_unit == cast.units.rj
    assert set(case.other_units.all()) == {cast.units.jwc, cast.units.jw}


def test_the_navigation_fits_one_line_at_1280_and_folds_on_a_phone(
    browser, live_server, cast, tmp_path
):
    context = _context(browser, DESKTOP)
    page = context.new_page()
    try:
        log_in(page, live_server.url, cast.quality_officer, cast.password)
        brand = page.locator(".brand").bounding_box()
        logout = page.locator(".mainnav form.logout button").bounding_box()
        assert abs(logout["y"] - brand["y"]) < brand["height"], (brand, logout)
        assert page.locator(".topbar").bounding_box()["height"] < 60
        page.locator("details.navgroup[data-group=cases] > summary").click()
        page.get_by_role("link", name="质量事故").click()
        page.wait_for_url(f"{live_server.url}/cases/")
        page.screenshot(path=tmp_path / "nav-desk.png")
    finally:
        context.close()

    context = _context(browser, PHONE)
    page = context.new_page()
    try:
        log_in(page, live_server.url, cast.quality_officer, cast.password)
        assert not page.locator("#mainnav").is_visible()
        assert page.locator(".topbar").bounding_box()["height"] < 70
        page.click("button.nav-toggle")
        page.locator("details.navgroup[data-group=cases] > summary").click()
        page.screenshot(path=tmp_path / "nav-phone.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.get_by_role("link", name="质量事故").click()
        page.wait_for_url(f"{live_server.url}/cases/")
    finally:
        context.close()


def test_the_student_rates_from_the_notification_link(
    browser, live_server, cast, tmp_path, celery_in_process
):
    case = advance(cast, file_case(cast.student, cast.units.rj), S.FEEDBACK)
    # a message with a long link in its text (as a mail carries it) wraps on the phone
    long_link = f"{live_server.url}/cases/tasks/174/classify/673/execute/?from=notification"
    Notification.objects.create(
        recipient=cast.student,
        kind="task.reassigned",
        title="转办给您：分类分等",
        body=f"原因：工作调整。{long_link}",
        dedup_key="long-link",
        delivered_at=timezone.now(),
    )
    context = _context(browser, PHONE)
    page = context.new_page()
    try:
        log_in(page, live_server.url, cast.student, cast.password)
        page.goto(f"{live_server.url}/notifications/")
        assert page.locator(".notifications p", has_text=long_link).count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        told = page.locator("li.card", has_text=case.number).filter(has_text="评价")
        told.locator("button[name=follow]").click()
        page.wait_for_url(f"{live_server.url}{case.get_absolute_url()}")
        form = page.locator("form.rate-form")
        assert form.is_visible()
        form.get_by_label("4").check()
        form.locator("textarea").fill("处理及时，感谢。")
        page.screenshot(path=tmp_path / "rate.png", full_page=True)
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}{case.get_absolute_url()}")
        assert not page.locator("form.rate-form").count()
    finally:
        context.close()
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.CLOSED and case.satisfaction == 4
