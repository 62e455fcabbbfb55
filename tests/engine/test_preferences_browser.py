"""The notification settings in chromium, on a desk and on a phone: a student's page lists the
kinds that can reach them under their groups, fits the screen and saves."""

import pytest

from engine.models import NotificationPreference
from tests.conftest import DESKTOP, PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_students_notification_settings(browser, live_server, cast, viewport, tmp_path):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    try:
        log_in(page, live_server.url, cast.student, cast.password)
        page.goto(f"{live_server.url}/notifications/settings/")
        headings = page.locator("#preferences tr.group-heading th").all_inner_texts()
        assert headings[0] == "我的待办与期限" and "案件" in headings
        text = page.locator("#preferences").inner_text()
        assert "转办给我的事项" in text and "后台任务失败" not in text
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=tmp_path / "preferences.png", full_page=True)
        page.uncheck("input[name='task.reassigned:email']")
        page.click("form.card button[type=submit]")
        page.wait_for_selector("ul.messages")
        preference = NotificationPreference.objects.get(user=cast.student, kind="task.reassigned")
        assert not preference.email and preference.webhook
    finally:
        context.close()
