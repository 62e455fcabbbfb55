"""The approval and change-request loops, clicked through the pages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import AuditEntry
from workflows.plans import services
from workflows.plans.models import ChangeRequest, ItemState, ItemVersion, Plan, Target

from .factories import draft_plan, draft_target, in_force_plan

pytestmark = pytest.mark.django_db


def _url(name, item, kind="plan"):
    return reverse(f"plans:{name}", args=[kind, item.pk])


def test_new_plan_is_drafted_through_the_form(cast, login):
    client = login(cast.quality_officer)
    response = client.post(
        reverse("plans:item_create", args=["plan"]),
        {
            "title": "学院“十五五”发展规划纲要",
            "kind": "general",
            "start_year": 2026,
            "end_year": 2030,
            "level": "school",
            "owner_unit": cast.units.college.pk,
        },
    )
    plan = Plan.objects.get()
    assert response.status_code == 302 and response.url == plan.get_absolute_url()
    assert (
        plan.state == ItemState.DRAFT
        and plan.tier == 1
        and plan.years == [2026, 2027, 2028, 2029, 2030]
    )


def test_plan_goes_from_draft_to_in_force_through_review_and_committee(cast, login):
    plan = draft_plan(cast)
    officer = login(cast.quality_officer)
    officer.post(_url("item_submit", plan))
    assert Plan.objects.get(pk=plan.pk).state == ItemState.SUBMITTED
    officer.post(_url("item_review", plan), {"decision": "approve"})
    assert Plan.objects.get(pk=plan.pk).state == ItemState.REVIEWED

    chair = login(cast.chair)
    page = chair.get(reverse("plans:inbox"))
    assert plan.title in page.content.decode()
    # the committee decides by a majority of its two members: the other one approved first
    services.committee_vote(actor=cast.committee_member, subject=plan, approve=True)
    chair.post(_url("item_vote", plan), {"decision": "approve"})
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.state == ItemState.IN_FORCE and plan.version == 1
    version = ItemVersion.objects.get(object_id=plan.pk)
    assert version.number == 1 and version.data["title"] == plan.title
    actions = set(
        AuditEntry.objects.filter(object_id=str(plan.pk)).values_list("action", flat=True)
    )
    assert {"plan.create", "plan.submit", "plan.review", "plan.approve", "plans.vote"} <= actions


def test_committee_returns_with_comments_and_the_draft_is_editable_again(cast, login):
    plan = draft_plan(cast)
    officer = login(cast.quality_officer)
    officer.post(_url("item_submit", plan))
    officer.post(_url("item_review", plan), {"decision": "approve"})
    chair = login(cast.chair)
    chair.post(_url("item_vote", plan), {"decision": "return", "comment": "期限与上级规划不一致"})
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.state == ItemState.RETURNED and plan.return_comment == "期限与上级规划不一致"
    page = login(cast.quality_officer).get(plan.get_absolute_url()).content.decode()
    assert "期限与上级规划不一致" in page
    officer = login(cast.quality_officer)
    officer.post(
        _url("item_edit", plan),
        {"title": "修订后的规划", "kind": "general", "start_year": 2026, "end_year": 2030},
    )
    officer.post(_url("item_submit", plan))
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.title == "修订后的规划" and plan.state == ItemState.SUBMITTED
    assert plan.return_comment == ""


def test_return_without_comment_is_refused(cast, login):
    plan = draft_plan(cast)
    officer = login(cast.quality_officer)
    officer.post(_url("item_submit", plan))
    response = officer.post(_url("item_review", plan), {"decision": "return"}, follow=True)
    assert Plan.objects.get(pk=plan.pk).state == ItemState.SUBMITTED
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"


def test_approved_plan_cannot_be_edited_outside_a_change_request(cast, login):
    plan = in_force_plan(cast)
    officer = login(cast.quality_officer)
    response = officer.post(
        _url("item_edit", plan),
        {"title": "偷偷改", "kind": "general", "start_year": 2026, "end_year": 2030},
    )
    assert response.status_code == 200
    assert Plan.objects.get(pk=plan.pk).title != "偷偷改"


def test_change_request_on_a_draft_is_refused(cast, login):
    plan = draft_plan(cast)
    officer = login(cast.quality_officer)
    response = officer.post(
        _url("change_create", plan),
        {
            "change-summary": "延长",
            "change-reason": "需要",
            "title": "新",
            "kind": "general",
            "start_year": 2026,
            "end_year": 2031,
        },
    )
    assert response.status_code == 200
    assert not ChangeRequest.objects.exists()


def _request_change(client, plan, **overrides):
    data = {
        "change-summary": "规划期延长一年",
        "change-reason": "与自治区规划对齐",
        "title": plan.title,
        "kind": "general",
        "start_year": 2026,
        "end_year": 2031,
    }
    data.update(overrides)
    return client.post(_url("change_create", plan), data)


def test_approved_change_request_brings_a_new_version_into_force(cast, login):
    plan = in_force_plan(cast)
    target = draft_target(cast, plan)
    response = _request_change(login(cast.quality_officer), plan)
    change = ChangeRequest.objects.get()
    assert response.url == reverse("plans:change_detail", args=[change.pk])
    assert change.proposed["end_year"] == 2031 and change.base_version == 1
    assert {"kind": "target", "id": target.pk, "title": target.title} in change.effect

    # the committee decides by a majority of its two members: the other one approved first
    services.committee_vote(actor=cast.committee_member, subject=change, approve=True)
    chair = login(cast.chair)
    chair.post(reverse("plans:change_vote", args=[change.pk]), {"decision": "approve"})
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.end_year == 2031 and plan.version == 2 and plan.state == ItemState.IN_FORCE
    versions = list(ItemVersion.objects.filter(object_id=plan.pk).order_by("number"))
    assert [v.data["end_year"] for v in versions] == [2030, 2031]
    assert versions[1].change_request_id == change.pk

    diff = chair.get(_url("item_diff", plan) + "?a=1&b=2").content.decode()
    assert "2030" in diff and "2031" in diff and 'class="changed"' in diff


def test_rejected_change_leaves_the_version_in_force_intact(cast, login):
    plan = in_force_plan(cast)
    _request_change(login(cast.quality_officer), plan)
    change = ChangeRequest.objects.get()
    member = login(cast.committee_member)
    member.post(
        reverse("plans:change_vote", args=[change.pk]),
        {"decision": "reject", "comment": "理由不足"},
    )
    change = ChangeRequest.objects.get()
    plan = Plan.objects.get(pk=plan.pk)
    assert change.state == "rejected" and change.decision_comment == "理由不足"
    assert plan.end_year == 2030 and plan.version == 1
    assert ItemVersion.objects.filter(object_id=plan.pk).count() == 1


def test_target_change_updates_its_yearly_values(cast, login):
    plan = in_force_plan(cast)
    target = draft_target(cast, plan)
    from .factories import approve

    target = approve(cast, target)
    client = login(cast.quality_officer)
    client.post(
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
    # the committee decides by a majority of its two members: the other one approved first
    services.committee_vote(actor=cast.committee_member, subject=change, approve=True)
    login(cast.chair).post(reverse("plans:change_vote", args=[change.pk]), {"decision": "approve"})
    target = Target.objects.get(pk=target.pk)
    assert {v.year: int(v.value) for v in target.values.all()} == {2026: 8500, 2027: 9500}
    old = ItemVersion.objects.get(object_id=target.pk, number=1, content_type__model="target")
    assert old.data["values"]["2027"] == "9000.0000"
    diff = login(cast.chair).get(reverse("plans:item_diff", args=["target", target.pk]))
    changed = [r for r in diff.context["rows"] if r["changed"]]
    assert [r["field"] for r in changed] == [_("target value per year")]
    change_page = login(cast.chair).get(reverse("plans:change_detail", args=[change.pk]))
    assert change_page.status_code == 200


def test_quorum_and_chair_sign_off_are_data(cast, login):
    from workflows.plans.models import CommitteeRule

    CommitteeRule.objects.create(mode=CommitteeRule.Mode.FIXED, quorum=2, require_chair=True)
    plan = draft_plan(cast)
    officer = login(cast.quality_officer)
    officer.post(_url("item_submit", plan))
    officer.post(_url("item_review", plan), {"decision": "approve"})
    login(cast.committee_member).post(_url("item_vote", plan), {"decision": "approve"})
    assert Plan.objects.get(pk=plan.pk).state == ItemState.REVIEWED
    login(cast.chair).post(_url("item_vote", plan), {"decision": "approve"})
    assert Plan.objects.get(pk=plan.pk).state == ItemState.IN_FORCE


def test_same_member_cannot_vote_twice(cast, login):
    from workflows.plans.models import CommitteeRule, CommitteeVote

    CommitteeRule.objects.create(mode=CommitteeRule.Mode.FIXED, quorum=2, require_chair=False)
    plan = draft_plan(cast)
    officer = login(cast.quality_officer)
    officer.post(_url("item_submit", plan))
    officer.post(_url("item_review", plan), {"decision": "approve"})
    member = login(cast.committee_member)
    member.post(_url("item_vote", plan), {"decision": "approve"})
    member.post(_url("item_vote", plan), {"decision": "approve"})
    assert CommitteeVote.objects.count() == 1
    assert Plan.objects.get(pk=plan.pk).state == ItemState.REVIEWED


def test_each_step_tells_the_next_person(cast, login):
    from engine.models import Notification

    root = in_force_plan(cast)
    Notification.objects.all().delete()
    major = services.plan_create(
        actor=cast.software_lead,
        owner_unit=cast.units.rj,
        level="major",
        content={
            "title": "软件技术专业建设方案",
            "kind": "major_scheme",
            "parent": root.pk,
            "start_year": 2026,
            "end_year": 2030,
        },
    )
    services.item_submit(actor=cast.software_lead, item=major)
    assert set(Notification.objects.values_list("recipient__username", "kind")) == {
        ("xx_leader", "plans.review_needed")
    }
    services.item_review(actor=cast.xx_leader, item=major, approve=False, comment="补充师资数据")
    assert Notification.objects.filter(kind="plans.returned", recipient=cast.software_lead).exists()
    services.item_submit(actor=cast.software_lead, item=major)
    assert Notification.objects.filter(kind="plans.review_needed").count() == 2
    services.item_review(actor=cast.xx_leader, item=major, approve=True)
    committee = set(
        Notification.objects.filter(kind="plans.committee_needed").values_list(
            "recipient__username", flat=True
        )
    )
    assert committee == {"chair", "committee"}
    annual = draft_plan(
        cast, title="2026年度工作计划", kind="annual", parent=root, start=2026, end=2026
    )
    task = services.task_create(
        actor=cast.quality_officer,
        plan=annual,
        category="健全组织",
        title="成立专业质量保证小组",
        deliverable="文件",
        lead_unit=cast.units.rj,
        person=cast.teacher,
    )
    told = set(
        Notification.objects.filter(kind="plans.task_assigned", object_id=str(task.pk)).values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"xx_leader", "rj_leader", "teacher"}


def test_new_plan_approved_supersedes_the_one_it_replaces(cast, login):
    from .factories import approve

    old = in_force_plan(cast, title="“十四五”发展规划", start=2021, end=2025)
    new = draft_plan(cast, title="“十五五”发展规划")
    services.item_update(actor=cast.quality_officer, item=new, content={"replaces": old.pk})
    approve(cast, new)
    old = Plan.objects.get(pk=old.pk)
    assert old.state == ItemState.SUPERSEDED
    assert ItemVersion.objects.get(object_id=old.pk, content_type__model="plan").data["title"] == (
        "“十四五”发展规划"
    )
    page = login(cast.teacher).get(old.get_absolute_url())
    assert page.status_code == 200 and "“十四五”发展规划" in page.content.decode()
    draft = draft_plan(cast, title="“十六五”发展规划", start=2031, end=2035)
    with pytest.raises(ValidationError):
        services.item_update(actor=cast.quality_officer, item=draft, content={"replaces": old.pk})


def test_plan_document_versions_are_kept_and_frozen_after_approval(cast, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from engine.attachments import attachments_for

    plan = draft_plan(cast)
    client = login(cast.quality_officer)
    for text in (b"first", b"second"):
        pdf = SimpleUploadedFile("规划.pdf", b"%PDF-1.4\n" + text + b"\n%%EOF\n")
        client.post(_url("item_document", plan), {"file": pdf})
    documents = list(attachments_for(plan))
    assert len(documents) == 2
    download = login(cast.teacher).get(
        reverse("engine:attachment_download", args=[documents[0].pk])
    )
    assert download.status_code == 404  # a draft college plan is not the teacher's to read
    plan = approve_plan(cast, plan)
    assert (
        login(cast.teacher)
        .get(reverse("engine:attachment_download", args=[documents[0].pk]))
        .status_code
        == 200
    )
    pdf = SimpleUploadedFile("规划.pdf", b"%PDF-1.4\nthird\n%%EOF\n")
    client = login(cast.quality_officer)
    response = client.post(_url("item_document", plan), {"file": pdf}, follow=True)
    assert len(attachments_for(plan)) == 2
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"


def test_home_page_shows_the_committee_its_waiting_items(cast, login):
    plan = draft_plan(cast)
    services.item_submit(actor=cast.quality_officer, item=plan)
    services.item_review(actor=cast.quality_officer, item=plan, approve=True)
    home = login(cast.chair).get(reverse("home")).content.decode()
    assert reverse("plans:inbox") in home
    assert reverse("plans:inbox") not in login(cast.outsider).get(reverse("home")).content.decode()


def approve_plan(cast, plan):
    from .factories import approve

    return approve(cast, plan)


def test_a_submitted_item_does_not_open_its_edit_form(cast, login):
    """Reached by its address, the edit form of a submitted plan opened and refused only on
    saving, losing what was typed: it leads back to the plan and says why."""
    plan = draft_plan(cast)
    officer = login(cast.quality_officer)
    assert officer.get(_url("item_edit", plan)).status_code == 200  # a draft is edited
    officer.post(_url("item_submit", plan))
    plan.refresh_from_db()
    assert plan.state == ItemState.SUBMITTED
    response = officer.get(_url("item_edit", plan), follow=True)
    assert response.redirect_chain[-1][0] == plan.get_absolute_url()
    said = [str(m) for m in response.context["messages"]]
    assert said[-1] == "当前状态为“已提交”：仅草稿或被退回的事项可以编辑。"
