"""Bad input: clear errors, nothing half-saved."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from workflows.plans import services
from workflows.plans.models import ItemState, Plan, PlanKind, Target, Task

from .factories import approve, draft_plan, draft_standard, draft_target, in_force_plan

pytestmark = pytest.mark.django_db


def test_plan_tree_cycle_is_refused(cast):
    root = in_force_plan(cast)
    special = draft_plan(cast, title="专业建设规划", kind=PlanKind.SPECIAL, parent=root)
    annual = draft_plan(
        cast, title="2026年度工作计划", kind=PlanKind.ANNUAL, parent=special, start=2026, end=2026
    )
    with pytest.raises(ValidationError) as err:
        services.item_update(
            actor=cast.quality_officer, item=special, content={"parent": annual.pk}
        )
    assert err.value.message_dict["parent"] == [_("This parent would make the plan tree a cycle.")]
    assert Plan.objects.get(pk=special.pk).parent_id == root.pk


def test_tier_rules_follow_table_3(cast):
    with pytest.raises(ValidationError) as err:
        draft_plan(cast, title="专业建设规划", kind=PlanKind.SPECIAL)
    assert "parent" in err.value.message_dict
    root = in_force_plan(cast)
    with pytest.raises(ValidationError):
        draft_plan(cast, title="超期规划", kind=PlanKind.SPECIAL, parent=root, end=2032)
    assert Plan.objects.count() == 1


def test_personal_plan_needs_its_owner(cast):
    root = in_force_plan(cast)
    with pytest.raises(ValidationError) as err:
        draft_plan(
            cast,
            title="教师自我发展规划",
            kind=PlanKind.TEACHER_SELF,
            parent=root,
            unit=cast.units.rj,
            level="teacher",
        )
    assert "owner_user" in err.value.message_dict


def test_target_citing_a_retired_plan_is_refused(cast):
    plan = in_force_plan(cast)
    change = services.item_end_request(actor=cast.quality_officer, item=plan, reason="规划期调整")
    for member in (cast.chair, cast.committee_member):  # the default majority: both of two
        services.committee_vote(actor=member, subject=change, approve=True)
    with pytest.raises(ValidationError) as err:
        draft_target(cast, Plan.objects.get(pk=plan.pk))
    assert "plan" in err.value.message_dict
    assert not Target.objects.exists()


def test_target_type_must_belong_to_its_level(cast):
    plan = in_force_plan(cast)
    with pytest.raises(ValidationError):
        services.item_create(
            actor=cast.quality_officer,
            model=Target,
            owner_unit=cast.units.college,
            plan=plan,
            level="school",
            content={"title": "x", "category": "course_setting", "values": {}},
        )
    assert not Target.objects.exists()


def test_target_value_outside_the_plan_period_is_refused(cast):
    plan = in_force_plan(cast)
    with pytest.raises(ValidationError) as err:
        draft_target(cast, plan, values={"2026": "8500", "2035": "9999"})
    assert "2035" in str(err.value)
    assert not Target.objects.exists()


def test_bad_yearly_values_text_is_a_form_error(cast, login):
    plan = in_force_plan(cast)
    response = login(cast.quality_officer).post(
        reverse("plans:item_create", args=["target"]),
        {
            "plan": plan.pk,
            "title": "就业率",
            "category": "school_standing",
            "values_text": "明年=很多",
        },
    )
    assert response.status_code == 200 and "values_text" in response.context["form"].errors
    assert not Target.objects.exists()


def test_task_deadline_outside_the_plan_period_is_refused(cast, login):
    plan = in_force_plan(cast)
    response = login(cast.quality_officer).post(
        reverse("plans:task_create", args=[plan.pk]),
        {
            "category": "健全组织",
            "title": "成立质量保证委员会",
            "deliverable": "印发文件",
            "lead_unit": cast.units.zgb.pk,
            "deadline": "2035-06-30",
        },
    )
    assert response.status_code == 200
    assert not Task.objects.exists()


def test_standard_needs_a_target_before_submission(cast):
    standard = draft_standard(cast, [])
    with pytest.raises(ValidationError):
        services.item_submit(actor=cast.quality_officer, item=standard)
    assert type(standard).objects.get(pk=standard.pk).state == ItemState.DRAFT


def test_change_request_that_changes_nothing_is_refused(cast):
    plan = in_force_plan(cast)
    with pytest.raises(ValidationError):
        services.change_request_create(
            actor=cast.quality_officer,
            item=plan,
            summary="无",
            reason="无",
            proposed={"title": plan.title},
        )


def test_change_request_with_an_invalid_proposal_is_refused(cast):
    plan = in_force_plan(cast)
    with pytest.raises(ValidationError):
        services.change_request_create(
            actor=cast.quality_officer,
            item=plan,
            summary="期限",
            reason="x",
            proposed={"start_year": 2031, "end_year": 2030},
        )


def test_task_completion_needs_evidence_and_then_closes_its_deadline(cast, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from engine.deadlines import open_deadlines_for

    plan = draft_plan(cast)  # tasks are written while the plan is a draft
    task = services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="成立质量保证工作组",
        deliverable="印发文件",
        lead_unit=cast.units.xx,
        deadline=datetime.date(2026, 6, 30),
        person=cast.xx_leader,
    )
    assert open_deadlines_for(task).get().owner_unit == cast.units.xx
    leader = login(cast.xx_leader)
    leader.post(reverse("plans:task_complete", args=[task.pk]))
    assert Task.objects.get(pk=task.pk).state == "open"
    pdf = SimpleUploadedFile("文件.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    leader.post(reverse("plans:task_evidence", args=[task.pk]), {"file": pdf})
    leader.post(reverse("plans:task_complete", args=[task.pk]))
    assert Task.objects.get(pk=task.pk).state == "done"
    assert not open_deadlines_for(task).exists()


def test_standard_approval_keeps_its_target_links_in_the_version(cast):
    plan = in_force_plan(cast)
    target = approve(cast, draft_target(cast, plan))
    standard = approve(cast, draft_standard(cast, [target]))
    version = services.item_content(standard)
    assert version["targets"] == [target.pk]
