"""A supervisor's incident report walked to its close in chromium by the people who act, with
the separation-of-duties rules refusing on the way: the picker leaves out the teacher the report
is about and names everyone's unit, and a department that rectified itself does not verify its
own rectification — the step goes up to the quality office and the pages say why."""

import pytest

from cases.models import Case, Notice
from cases.models import Status as S
from engine import duties
from tests.conftest import DESKTOP, PHONE, log_in

from .factories import category, grade

pytestmark = [
    pytest.mark.usefixtures("case_catalogue"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

OWN_REPORT = "整改报告的提交人不得验收本人的整改"
OWN_UNIT = "整改单位的人员不得验收本单位的整改"
OUTCOME = "已约谈教师，考勤已整改并通过验收。"


def submit(page, url):
    page.click("main form button[type=submit]")
    page.wait_for_url(url)


def test_an_incident_report_goes_to_the_quality_office_for_verification(browser, live_server, cast):
    duties.seed_defaults()  # a transactional test flushes the rules the migration seeded
    base = live_server.url

    # A supervisor reports a class on her phone.
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    try:
        log_in(page, base, cast.supervisor, cast.password)
        page.goto(f"{base}/cases/new/report/")
        page.fill("#id_title", "Java程序设计课教师迟到")
        page.select_option("#id_subject_unit", str(cast.units.rj.pk))
        page.select_option("#id_source", Case.Source.INSPECTION)
        page.fill("#id_teacher_name", "吴芳")
        page.fill("#id_course", "Java程序设计")
        page.fill("#id_description", "上课迟到二十分钟，学生无人管理。")
        page.click("form.case-form button[type=submit]")
        page.wait_for_url(f"{base}/cases/*/")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.close()
    case = Case.objects.get()
    assert case.kind == Case.Kind.REPORT and case.accepting_unit == cast.units.xx
    url = f"{base}/cases/{case.pk}/"

    desk = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = desk.new_page()
    try:
        # The department leader accepts, classifies and picks the investigators.
        log_in(page, base, cast.xx_leader, cast.password)
        page.goto(url)
        page.click("a[data-action=accept]")
        submit(page, url)
        page.click("a[data-action=classify]")
        page.select_option("#id_category", str(category().pk))
        page.select_option("#id_grade", str(grade().pk))
        submit(page, url)
        page.click("a[data-action=investigate]")
        offered = page.locator("#id_investigators option").all_inner_texts()
        assert "黄丽（信息工程系）" in offered
        assert not [label for label in offered if "吴芳" in label]
        page.select_option("#id_investigators", str(cast.xx_member.pk))
        submit(page, url)
        assert list(Case.objects.get(pk=case.pk).investigators.all()) == [cast.xx_member]

        # He determines his own department responsible and issues the notice.
        page.click("a[data-action=determine]")
        page.select_option("#id_grade", str(grade().pk))
        page.select_option("#id_responsible_unit", str(cast.units.xx.pk))
        page.fill("#id_responsible_person", "吴芳")
        page.fill("#id_findings", "教师迟到二十分钟属实。")
        submit(page, url)
        page.click("a[data-action=issue_notice]")
        page.select_option("#id_kind", Notice.Kind.RECTIFICATION)
        page.fill("#id_facts", "教师迟到。")
        page.fill("#id_requirements", "加强考勤。")
        submit(page, url)
        assert Case.objects.get(pk=case.pk).status == S.RECTIFYING

        # His department confirms receipt and reports the rectification.
        page.click("a[data-action=receipt]")
        submit(page, url)
        page.click("a[data-action=rectification_report]")
        page.fill("#id_text", "已约谈，已整改。")
        submit(page, url)
        assert Case.objects.get(pk=case.pk).status == S.VERIFYING
        notice = Notice.objects.get(case=case)

        # He may not verify it: no button, the page names the rule and who acts instead, and
        # the verify page itself refuses him with the rule.
        page.goto(url)
        assert page.locator("a[data-action=verify]").count() == 0
        notes = " ".join(page.locator("[data-duty-note]").all_inner_texts())
        assert OWN_REPORT in notes and "张敏" in notes
        refused = page.goto(f"{base}/cases/notices/{notice.pk}/act/verify/")
        assert refused.status == 403
        assert OWN_REPORT in page.content()
        desk.clear_cookies()

        # Nor may his department colleague: the department rectified itself.
        log_in(page, base, cast.xx_member, cast.password)
        refused = page.goto(f"{base}/cases/notices/{notice.pk}/act/verify/")
        assert refused.status == 403
        assert OWN_UNIT in page.content()
        desk.clear_cookies()

        # The quality office verifies; its page says why the step came up to it.
        log_in(page, base, cast.quality_officer, cast.password)
        page.goto(f"{base}/cases/inbox/")
        assert case.number in page.locator("main").inner_text()
        page.goto(url)
        notes = " ".join(page.locator("[data-duty-note]").all_inner_texts())
        assert "质量管理办公室" in notes and OWN_UNIT in notes
        page.click("a[data-action=verify]")
        page.check("input[name=verdict][value=accept]")
        submit(page, url)
        desk.clear_cookies()
        notice.refresh_from_db()
        assert notice.status == Notice.Status.ACCEPTED
        assert notice.reports.get().verified_by == cast.quality_officer
        assert Case.objects.get(pk=case.pk).status == S.RECTIFIED

        # The accepting department tells the reporter the outcome.
        log_in(page, base, cast.xx_leader, cast.password)
        page.goto(url)
        page.click("a[data-action=feedback]")
        page.fill("#id_outcome", OUTCOME)
        submit(page, url)
        assert Case.objects.get(pk=case.pk).status == S.FEEDBACK
    finally:
        desk.close()

    # The supervisor reads the whole case on her phone and rates it, which closes it.
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    try:
        log_in(page, base, cast.supervisor, cast.password)
        page.goto(url)
        # the outcome she was told, and the history names who verified (the office's 张敏)
        assert OUTCOME in page.locator("main").inner_text()
        assert "张敏" in page.locator("main ol").last.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # the rating the outcome notification asks for is a form on the case page itself
        page.check("form.rate-form input[name=satisfaction][value='5']")
        page.click("form.rate-form button[type=submit]")
        page.wait_for_url(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.close()
    closed = Case.objects.get(pk=case.pk)
    assert closed.status == S.CLOSED and closed.satisfaction == 5
