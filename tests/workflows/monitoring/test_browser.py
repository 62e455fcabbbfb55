"""The charts and the 8 in a real browser: vendored ECharts draws, the current stage is marked."""

import os

import pytest

from tests.factories import PASSWORD
from workflows.levels import Level
from workflows.monitoring.models import Cycle, Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1000, "height": 900})
        finally:
            browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-box button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_cycle_figure_trend_and_heat_map(page, live_server, cast, mon, approved):
    approved(mon.employment, mon.rj, "88")
    approved(mon.employment, mon.rj, "80")
    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=cast.units.rj
    )
    Cycle.objects.filter(pk=cycle.pk).update(stage=Stage.IMPROVE)
    base = live_server.url
    _log_in(page, base, "rj_leader")
    page.goto(f"{base}/monitoring/cycles/{cycle.pk}/")
    assert page.locator("svg.eight-wide g.node.current text").text_content() == "改进"
    assert not page.locator("svg.eight-tall").is_visible()
    assert page.locator("#current-stage").inner_text() == "改进"
    page.goto(f"{base}/monitoring/subjects/{mon.rj.pk}/")
    page.wait_for_selector(f"#trend-{mon.employment.pk} canvas")
    page.context.clear_cookies()
    _log_in(page, base, "zgb")
    page.goto(f"{base}/monitoring/")
    page.wait_for_selector("#heatmap canvas")
    assert page.evaluate("typeof window.echarts") == "object"


def test_the_8_with_its_links_fits_a_phone(page, live_server, cast, mon, chains):
    from workflows.monitoring import services

    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=cast.units.rj
    )
    services.cycle_link_items(actor=cast.software_lead, cycle=cycle)
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, base, "rj_leader")
    page.goto(f"{base}/monitoring/cycles/{cycle.pk}/")
    # a phone draws the 8 tall, one loop above the other
    assert not page.locator("svg.eight-wide").is_visible()
    eight = page.locator("svg.eight-tall")
    assert eight.locator("g.node.current text").text_content() == "目标"
    assert eight.locator("g.node").count() == 12
    assert page.locator("#stage-target").inner_text().count("毕业生就业率") == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert eight.bounding_box()["width"] <= 390
    # every stage's label is drawn at a readable size (the wide 8 drew them at ~6 px)
    heights = eight.locator("g.node text").evaluate_all(
        "texts => texts.map(t => t.getBoundingClientRect().height)"
    )
    assert min(heights) >= 11, heights
    # A stage on the 8 leads to its linked objects.
    eight.locator("a[href='#stage-standard']").click()
    assert page.url.endswith("#stage-standard")


def test_a_phone_shows_the_cycles_work_and_assembles_its_annual_report(
    page, live_server, cast, mon, chains
):
    from workflows.monitoring import services

    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=cast.units.rj
    )
    services.cycle_link_items(actor=cast.software_lead, cycle=cycle)
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, base, "rj_leader")
    page.goto(f"{base}/monitoring/cycles/{cycle.pk}/")
    assert "作出决定，推进循环" in page.locator("#cycle-work").inner_text()
    page.click("#cycle-reports button[type=submit]")
    page.wait_for_selector("#cycle-reports .job-link a")
    link = page.locator("#cycle-reports .job-link a").first
    assert "专业年度质量报告-软件技术-2026.docx" in link.inner_text()
    bar = page.locator("#cycle-reports .progress").first
    assert bar.get_attribute("aria-valuenow") == "100"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


HEATMAP_LABELS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("heatmap"));
  const boxes = [];
  for (const el of chart.getZr().storage.getDisplayList(true)) {
    if (!el.style || typeof el.style.text !== "string" || !el.style.text) continue;
    const r = el.getBoundingRect().clone();
    if (el.transform) r.applyTransform(el.transform);
    boxes.push([el.style.text, r.x, r.y, r.width, r.height]);
  }
  return boxes;
}"""


def _overlaps(boxes):
    return [
        (a[0], b[0])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[1] < b[1] + b[3] - 1
        and b[1] < a[1] + a[3] - 1
        and a[2] < b[2] + b[4] - 1
        and b[2] < a[2] + a[4] - 1
    ]


def test_the_warning_heat_map_keeps_its_labels_apart_on_a_phone_and_a_desktop(
    page, live_server, cast, mon, approved
):
    """The quality office's dashboard: the indicator names, the unit names, the counts and the
    colour scale of the heat map never cover one another (at 390 px the slanted names ran into
    each other, and at both widths the colour scale covered the names)."""
    from .factories import IndicatorFactory

    names = ["听课评价得分（教师）", "教学质量评估得分", "综合素质测评成绩", "课堂教学满意度"]
    for i, name in enumerate(names):
        indicator = IndicatorFactory(code=f"H{i}", name=name, data_owner_unit=cast.units.xx)
        for subject in (mon.rj, mon.wl):
            approved(indicator, subject, "80")
    approved(mon.employment, mon.jdyt, "80")
    base = live_server.url
    _log_in(page, base, "zgb")
    for width in (390, 1000):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/monitoring/")
        page.wait_for_selector("#heatmap canvas")
        boxes = page.evaluate(HEATMAP_LABELS)
        assert {"机电一体化技术", "就业率", *names} <= {b[0] for b in boxes}, boxes
        assert _overlaps(boxes) == [], (width, boxes)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
