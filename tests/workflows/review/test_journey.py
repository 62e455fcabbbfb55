"""A self-diagnosis report and a review round clicked through in chromium by the people who
act: the team leader of 软件技术 submits his major's report and may not approve it, the
department head approves and may not also forward it, the team leader forwards; the quality
office opens a round whose publication deadline the form computes, and the expert's findings
form is read-only before the review and keeps what is typed once it opens."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from engine import duties
from tests.conftest import DESKTOP, PHONE, log_in
from workflows.review import services
from workflows.review.models import (
    PanelMember,
    ReportStatus,
    ReviewAssignment,
    ReviewRound,
    SelfDiagnosisReport,
)

from .factories import filled_report, shipped_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUTHOR_MAY_NOT_APPROVE = "自我诊改报告的撰写人不得审核本人的报告"
APPROVER_MAY_NOT_FORWARD = "报告的审核人与报送人不得为同一人"


def _post_directly(page, action):
    """POST to an action address as a hand-made form would, with the page's own CSRF token
    (the logout form carries one on every page), and wait for the answer page."""
    with page.expect_navigation():
        page.evaluate(
            """(action) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                const token = document.querySelector("input[name=csrfmiddlewaretoken]");
                form.appendChild(token.cloneNode());
                document.body.appendChild(form);
                form.submit();
            }""",
            action,
        )


def _messages(page):
    return page.locator("ul.messages").inner_text()


def test_a_report_is_written_approved_forwarded_and_reviewed(browser, live_server, cast):
    base = live_server.url
    duties.seed_defaults()
    report = filled_report(cast.software_lead, cast.units.rj, shipped_catalogue())
    detail = f"/review/reports/{report.pk}/"
    approve = f"{detail}approve/"
    forward = f"{detail}forward/"

    # The team leader of 软件技术 wrote the report and submits it to the unit head.
    desk = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = desk.new_page()
    try:
        log_in(page, base, cast.software_lead, cast.password)
        page.goto(f"{base}/review/reports/{report.pk}/edit/")
        page.fill("#overview", "本年度软件技术专业按目标链、标准链开展了自我诊改。")
        page.click("#report-form button[name=action][value=submit]")
        page.wait_for_url(f"{base}{detail}")
        submitted = SelfDiagnosisReport.objects.get(pk=report.pk)
        assert submitted.status == ReportStatus.SUBMITTED
        assert submitted.overview == "本年度软件技术专业按目标链、标准链开展了自我诊改。"
        # He heads the major but wrote the report: no approve button, the rule named ...
        assert page.locator(f"form[action='{approve}']").count() == 0
        assert AUTHOR_MAY_NOT_APPROVE in page.locator("[data-duty-note]").first.inner_text()
        # ... and an approval posted by hand is refused, saying why.
        _post_directly(page, approve)
        assert page.url == f"{base}{detail}"
        assert AUTHOR_MAY_NOT_APPROVE in _messages(page)
        assert SelfDiagnosisReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED
        desk.clear_cookies()

        # The department head approves; he then may not forward what he approved.
        log_in(page, base, cast.xx_leader, cast.password)
        page.goto(f"{base}/review/?waiting=1")
        page.click(f"a[href='{detail}']")
        page.click(f"form[action='{approve}'] button[type=submit]")
        page.wait_for_url(f"{base}{detail}")
        report.refresh_from_db()
        assert report.status == ReportStatus.APPROVED and report.approved_by == cast.xx_leader
        assert page.locator(f"form[action='{forward}']").count() == 0
        _post_directly(page, forward)
        assert APPROVER_MAY_NOT_FORWARD in _messages(page)
        assert SelfDiagnosisReport.objects.get(pk=report.pk).status == ReportStatus.APPROVED
        desk.clear_cookies()

        # The team leader, who did not approve it, forwards it to the quality office.
        log_in(page, base, cast.software_lead, cast.password)
        page.goto(f"{base}{detail}")
        page.click(f"form[action='{forward}'] button[type=submit]")
        page.wait_for_url(f"{base}{detail}")
        assert SelfDiagnosisReport.objects.get(pk=report.pk).status == ReportStatus.FORWARDED
        desk.clear_cookies()

        # The quality office opens a round: the form shows the publication deadline of the
        # start picked, and refuses a start whose deadline has passed, naming one that works.
        log_in(page, base, cast.quality_officer, cast.password)
        page.goto(f"{base}/review/rounds/")
        today = timezone.localdate()
        days = settings.REVIEW_DISCLOSURE_DAYS
        too_early = today + datetime.timedelta(days=days - 2)
        page.fill("#id_name", "2026 复核")
        page.select_option("#id_catalogue", str(report.catalogue_id))
        page.fill("#id_review_start", too_early.isoformat())
        page.fill("#id_review_end", (too_early + datetime.timedelta(days=3)).isoformat())
        shown = page.locator("#disclosure-deadline strong").inner_text()
        assert shown == (too_early - datetime.timedelta(days=days)).isoformat()
        assert page.locator("#disclosure-deadline").is_visible()
        # The date field itself will not take it (its min is the earliest start) ...
        assert page.eval_on_selector("#id_review_start", "e => e.validity.rangeUnderflow")
        # ... and the server refuses it too when the browser's check is bypassed.
        page.eval_on_selector("#round-form", "f => { f.noValidate = true; }")
        with page.expect_navigation():
            page.click("#round-form button[type=submit]")
        earliest = today + datetime.timedelta(days=days)
        refusal = page.locator("#round-form .errorlist").inner_text()
        assert str(too_early - datetime.timedelta(days=days)) in refusal
        assert str(earliest) in refusal
        assert not ReviewRound.objects.exists()
        start = today + datetime.timedelta(days=days + 10)
        page.fill("#id_review_start", start.isoformat())
        page.fill("#id_review_end", (start + datetime.timedelta(days=5)).isoformat())
        assert (
            page.locator("#disclosure-deadline strong").inner_text()
            == (start - datetime.timedelta(days=days)).isoformat()
        )
        page.click("#round-form button[type=submit]")
        page.wait_for_url(f"{base}/review/rounds/*/")
    finally:
        desk.close()
    round_ = ReviewRound.objects.get()
    assert round_.review_start == start
    report.refresh_from_db()

    # The office's panel and publication steps are tested on their own; here they are services.
    services.round_add_report(actor=cast.quality_officer, round_=round_, report=report)
    chair = services.panel_add(
        actor=cast.quality_officer,
        round_=round_,
        user=cast.expert,
        kind=PanelMember.Kind.EXTERNAL,
        declaration="与被复核单位无利益关系",
        is_chair=True,
    )
    assignment = services.assignment_create(actor=cast.quality_officer, member=chair, report=report)
    services.round_publish(actor=cast.quality_officer, round_=round_)
    key = f"{round_.catalogue.elements_in_order().first().pk}-0"
    comment = f"textarea[name='comment-{key}']"
    url = f"{base}/review/assignments/{assignment.pk}/"

    # The expert, on a phone: before the review the form is read-only, saying why and when.
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    try:
        log_in(page, base, cast.expert, cast.password)
        page.goto(url)
        notice = page.locator("#review-window").inner_text()
        assert "尚未开始" in notice and str(start) in notice
        assert page.locator("#findings-form button[type=submit]").count() == 0
        assert page.locator(comment).get_attribute("readonly") is not None
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        services.round_start(actor=cast.quality_officer, round_=round_, today=start)

        # During the review what the expert types is saved as a draft while they type: nothing
        # is clicked, and a reload finds it again.
        page.reload()
        assert page.locator("#review-window").count() == 0
        page.check(f"input[name='match-{key}'][value=no]")
        page.fill(comment, "自评偏高，证据不足")
        page.wait_for_function(
            "document.querySelector('.autosave').textContent.trim().length > 2"
            " && !document.querySelector('.autosave').textContent.includes('✗')",
            timeout=15_000,
        )
        page.wait_for_timeout(1500)  # a later keystroke's save, if any, lands too
        page.reload()
        assert page.locator(comment).input_value() == "自评偏高，证据不足"
        assert page.locator(f"input[name='match-{key}'][value=no]").is_checked()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.close()
    assignment = ReviewAssignment.objects.get(pk=assignment.pk)
    assert assignment.draft[f"comment-{key}"] == "自评偏高，证据不足"
    assert assignment.submitted_at is None
