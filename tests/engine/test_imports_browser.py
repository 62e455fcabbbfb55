"""The import progress page in a real browser: the bar moves by polling, the page shows the
result when the job ends; at desk and phone widths."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from engine import imports
from engine.models import ImportRun

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


def roster(n):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["工号/学号", "姓名", "单位", "角色"])
    for i in range(n):
        ws.append([f"S8{i:05d}", f"学生{i}", "rj" if i % 10 else "没有这个系", "学生"])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("名册.xlsx", out.getvalue())


@pytest.fixture
def browser():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_progress_page_follows_the_job_to_its_result(
    browser, live_server, transactional_db, cast, client, settings, monkeypatch
):
    settings.IMPORT_INLINE_MAX_ROWS = 10
    # No worker: the message is dropped and the test plays the worker below.
    monkeypatch.setattr("engine.tasks.publish_quietly", lambda *a, **k: False)
    run = imports.import_start(actor=cast.quality_officer, kind="roster", file=roster(60))
    assert run.status == ImportRun.Status.QUEUED
    client.force_login(cast.quality_officer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    for width, height in ((1280, 900), (390, 844)):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/imports/{run.pk}/")
        assert page.locator("#import-status").inner_text() == "排队中"
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/import-queued-{width}.png", full_page=True)
        context.close()

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/imports/{run.pk}/")
    imports.execute(run.pk)  # the worker finishes while the page polls
    page.wait_for_selector("#import-summary", timeout=30_000)
    assert "已完成" in page.locator("#import-status").inner_text()
    assert "出错 6 行" in page.locator("#import-summary").inner_text()
    assert "没有这个系" in page.locator("#import-errors").inner_text()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/import-done-390.png", full_page=True)
    context.close()
