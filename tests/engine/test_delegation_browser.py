"""转办 and 代理 in chromium, on a desk and on a phone: a team leader marks a business trip and
names a deputy; the deputy finds the leader's task in 我的待办; the department leader hands it
to a team member with a reason."""

import datetime

import pytest
from django.utils import timezone

from tests.conftest import DESKTOP, PHONE, log_in

from .test_delegation import plan_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pick(page, field, search, label):
    """Choose in a person picker as a user does: open it, type, take the match."""
    page.click(f"#{field}-ts-control")
    page.keyboard.type(search)
    page.locator(f"#{field}-ts-dropdown .option", has_text=label).click()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_away_deputy_and_reassign(browser, live_server, cast, viewport):
    task = plan_task(cast, lead_unit=cast.units.rj)
    base = live_server.url
    today = timezone.localdate()
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    try:
        log_in(page, base, cast.software_lead, cast.password)
        page.goto(f"{base}/notifications/settings/")
        page.click("a[href$='/notifications/settings/away/']")
        page.select_option("#id_kind", "trip")
        page.fill("#id_starts_on", today.isoformat())
        page.fill("#id_ends_on", (today + datetime.timedelta(days=3)).isoformat())
        # the deputy picker is searchable and offers the department's people only
        pick(page, "id_deputy", "黄", f"{cast.xx_member}（信息工程系）")
        assert page.input_value("#id_deputy") == str(cast.xx_member.pk)
        # one click saves: the picker keeps its height when it loses focus
        page.click("#absence-form button[type=submit]")
        page.wait_for_selector("#absences")
        assert "出差" in page.locator("#absences").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.context.clear_cookies()

        log_in(page, base, cast.xx_member, cast.password)
        page.goto(f"{base}/inbox/")
        row = page.locator("#inbox-tasks tr", has_text=task.title)
        assert f"代理{cast.software_lead}" in row.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.context.clear_cookies()

        log_in(page, base, cast.xx_leader, cast.password)
        # not in the department leader's own to-do list: found from the task's page
        page.goto(f"{base}{task.get_absolute_url()}")
        page.click("#progress a.reassign")
        page.wait_for_selector("#reassign-form")
        # searched by unit: the people of 软件技术
        pick(page, "id_to_user", "软件", f"{cast.software_member}（软件技术）")
        assert page.input_value("#id_to_user") == str(cast.software_member.pk)
        page.fill("#id_reason", "赵磊出差，由何燕负责")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.click("#reassign-form button[type=submit]")
        page.wait_for_url(f"{base}/inbox/")
        assert f"已转办给{cast.software_member}" in page.content()
        page.context.clear_cookies()

        log_in(page, base, cast.software_member, cast.password)
        page.goto(f"{base}/inbox/")
        assert page.locator("#inbox-tasks tr", has_text=task.title).count() == 1
    finally:
        context.close()
