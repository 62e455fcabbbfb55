"""The quality office imports a task-decomposition table in chromium, on a desk and on a phone."""

import pytest

from tests.conftest import DESKTOP, PHONE, log_in
from workflows.plans.models import Task, UnitAlias

from .factories import draft_plan, in_force_plan
from .test_import import LEAD_ROWS, _plain_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_import_with_unknown_names_is_mapped_then_confirmed(
    browser, live_server, cast, tmp_path, viewport
):
    root = in_force_plan(cast)
    annual = draft_plan(
        cast, title="2026年度工作计划", kind="annual", parent=root, start=2026, end=2026
    )
    sheet = tmp_path / "附件1.xlsx"
    sheet.write_bytes(_plain_workbook(LEAD_ROWS))
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    try:
        # A department leader may not import into the college's plan.
        log_in(page, base, cast.xx_leader, cast.password)
        page.goto(f"{base}/plans/import/")
        assert page.locator(f'select[name="plan"] option[value="{annual.pk}"]').count() == 0
        page.context.clear_cookies()

        log_in(page, base, cast.quality_officer, cast.password)
        page.goto(f"{base}/plans/import/")
        page.select_option('select[name="plan"]', str(annual.pk))
        page.set_input_files('input[name="file"]', str(sheet))
        page.click("form.card button[type=submit]")
        page.wait_for_url("**/plans/import/*/")
        assert page.locator("#bad-rows").inner_text().count("牵头部门（D") == 2
        confirm = page.locator("form:not([action]) button[type=submit]")
        assert confirm.is_disabled()
        # The page fits the screen: nothing scrolls sideways but the tables.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

        unmatched = page.locator("#unmatched")
        selects = unmatched.locator("select")
        assert selects.count() == 2
        for i in range(2):
            select = selects.nth(i)
            # the unit picker points the label at its search box (id_…-ts-control)
            label = unmatched.locator(f'label[for^="{select.get_attribute("id")}"]').inner_text()
            if "宣传部" in label:
                assert select.locator('option[value^="group:"]').count() == 0
                select.select_option(label="教务处")
            else:
                select.select_option(value="group:departments")
        unmatched.locator("button[type=submit]").click()
        page.wait_for_selector("#counts")
        assert page.locator("#unmatched").count() == 0
        assert "新增 2 项任务" in page.locator("#counts").inner_text()
        page.locator("form:not([action]) button[type=submit]").click()
        page.wait_for_url("**/plans/tasks/**")
    finally:
        context.close()
    assert Task.objects.count() == 2
    assert not Task.objects.filter(lead_unit__isnull=True).exists()
    assert set(UnitAlias.objects.values_list("name", flat=True)) == {"宣传部", "各教学单位"}
