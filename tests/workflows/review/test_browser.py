"""The live counters and autosave in a real browser (Debian chromium, headless)."""

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from tests.conftest import CHROMIUM

from .factories import filled_report, shipped_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_cookie(user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def test_counters_flag_an_over_limit_row_and_autosave_keeps_the_text(cast, live_server, settings):
    from playwright.sync_api import sync_playwright

    settings.SESSION_COOKIE_SECURE = False
    report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
    row = report.rows.first()
    # Every ORM call stays outside the playwright block: its event loop would make Django open
    # a second connection in another context and leave it behind.
    cookie = {"name": "sessionid", "value": _session_cookie(cast.software_member)}
    edit_url = f"{live_server.url}/review/reports/{report.pk}/edit/"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context()
            context.add_cookies([{**cookie, "url": live_server.url}])
            page = context.new_page()
            page.goto(edit_url)
            measures = page.locator(f"#m-{row.element_id}")
            counter = page.locator(f'.counter[data-for="m-{row.element_id}"]')
            measures.fill("措" * 200)
            assert counter.inner_text() == "200 / 200"
            assert "over" not in (counter.get_attribute("class") or "")
            measures.fill("Python 课程" * 25 + "多")
            assert counter.inner_text() == "201 / 200"
            assert "over" in counter.get_attribute("class")
            page.wait_for_function(
                "document.querySelector('.autosave').textContent.startsWith('✓')", timeout=10_000
            )
        finally:
            browser.close()
    row.refresh_from_db()
    assert row.measures == "Python 课程" * 25 + "多"
