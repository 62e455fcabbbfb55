"""Every demo login in a real browser: log in through the form, land on a Chinese home page that
names the person's roles, and be refused what belongs to other roles. One run on a phone."""

import os

import pytest
from django.utils import translation

from accounts import demo
from accounts.models import OrgUnit

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 375, "height": 812}

ROSTER, AUDIT, UNITS, ADMIN = (
    "/accounts/roster/import/",
    "/accounts/audit/",
    "/accounts/units/",
    "/admin/",
)
FORBIDDEN, NOT_FOUND = 403, 404

# What each demo login must be refused: (path or unit code, expected answer). A unit code means
# that unit's page, which a leader of another department may not even know exists (404).
REFUSALS = {
    "chair": [(ROSTER, FORBIDDEN)],
    "committee": [(ROSTER, FORBIDDEN), (AUDIT, FORBIDDEN)],
    "zgb": [(ADMIN, "admin-login")],
    "jwc_leader": [("unit:xx", NOT_FOUND), (AUDIT, FORBIDDEN)],
    "xx_leader": [("unit:jd", NOT_FOUND), (ROSTER, FORBIDDEN)],
    "xx_member": [("unit:jd", NOT_FOUND), (AUDIT, FORBIDDEN)],
    "jd_leader": [("unit:xx", NOT_FOUND), (AUDIT, FORBIDDEN)],
    "jg_leader": [("unit:xx", NOT_FOUND)],
    "rj_leader": [("unit:wl", NOT_FOUND), (ROSTER, FORBIDDEN)],
    "rj_member": [("unit:jd", NOT_FOUND), (AUDIT, FORBIDDEN)],
    "dudao": [(ROSTER, FORBIDDEN), (AUDIT, FORBIDDEN)],
    "jiwei": [(ROSTER, FORBIDDEN), (AUDIT, FORBIDDEN)],
    "teacher": [(ROSTER, FORBIDDEN), (AUDIT, FORBIDDEN), ("unit:jd", NOT_FOUND)],
    "jd_teacher": [(ROSTER, FORBIDDEN), ("unit:xx", NOT_FOUND)],
    "student": [(ROSTER, FORBIDDEN), (AUDIT, FORBIDDEN), ("unit:jd", NOT_FOUND)],
    "adviser": [(ROSTER, FORBIDDEN), (AUDIT, FORBIDDEN), ("unit:jd", NOT_FOUND)],
    "expert": [(UNITS, FORBIDDEN), (ROSTER, FORBIDDEN), (AUDIT, FORBIDDEN)],
    # The system administrator is refused nothing here; it must reach what the others may not.
    "admin": [],
}
ADMIN_REACHES = [ROSTER, AUDIT, ADMIN]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test makes
    # between browser steps are still synchronous ones.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo_college(transactional_db):
    demo.seed_demo()
    return {u.code: u.pk for u in OrgUnit.objects.only("code")}


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click(".login-box button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def chinese_role_labels(username):
    memberships = next(m for u, _name, m in demo.PEOPLE if u == username)
    with translation.override("zh-hans"):
        return {str(role.label) for role, _unit in memberships}


def test_every_demo_login_sees_its_chinese_home_and_is_refused_other_roles_pages(
    browser, live_server, demo_college
):
    base = live_server.url
    assert set(REFUSALS) == {username for username, _n, _m in demo.PEOPLE}
    for username, full_name, _memberships in demo.PEOPLE:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        try:
            log_in(page, base, username)
            assert page.locator("#my-tasks h2").inner_text() == "我的待办", username
            assert full_name in page.locator("h1").inner_text(), username
            roles_text = page.locator("#my-roles").inner_text()
            for label in chinese_role_labels(username):
                assert label in roles_text, (username, label)

            for target, expected in REFUSALS[username]:
                path = (
                    f"/accounts/units/{demo_college[target[5:]]}/"
                    if target.startswith("unit:")
                    else target
                )
                response = page.goto(base + path)
                if expected == "admin-login":
                    assert "/admin/login/" in page.url, (username, path)
                    assert "没有这个页面的访问权限" in page.content(), (username, path)
                    continue
                assert response.status == expected, (username, path, response.status)
                heading = page.locator("main h1").inner_text()
                wanted = "无权访问" if expected == FORBIDDEN else "页面不存在"
                assert wanted in heading, (username, path, heading)
            if username == "admin":
                for path in ADMIN_REACHES:
                    response = page.goto(base + path)
                    assert response.status == 200 and "/login/" not in page.url, path
        finally:
            context.close()


def test_phone_layout_menu_toggles_and_looks_right(browser, live_server, demo_college, tmp_path):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, live_server.url, "zgb")
        toggle = page.locator("button.nav-toggle")
        menu = page.locator("#mainnav")
        assert toggle.is_visible()
        assert not menu.is_visible()
        page.screenshot(path=tmp_path / "phone-home-closed.png", full_page=True)

        toggle.click()
        assert menu.is_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
        # the menu lists the domains; a tap opens one
        assert not page.get_by_role("link", name="名册导入").is_visible()
        page.locator("details.navgroup[data-group=admin] > summary").click()
        assert page.get_by_role("link", name="名册导入").is_visible()
        page.screenshot(path=tmp_path / "phone-home-menu.png", full_page=True)

        # Nothing is wider than the phone: no sideways scrolling on the home page.
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= PHONE["width"], scroll_width

        page.get_by_role("link", name="名册导入").click()
        page.wait_for_url(f"{live_server.url}{ROSTER}")
        assert page.locator("main h1").is_visible()
        page.screenshot(path=tmp_path / "phone-roster.png", full_page=True)
    finally:
        context.close()
