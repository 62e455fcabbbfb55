"""The quality office previews and confirms a state-data table in a real browser, on a desktop
and on a phone: nothing runs off the side of the screen."""

import pytest

from tests.conftest import DESKTOP, PHONE, log_in
from workflows.monitoring.models import Reading
from workflows.statedata.demo import SAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_preview_and_confirm_a_table(browser, live_server, cast, sd, viewport, tmp_path):
    base = live_server.url
    page = browser.new_page(viewport=viewport)
    log_in(page, base, cast.quality_officer, cast.password)
    page.goto(f"{base}/statedata/")
    assert page.locator("#profiles").inner_text().count("专业招生与报到情况") == 1
    page.goto(f"{base}/statedata/profiles/{sd.zyzs.pk}/upload/")
    page.set_input_files("input[type=file]", str(SAMPLE))
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#preview-counts")
    assert "27 条新数据" in page.inner_text("#preview-counts")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.click("#confirm button[type=submit]")
    page.wait_for_selector("#readings")
    assert "已写入 27 条数据" in page.inner_text("#import-done")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=str(tmp_path / f"statedata-{viewport['width']}.png"), full_page=True)
    assert Reading.objects.filter(batch__startswith="statedata:").count() == 27
    page.goto(f"{base}/statedata/profiles/{sd.zyzs.pk}/edit/")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
