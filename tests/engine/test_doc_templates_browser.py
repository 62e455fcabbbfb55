"""The quality office's page of Word templates in a real browser, at desk and phone widths: every
document it owns is listed in Chinese, an upload replaces the one in use, a broken one is refused
on the page with the place of the error."""

import pytest
from django.urls import reverse

from engine import doc_templates
from tests.conftest import DESKTOP, PHONE
from tests.documents import TEMPLATES_PAGE, edited

pytestmark = pytest.mark.browser


def test_the_office_replaces_a_template_on_the_page(
    browser, live_server, transactional_db, cast, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.quality_officer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    ledger = client.get(reverse("engine:document_template_download", args=["monitoring.ledger"]))
    good, broken = tmp_path / "ledger.docx", tmp_path / "broken.docx"
    good.write_bytes(edited(ledger.content, "本校台账 {{ title }}"))
    broken.write_bytes(edited(ledger.content, "审核人签字：{{ title "))
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}{TEMPLATES_PAGE}")
        titles = page.locator("section.card h2").all_inner_texts()
        assert len(titles) == len(doc_templates.KINDS)
        assert "改进台账" in titles and "自我诊改报告（附件2）" in titles
        assert all(not t.isascii() for t in titles), titles
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{viewport['width']} px: {overflow} px too wide"
        card = page.locator("section.card", has_text="改进台账")
        card.locator("input[type=file]").set_input_files(str(broken))
        card.locator("button[type=submit]").first.click()
        page.wait_for_load_state()
        refused = page.locator("section.card", has_text="改进台账").locator(".errorlist")
        assert "模板标记有误" in refused.inner_text() and "审核人签字" in refused.inner_text()
        context.close()

    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}{TEMPLATES_PAGE}")
    card = page.locator("section.card", has_text="改进台账")
    card.locator("input[type=file]").set_input_files(str(good))
    card.locator("input[name=note]").fill("加本校台账字样")
    card.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    card = page.locator("section.card", has_text="改进台账")
    assert "加本校台账字样" in card.inner_text()
    context.close()
    assert doc_templates.current("monitoring.ledger").version == 1
