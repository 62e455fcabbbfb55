"""The chair's vote page in chromium, on a desk and on a phone: the inbox row opens it, and it
shows what the change request changes (reason, before and after) without a sideways scroll."""

import pytest
from django.urls import reverse

from tests.conftest import DESKTOP, PHONE, log_in
from workflows.plans.models import ChangeRequest

from .factories import in_force_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_chair_sees_what_changes_where_they_vote(browser, live_server, cast, client, viewport):
    plan = in_force_plan(cast)
    client.force_login(cast.quality_officer)
    client.post(
        reverse("plans:change_create", args=["plan", plan.pk]),
        {
            "change-summary": "延长规划期限",
            "change-reason": "与学院五年规划对齐",
            "title": plan.title,
            "kind": plan.kind,
            "start_year": plan.start_year,
            "end_year": plan.end_year + 1,
        },
    )
    assert ChangeRequest.objects.exists()
    base = live_server.url
    page = browser.new_context(locale="zh-CN", viewport=viewport).new_page()
    try:
        log_in(page, base, cast.chair, cast.password)
        page.goto(f"{base}/inbox/")
        row = page.locator("#inbox-tasks tr", has_text="延长规划期限")
        row.locator("a").first.click()
        page.wait_for_selector("#change-rows")
        text = page.locator("main").inner_text()
        assert "与学院五年规划对齐" in text and str(plan.end_year + 1) in text
        assert page.locator("button[value=approve]").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    finally:
        page.context.close()
