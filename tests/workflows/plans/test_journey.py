"""A request to retire the college's plan in force, walked in chromium as the people who would:
the quality office asks, the plan stays in force while the committee votes, the proposer and a
department leader are refused a vote, both members approve and the plan is retired; the change
page names the values before and after, and fits a phone."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from engine import duties
from tests.conftest import DESKTOP, PHONE, log_in
from tests.factories import MembershipFactory
from workflows.plans.models import ChangeRequest, ChangeState, ItemState, Plan, PlanKind

from .factories import approve, draft_plan, in_force_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROPOSER_RULE = "变更申请的提出人不得对本申请投票"


def _as(page, base, user, password, url):
    page.context.clear_cookies()
    log_in(page, base, user, password)
    page.goto(url)


def _votes(page) -> dict[str, str]:
    """Who voted how, as the page's committee table shows it."""
    rows = page.locator("#votes tbody tr")
    return {
        rows.nth(i).get_attribute("data-voter"): rows.nth(i).locator("td").nth(1).inner_text()
        for i in range(rows.count())
    }


def _diff(page) -> list[list[str]]:
    rows = page.locator("#change-rows tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def _assert_names_not_codes(rows):
    assert rows == [["状态", "现行", "已废止"]]
    for cell in (c for row in rows for c in row):
        assert not re.fullmatch(r"\d+", cell), f"a bare id on the change page: {rows}"
        assert not re.search(r"in_force|retired|retire\b", cell), f"a code: {rows}"


def test_a_retire_request_walks_to_the_committee_and_retires_the_plan(browser, live_server, cast):
    duties.seed_defaults()
    # The head of the quality office also sits on the committee: the proposer may not vote on
    # their own request, so the two other members make up the electorate and both must approve.
    MembershipFactory(
        user=cast.quality_officer, org_unit=cast.units.committee, role=Role.COMMITTEE_MEMBER
    )
    plan = in_force_plan(cast)
    base = live_server.url
    plan_url = f"{base}{plan.get_absolute_url()}"
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    try:
        # -- the quality office asks the committee to retire the plan ------------------------
        _as(page, base, cast.quality_officer, cast.password, plan_url)
        assert page.locator("#item-state").inner_text() == "现行"
        page.click("#retire-request")
        page.wait_for_url("**/retire/")
        # Without the confirmation tick the browser does not send the request.
        page.fill("#id_reason", "规划期调整，由新一轮规划取代")
        page.click("form.card button[type=submit]")
        assert page.locator("#id_confirm:invalid").count() == 1
        assert page.url.endswith("/retire/")
        assert not ChangeRequest.objects.exists()
        page.check("#id_confirm")
        page.click("form.card button[type=submit]")
        page.wait_for_url("**/changes/*/")
        change = ChangeRequest.objects.get()
        change_url = f"{base}{change.get_absolute_url()}"
        assert page.url == change_url
        assert "规划期调整，由新一轮规划取代" in page.locator("main").inner_text()
        _assert_names_not_codes(_diff(page))
        # The proposer sees the rule, not the vote buttons.
        assert PROPOSER_RULE in page.locator("[data-duty-note]").inner_text()
        assert page.locator('button[value="approve"]').count() == 0
        assert page.locator("#vote-rule").inner_text() == (
            "投票开始时有表决权的委员 2 人；2 票赞成即通过。"
        )
        votes = _votes(page)
        assert votes["zgb"] == "回避表决（职责分离）"
        assert votes["chair"] == votes["committee"] == "尚未表决"
        page.goto(plan_url)
        assert page.locator("#item-state").inner_text() == "现行"

        # -- a department leader is no committee member: the vote URL refuses them ------------
        _as(page, base, cast.xx_leader, cast.password, change_url)
        assert page.locator('button[value="approve"]').count() == 0
        token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
        refused = page.request.post(
            base + reverse("plans:change_vote", args=[change.pk]),
            form={"csrfmiddlewaretoken": token, "decision": "approve"},
            max_redirects=0,
        )
        assert refused.status == 403

        # -- the chair approves: one of two, the plan is still in force ----------------------
        _as(page, base, cast.chair, cast.password, change_url)
        page.fill("#id_comment", "同意废止")
        page.click('button[value="approve"]')
        page.wait_for_url(change_url)
        assert page.locator("#change-state").inner_text() != "已批准"
        votes = _votes(page)
        assert votes["chair"] == "同意"
        assert votes["committee"] == "尚未表决"
        assert "同意废止" in page.locator('#votes tr[data-voter="chair"]').inner_text()
        page.goto(plan_url)
        assert page.locator("#item-state").inner_text() == "现行"
        assert Plan.objects.get(pk=plan.pk).state == ItemState.IN_FORCE

        # -- the second member approves: the committee decided, the plan is retired ----------
        _as(page, base, cast.committee_member, cast.password, change_url)
        page.click('button[value="approve"]')
        page.wait_for_url(change_url)
        assert ChangeRequest.objects.get().state == ChangeState.APPROVED
        assert _votes(page)["committee"] == "同意"
        assert page.locator('button[value="approve"]').count() == 0
        # What changed stays on the page after the decision, in names.
        _assert_names_not_codes(_diff(page))
        page.goto(plan_url)
        assert page.locator("#item-state").inner_text() == "已废止"
        assert Plan.objects.get(pk=plan.pk).state == ItemState.RETIRED

        # -- the decided change page on a phone: nothing scrolls sideways but the tables ----
        page.set_viewport_size(PHONE)
        page.goto(change_url)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_editing_the_plan_in_force_opens_a_change_request_named_in_display_values(
    browser, live_server, cast
):
    duties.seed_defaults()
    root = in_force_plan(cast)
    plan = approve(
        cast, draft_plan(cast, title="专业建设专项规划", kind=PlanKind.SPECIAL, parent=root)
    )
    base = live_server.url
    edit_url = base + reverse("plans:item_edit", args=["plan", plan.pk])
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    try:
        _as(page, base, cast.quality_officer, cast.password, edit_url)
        # Editing something in force lands on the change-request form, not the draft form.
        assert page.url == base + reverse("plans:change_create", args=["plan", plan.pk])
        page.fill("#id_change-summary", "改为专项规划并指定负责人")
        page.fill("#id_change-reason", "归口调整")
        page.select_option("#id_kind", label="系（部）规划")
        page.select_option("#id_lead_person", label=str(cast.xx_leader))
        page.click("form.card button[type=submit]")
        page.wait_for_url("**/changes/*/")
        change_url = page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        changed = {row[0]: row[1:] for row in _diff(page)}
        assert changed["类型"] == ["专项规划", "系（部）规划"]
        assert changed["负责人"] == ["—", str(cast.xx_leader)]
        table = page.locator("#change-rows").inner_text()
        assert "special" not in table and "department" not in table
        assert not re.search(rf"\b{cast.xx_leader.pk}\b", table)

        for member in (cast.chair, cast.committee_member):
            _as(page, base, member, cast.password, change_url)
            page.click('button[value="approve"]')
            page.wait_for_url(change_url)
        assert ChangeRequest.objects.get().state == ChangeState.APPROVED
        # The decided request still shows what it changed, in names.
        assert {row[0]: row[1:] for row in _diff(page)} == changed
        page.goto(base + plan.get_absolute_url())
        assert page.locator("#item-state").inner_text() == "现行"
        plan.refresh_from_db()
        assert plan.kind == PlanKind.DEPARTMENT and plan.lead_person == cast.xx_leader
    finally:
        context.close()
