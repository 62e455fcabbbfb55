"""End to end in a real browser: a visitor files a report, keeps the code, follows it and adds
information; the discipline office picks it up."""

import os
import re

import pytest
from django.test import Client

from cases.confidential.models import Report, ReportAddition
from tests.conftest import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are
    # still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def solve(page):
    question = page.locator("form strong").inner_text()
    a, b = (int(n) for n in re.findall(r"\d+", question)[:2])
    page.fill("#id_challenge_answer", str(a + b))


def test_visitor_files_tracks_and_adds_then_the_office_picks_it_up(cast, live_server, browser):
    page = browser.new_page()
    page.goto(f"{live_server.url}/report/")
    page.select_option("#id_subject", "experts")
    page.fill("#id_about", "外聘专家评审")
    page.fill("#id_description", "评审专家与被评专业负责人为亲属关系。")
    solve(page)
    page.click("button[type=submit]")
    code = page.input_value("#tracking-code")
    assert re.fullmatch(r"([A-Z2-9]{4}-){4}[A-Z2-9]{4}", code)
    report = Report.objects.get()
    assert report.is_anonymous and report.number in page.content()

    page.goto(f"{live_server.url}/report/track/")
    page.fill("#id_code", code)
    page.click("button[type=submit]")
    assert report.number in page.content()
    page.fill("#id_text", "补充：评审名单见附件。")
    page.click("form[action$='/report/track/add/'] button[type=submit]")
    assert ReportAddition.objects.get().text == "补充：评审名单见附件。"

    office = Client()
    office.force_login(cast.discipline_officer)
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": office.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    desk = context.new_page()
    desk.goto(f"{live_server.url}/discipline/reports/")
    desk.click(f"text={report.number}")
    desk.click("form[action$='/advance/'] button[type=submit]")
    report.refresh_from_db()
    assert report.status == "preliminary_check"
