"""A supervisor files an incident report on a phone; the quality office issues a notice."""

import pytest

from cases.models import Case, Notice
from cases.models import Status as S
from tests.conftest import PHONE, log_in

from .factories import advance

pytestmark = [
    pytest.mark.usefixtures("case_catalogue"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_supervisor_reports_on_a_phone_and_the_office_issues_a_notice(
    browser, live_server, cast, tmp_path
):
    base = live_server.url
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    try:
        log_in(page, base, cast.supervisor, cast.password)
        page.goto(f"{base}/cases/new/report/")
        page.fill("#id_title", "听课发现教师未按时上课")
        page.select_option("#id_subject_unit", str(cast.units.jwc.pk))
        page.select_option("#id_source", "observation")
        page.fill("#id_course", "Python程序设计")
        page.fill("#id_place", "实训楼A301")
        page.fill("#id_description", "上课铃响后15分钟教师仍未到堂。")
        page.set_input_files(
            "#id_files", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}]
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.click("form.case-form button[type=submit]")
        page.wait_for_url(f"{base}/cases/*/")
        page.screenshot(path=tmp_path / "phone-report.png", full_page=True)
        case = Case.objects.get()
        assert case.number in page.locator("h1").inner_text()
        assert case.kind == Case.Kind.REPORT and case.accepting_unit == cast.units.zgb
    finally:
        phone.close()

    advance(cast, case, S.DETERMINED, responsible_unit=cast.units.jwc)
    desk = browser.new_context(locale="zh-CN")
    page = desk.new_page()
    try:
        log_in(page, base, cast.quality_officer, cast.password)
        page.goto(f"{base}/cases/{case.pk}/")
        page.click("a[data-action=issue_notice]")
        page.fill("#id_facts", "教师无故迟到15分钟。")
        page.fill("#id_requirements", "一、严肃教学纪律；二、三日内提交整改报告。")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{base}/cases/{case.pk}/")
        notice = Notice.objects.get()
        assert notice.number in page.content()
        with page.expect_download() as download:
            page.click(f"a[href='/cases/notices/{notice.pk}/notice.docx']")
        assert download.value.suggested_filename.endswith(".docx")
    finally:
        desk.close()
    assert Case.objects.get().status == S.RECTIFYING
