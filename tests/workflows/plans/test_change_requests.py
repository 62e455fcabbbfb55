"""Issue 13: changes to anything in force go through the committee, and the change request keeps
what people typed and what changed, walked through the pages as the cast."""

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from workflows.plans.models import ChangeRequest, ItemState, Plan, PlanKind, Task

from .factories import approve, draft_plan, draft_target, in_force_plan

pytestmark = pytest.mark.django_db


def _url(name, item, kind="plan"):
    return reverse(f"plans:{name}", args=[kind, item.pk])


def _vote(client, change, decision="approve", comment=""):
    return client.post(
        reverse("plans:change_vote", args=[change.pk]), {"decision": decision, "comment": comment}
    )


def _approve(login, cast, change):
    """The cast's committee has two members: the default majority needs both."""
    for member in (cast.chair, cast.committee_member):
        _vote(login(member), change)


# ---- retiring ----------------------------------------------------------------------------------


def test_retire_button_opens_a_request_with_reason_and_confirmation(cast, login):
    plan = in_force_plan(cast)
    officer = login(cast.quality_officer)
    page = officer.get(plan.get_absolute_url()).content.decode()
    assert _url("item_retire", plan) in page
    form = officer.get(_url("item_retire", plan))
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="reason"' in html and 'name="confirm"' in html
    # Without a reason or the confirmation nothing happens.
    officer.post(_url("item_retire", plan), {"reason": "", "confirm": "on"})
    officer.post(_url("item_retire", plan), {"reason": "已被新规划取代"})
    assert not ChangeRequest.objects.exists()
    assert Plan.objects.get(pk=plan.pk).state == ItemState.IN_FORCE


def test_retire_waits_for_the_committee_and_the_plan_stays_in_force(cast, login):
    plan = in_force_plan(cast)
    officer = login(cast.quality_officer)
    response = officer.post(_url("item_retire", plan), {"reason": "规划期调整", "confirm": "on"})
    change = ChangeRequest.objects.get()
    assert response.url == reverse("plans:change_detail", args=[change.pk])
    assert change.kind == "retire" and change.reason == "规划期调整"
    assert Plan.objects.get(pk=plan.pk).state == ItemState.IN_FORCE

    _approve(login, cast, change)
    assert Plan.objects.get(pk=plan.pk).state == ItemState.RETIRED
    assert AuditEntry.objects.filter(action="plan.retire", object_id=str(plan.pk)).exists()


def test_rejected_retire_changes_nothing(cast, login):
    plan = in_force_plan(cast)
    login(cast.quality_officer).post(
        _url("item_retire", plan), {"reason": "规划期调整", "confirm": "on"}
    )
    change = ChangeRequest.objects.get()
    _vote(login(cast.committee_member), change, "reject", "仍在执行")
    assert Plan.objects.get(pk=plan.pk).state == ItemState.IN_FORCE
    assert ChangeRequest.objects.get().state == "rejected"


def test_supersede_names_a_successor_and_waits_for_the_committee(cast, login):
    old = in_force_plan(cast)
    new = in_force_plan(cast, title="学院“十五五”发展规划纲要（修订）")
    officer = login(cast.quality_officer)
    officer.post(
        _url("item_retire", old),
        {"kind": "supersede", "successor": new.pk, "reason": "修订版已生效", "confirm": "on"},
    )
    change = ChangeRequest.objects.get()
    assert change.kind == "supersede"
    assert Plan.objects.get(pk=old.pk).state == ItemState.IN_FORCE
    page = officer.get(change.get_absolute_url()).content.decode()
    assert new.title in page
    _approve(login, cast, change)
    assert Plan.objects.get(pk=old.pk).state == ItemState.SUPERSEDED


def test_owner_may_delete_a_draft_but_not_an_item_in_force(cast, login):
    draft = draft_plan(cast, title="草稿规划")
    live = in_force_plan(cast)
    officer = login(cast.quality_officer)
    officer.post(_url("item_delete", draft))
    assert not Plan.objects.filter(pk=draft.pk).exists()
    officer.post(_url("item_delete", live))
    assert Plan.objects.filter(pk=live.pk, state=ItemState.IN_FORCE).exists()
    other = draft_plan(cast, title="别人的草稿")
    assert login(cast.chair).post(_url("item_delete", other)).status_code in (403, 404)
    assert Plan.objects.filter(pk=other.pk).exists()


# ---- the change form and page ------------------------------------------------------------------


def test_change_text_and_plan_summary_are_two_fields(cast, login):
    plan = in_force_plan(cast)
    officer = login(cast.quality_officer)
    html = officer.get(_url("change_create", plan)).content.decode()
    assert len(re.findall(r'id="id_summary"', html)) <= 1
    officer.post(
        _url("change_create", plan),
        {
            "change-summary": "规划期延长一年",
            "change-reason": "与自治区规划对齐",
            "title": plan.title,
            "kind": "general",
            "start_year": 2026,
            "end_year": 2031,
            "summary": "",
        },
    )
    change = ChangeRequest.objects.get()
    assert change.summary == "规划期延长一年" and change.kind == "edit"
    assert "summary" not in change.proposed or change.proposed["summary"] == ""


def test_change_page_shows_names_and_keeps_what_changed_after_approval(cast, login):
    root = in_force_plan(cast)
    other_root = in_force_plan(cast, title="学院质量年度规划")
    plan = approve(
        cast,
        draft_plan(
            cast,
            title="专业建设专项规划",
            kind=PlanKind.SPECIAL,
            parent=root,
        ),
    )
    officer = login(cast.quality_officer)
    officer.post(
        _url("change_create", plan),
        {
            "change-summary": "改挂到质量年度规划并指定负责人",
            "change-reason": "归口调整",
            "title": plan.title,
            "kind": "department",
            "parent": other_root.pk,
            "start_year": 2026,
            "end_year": 2030,
            "lead_person": cast.xx_leader.pk,
        },
    )
    change = ChangeRequest.objects.get()
    _approve(login, cast, change)
    page = login(cast.committee_member).get(change.get_absolute_url())
    html = page.content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "&lt;" not in title
    rows = {r["field"]: (r["before"], r["after"]) for r in page.context["rows"]}
    assert rows["类型"] == ("专项规划", "系（部）规划")
    assert rows["上级规划"] == (root.title, other_root.title)
    assert rows["负责人"] == ("", str(cast.xx_leader))
    text = re.sub(r"<[^>]+>", " ", html.split("</header>", 1)[-1])
    assert "special" not in text and "department" not in text


def test_version_diff_shows_display_values(cast, login):
    plan = in_force_plan(cast)
    officer = login(cast.quality_officer)
    officer.post(
        _url("change_create", plan),
        {
            "change-summary": "指定负责人",
            "change-reason": "明确责任",
            "title": plan.title,
            "kind": "general",
            "start_year": 2026,
            "end_year": 2030,
            "lead_person": cast.quality_officer.pk,
        },
    )
    _approve(login, cast, ChangeRequest.objects.get())
    diff = login(cast.chair).get(_url("item_diff", plan) + "?a=1&b=2")
    rows = {r["field"]: r for r in diff.context["rows"]}
    assert rows["负责人"]["right"] == str(cast.quality_officer)
    assert rows["类型"]["left"] == "总规划"


def test_target_change_snapshot_names_the_values(cast, login):
    plan = in_force_plan(cast)
    target = approve(cast, draft_target(cast, plan))
    login(cast.quality_officer).post(
        reverse("plans:change_create", args=["target", target.pk]),
        {
            "change-summary": "提高2027目标",
            "change-reason": "招生计划扩大",
            "title": target.title,
            "category": "school_scale",
            "indicator": "全日制在校生数",
            "unit_of_measure": "人",
            "baseline": "8000",
            "values_text": "2026=8500\n2027=9500",
        },
    )
    change = ChangeRequest.objects.get()
    page = login(cast.chair).get(change.get_absolute_url())
    rows = {r["field"]: (r["before"], r["after"]) for r in page.context["rows"]}
    assert rows["年度目标值"] == ("2026: 8500；2027: 9000", "2026: 8500；2027: 9500")


# ---- task lists in force -----------------------------------------------------------------------


def test_tasks_of_a_plan_in_force_are_not_added_directly(cast, login):
    plan = in_force_plan(cast)
    officer = login(cast.quality_officer)
    response = officer.post(
        reverse("plans:task_create", args=[plan.pk]),
        {
            "category": "专业建设",
            "title": "新增任务",
            "deliverable": "方案",
            "lead_unit": cast.units.jwc.pk,
        },
    )
    assert response.status_code == 200
    assert not Task.objects.exists()


def test_editing_an_item_in_force_opens_a_change_request(cast, login):
    plan = in_force_plan(cast)
    response = login(cast.quality_officer).get(_url("item_edit", plan))
    assert response.status_code == 302 and response.url == _url("change_create", plan)


def test_the_chairs_vote_page_shows_what_changes(cast, login):
    """The committee task's own page (where the inbox links) shows the reason and the before and
    after of every changed field, not only a link to the full record."""
    from engine.selectors import inbox_tasks, task_rows

    plan = in_force_plan(cast)
    login(cast.quality_officer).post(
        _url("change_create", plan),
        {
            "change-summary": "延长规划期限",
            "change-reason": "与学院五年规划对齐",
            "title": plan.title,
            "kind": plan.kind,
            "start_year": plan.start_year,
            "end_year": plan.end_year + 1,
        },
    )
    change = ChangeRequest.objects.get()
    rows = [r for r in task_rows(inbox_tasks(cast.chair)) if r.obj == change]
    assert len(rows) == 1
    page = login(cast.chair).get(rows[0].url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="change-rows"' in html and "与学院五年规划对齐" in html
    changed = [(str(r["before"]), str(r["after"])) for r in page.context["rows"]]
    assert (str(plan.end_year), str(plan.end_year + 1)) in changed
