"""Who sees and does what: committee approves, quality office administers, units edit their own
drafts, teachers and students own their self-development plans."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from workflows.plans import services
from workflows.plans.models import ItemState, Plan, PlanKind

from .factories import approve, draft_plan, draft_standard, draft_target, in_force_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(cast):
    root = in_force_plan(cast)
    major_plan = services.plan_create(
        actor=cast.software_lead,
        owner_unit=cast.units.rj,
        level="major",
        content={
            "title": "软件技术专业建设方案",
            "kind": PlanKind.MAJOR_SCHEME,
            "parent": root.pk,
            "start_year": 2026,
            "end_year": 2030,
        },
    )
    personal = services.plan_create(
        actor=cast.teacher,
        owner_unit=cast.units.rj,
        owner_user=cast.teacher,
        level="teacher",
        content={
            "title": "吴芳教师自我发展规划",
            "kind": PlanKind.TEACHER_SELF,
            "parent": root.pk,
            "start_year": 2026,
            "end_year": 2030,
        },
    )
    return root, major_plan, personal


def _status(client, item):
    return client.get(item.get_absolute_url()).status_code


@pytest.mark.parametrize(
    ("who", "root", "major", "personal"),
    [
        ("chair", 200, 200, 404),
        ("quality_officer", 200, 200, 200),
        ("xx_leader", 200, 200, 200),
        ("jd_leader", 200, 404, 404),
        ("software_lead", 200, 200, 404),
        ("software_member", 200, 200, 404),
        ("teacher", 200, 200, 200),
        ("student", 200, 200, 404),
        ("outsider", 404, 404, 404),
    ],
)
def test_visibility_matrix(cast, login, chain, who, root, major, personal):
    client = login(getattr(cast, who))
    assert [_status(client, i) for i in chain] == [root, major, personal]


@pytest.mark.parametrize(
    ("who", "may_edit"),
    [
        ("software_lead", True),
        ("xx_leader", True),
        ("quality_officer", True),
        ("software_member", False),
        ("teacher", False),
        ("chair", False),
    ],
)
def test_only_the_owning_unit_edits_a_major_scheme_draft(cast, login, chain, who, may_edit):
    _root, major, _personal = chain
    response = login(getattr(cast, who)).post(
        reverse("plans:item_edit", args=["plan", major.pk]),
        {
            "title": "改名",
            "kind": "major_scheme",
            "parent": major.parent_id,
            "start_year": 2026,
            "end_year": 2030,
        },
    )
    assert response.status_code == (302 if may_edit else 403)
    assert (Plan.objects.get(pk=major.pk).title == "改名") is may_edit


def test_department_leader_reviews_majors_but_not_college_plans(cast, login, chain):
    root, major, _personal = chain
    services.item_submit(actor=cast.software_lead, item=major)
    college_draft = draft_plan(cast, title="质量保证建设规划", kind=PlanKind.SPECIAL, parent=root)
    services.item_submit(actor=cast.quality_officer, item=college_draft)

    leader = login(cast.xx_leader)
    assert (
        leader.post(
            reverse("plans:item_review", args=["plan", college_draft.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    other = login(cast.jd_leader)
    assert (
        other.post(
            reverse("plans:item_review", args=["plan", major.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    team = login(cast.software_lead)
    assert (
        team.post(
            reverse("plans:item_review", args=["plan", major.pk]), {"decision": "approve"}
        ).status_code
        == 403
    )
    leader = login(cast.xx_leader)
    leader.post(reverse("plans:item_review", args=["plan", major.pk]), {"decision": "approve"})
    assert Plan.objects.get(pk=major.pk).state == ItemState.REVIEWED
    assert Plan.objects.get(pk=college_draft.pk).state == ItemState.SUBMITTED


def test_only_committee_members_vote(cast, login, chain):
    _root, major, _personal = chain
    services.item_submit(actor=cast.software_lead, item=major)
    services.item_review(actor=cast.xx_leader, item=major, approve=True)
    for who in ("quality_officer", "xx_leader"):
        response = login(getattr(cast, who)).post(
            reverse("plans:item_vote", args=["plan", major.pk]), {"decision": "approve"}
        )
        assert response.status_code == 403
    assert Plan.objects.get(pk=major.pk).state == ItemState.REVIEWED
    # the committee decides by a majority of its two members: the chair approved first
    services.committee_vote(actor=cast.chair, subject=major, approve=True)
    login(cast.committee_member).post(
        reverse("plans:item_vote", args=["plan", major.pk]), {"decision": "approve"}
    )
    assert Plan.objects.get(pk=major.pk).state == ItemState.IN_FORCE


def test_teacher_drafts_own_plan_but_not_a_units_plan(cast, login, chain):
    root, _major, _personal = chain
    client = login(cast.teacher)
    data = {
        "title": "我的发展规划",
        "kind": "teacher_self",
        "parent": root.pk,
        "start_year": 2026,
        "end_year": 2030,
        "level": "teacher",
        "owner_unit": cast.units.rj.pk,
    }
    assert client.post(reverse("plans:item_create", args=["plan"]), data).status_code == 302
    mine = Plan.objects.get(title="我的发展规划")
    assert mine.owner_user == cast.teacher
    data.update(title="专业方案", kind="major_scheme", level="major")
    response = client.post(reverse("plans:item_create", args=["plan"]), data)
    assert response.status_code == 200 and not Plan.objects.filter(title="专业方案").exists()


def test_the_plan_form_offers_a_teacher_and_a_student_their_own_plan_only(cast, login, chain):
    """A teacher drafts a 教师自我发展规划 at the teacher level, in the unit where she teaches,
    led by herself; the form offered every kind of plan and everyone in the college as lead
    person. A student's plan of a teacher's kind is refused by the service too."""
    root, _major, _personal = chain
    form = login(cast.teacher).get(reverse("plans:item_create", args=["plan"])).context["form"]
    assert [value for value, _label in form.fields["kind"].choices] == ["teacher_self"]
    assert [value for value, _label in form.fields["level"].choices] == ["teacher"]
    assert list(form.fields["lead_person"].queryset) == [cast.teacher]
    assert list(form.fields["owner_unit"].queryset) == [cast.units.rj]
    # nor does it offer to replace the college's plan in force (only ever refused)
    assert root not in form.fields["replaces"].queryset
    assert not form.fields["replaces"].queryset.exclude(owner_user=cast.teacher).exists()
    student = login(cast.student)
    form = student.get(reverse("plans:item_create", args=["plan"])).context["form"]
    assert [value for value, _label in form.fields["kind"].choices] == ["student_self"]
    data = {
        "title": "冒充教师规划",
        "kind": "teacher_self",
        "parent": root.pk,
        "start_year": 2026,
        "end_year": 2030,
        "level": "teacher",
        "owner_unit": cast.units.rj.pk,
    }
    refused = student.post(reverse("plans:item_create", args=["plan"]), data)
    assert refused.status_code == 200 and refused.context["form"].errors["kind"]
    with pytest.raises(ValidationError) as raised:
        services.plan_create(
            actor=cast.student,
            owner_unit=cast.units.rj,
            owner_user=cast.student,
            level="teacher",
            content={**data, "kind": PlanKind.TEACHER_SELF},
        )
    assert set(raised.value.message_dict) == {"owner_unit"}
    with pytest.raises(ValidationError) as raised:  # her own kind, at another level
        services.plan_create(
            actor=cast.teacher,
            owner_unit=cast.units.rj,
            owner_user=cast.teacher,
            level="major",
            content={**data, "kind": PlanKind.TEACHER_SELF},
        )
    assert raised.value.message_dict["level"] == ["教师自我发展规划属于“教师”层面。"]
    assert not Plan.objects.filter(title="冒充教师规划").exists()


@pytest.mark.parametrize(
    "url", ["plans:index", "plans:inbox", "plans:gaps", "plans:task_list", "plans:import_upload"]
)
def test_people_without_a_plans_role_get_403(cast, login, url):
    assert login(cast.outsider).get(reverse(url)).status_code == 403
    assert login(cast.expert).get(reverse(url)).status_code == 403
    assert login(cast.sysadmin).get(reverse(url)).status_code == 403


def test_teachers_read_the_tree(cast, login):
    assert login(cast.teacher).get(reverse("plans:index")).status_code == 200


def test_only_the_quality_office_asks_to_retire_and_only_the_committee_decides(cast, login):
    from workflows.plans.models import ChangeRequest

    plan = in_force_plan(cast)
    url = reverse("plans:item_retire", args=["plan", plan.pk])
    data = {"reason": "规划期调整", "confirm": "on"}
    assert login(cast.chair).post(url, data).status_code == 403
    login(cast.quality_officer).post(url, data)
    assert Plan.objects.get(pk=plan.pk).state == ItemState.IN_FORCE
    change = ChangeRequest.objects.get()
    for member in (cast.chair, cast.committee_member):  # the default majority: both of two
        login(member).post(reverse("plans:change_vote", args=[change.pk]), {"decision": "approve"})
    assert Plan.objects.get(pk=plan.pk).state == ItemState.RETIRED


def test_team_drafts_a_major_target_citing_the_college_plan(cast, login, chain):
    from workflows.plans.models import Target

    root, _major, _personal = chain
    client = login(cast.software_lead)
    data = {
        "plan": root.pk,
        "owner_unit": cast.units.rj.pk,
        "title": "软件技术专业就业率",
        "category": "major_standing",
        "indicator": "就业率",
        "unit_of_measure": "%",
        "baseline": "90",
        "values_text": "2026=92\n2027=94",
    }
    assert client.post(reverse("plans:item_create", args=["target"]), data).status_code == 302
    target = Target.objects.get()
    assert (target.owner_unit, target.level, target.plan) == (cast.units.rj, "major", root)
    data.update(owner_unit=cast.units.jd.pk, title="别的系的目标")
    response = client.post(reverse("plans:item_create", args=["target"]), data)
    assert response.status_code == 200 and Target.objects.count() == 1


def test_committee_decides_a_teachers_plan_it_otherwise_would_not_see(cast, login, chain):
    _root, _major, personal = chain
    chair = login(cast.chair)
    assert chair.get(personal.get_absolute_url()).status_code == 404
    services.item_submit(actor=cast.teacher, item=personal)
    services.item_review(actor=cast.xx_leader, item=personal, approve=True)
    assert personal.title in chair.get(reverse("plans:inbox")).content.decode()
    # the committee decides by a majority of its two members: the other one approved first
    services.committee_vote(actor=cast.committee_member, subject=personal, approve=True)
    chair.post(reverse("plans:item_vote", args=["plan", personal.pk]), {"decision": "approve"})
    assert Plan.objects.get(pk=personal.pk).state == ItemState.IN_FORCE
    assert chair.get(personal.get_absolute_url()).status_code == 200
    assert login(cast.student).get(personal.get_absolute_url()).status_code == 404


def test_students_do_not_see_their_units_staff_tasks(cast, login):
    plan = draft_plan(cast)  # tasks are written while the plan is a draft
    task = services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="成立专业质量保证小组",
        deliverable="文件",
        lead_unit=cast.units.rj,
    )
    assert login(cast.software_member).get(task.get_absolute_url()).status_code == 200
    assert login(cast.student).get(task.get_absolute_url()).status_code == 404


def _student_plan(cast, student, unit, title):
    return services.plan_create(
        actor=student,
        owner_unit=unit,
        owner_user=student,
        level="student",
        content={
            "title": title,
            "kind": PlanKind.STUDENT_SELF,
            "parent": in_force_plan(cast, title=f"{title}所属规划").pk,
            "start_year": 2026,
            "end_year": 2028,
        },
    )


def test_the_class_adviser_sees_the_student_plans_of_their_unit_only(cast, login, chain):
    from accounts.models import Role
    from tests.factories import MembershipFactory, UserFactory

    adviser = UserFactory(username="adviser", full_name="钱老师")
    MembershipFactory(user=adviser, org_unit=cast.units.rj, role=Role.CLASS_ADVISER)
    jd_student = UserFactory(username="jd_student", full_name="机电学生")
    MembershipFactory(user=jd_student, org_unit=cast.units.jdyt, role=Role.STUDENT)
    mine = _student_plan(cast, cast.student, cast.units.rj, "郑小明学生自我发展规划")
    other = _student_plan(cast, jd_student, cast.units.jdyt, "机电学生自我发展规划")
    _root, major, teacher_plan = chain

    client = login(adviser)
    assert _status(client, mine) == 200
    assert _status(client, major) == 200
    # Not the teachers' plans, nor the students of another unit.
    assert _status(client, teacher_plan) == 404
    assert _status(client, other) == 404
    listed = client.get("/api/v1/plans/?kind=student_self").json()
    titles = {p["title"] for p in listed.get("results", listed)}
    assert titles == {"郑小明学生自我发展规划"}
    # Seeing is not editing: the student owns the plan.
    assert client.post(reverse("plans:item_submit", args=["plan", mine.pk])).status_code == 403
    assert Plan.objects.get(pk=mine.pk).state == ItemState.DRAFT
    # The department leader still sees both kinds of personal plans in the department.
    leader = login(cast.xx_leader)
    assert _status(leader, mine) == 200 and _status(leader, teacher_plan) == 200
    # A classmate does not.
    classmate = UserFactory(username="classmate")
    MembershipFactory(user=classmate, org_unit=cast.units.rj, role=Role.STUDENT)
    assert _status(login(classmate), mine) == 404


def test_a_target_lists_the_standards_its_reader_may_open(cast, login):
    target = approve(cast, draft_target(cast, in_force_plan(cast)))
    standard = draft_standard(cast, [target])  # a draft: the quality office's for now
    link = f'href="{standard.get_absolute_url()}"'
    for person, listed in ((cast.quality_officer, True), (cast.teacher, False)):
        client = login(person)
        page = client.get(target.get_absolute_url())
        assert page.status_code == 200
        assert (link in page.content.decode()) is listed, person.username
        assert (client.get(standard.get_absolute_url()).status_code == 200) is listed


def test_the_review_list_holds_what_the_to_do_list_holds(cast, login, chain):
    """A teacher's plan is reviewed by her department's leader, to whom the flow names the step:
    the quality office (which may review any item) no longer lists it under 待本层面审核 while its
    to-do list and home card count nothing; the leader does."""
    from workflows.plans.models import Plan as AnyPlan

    _root, _major, personal = chain
    services.item_submit(actor=cast.teacher, item=personal)
    assert AnyPlan.objects.get(pk=personal.pk).state == "submitted"
    leader = login(cast.xx_leader).get(reverse("plans:inbox"))
    assert personal.pk in [i.pk for i in leader.context["reviews"]]
    office = login(cast.quality_officer)
    assert personal.pk not in [i.pk for i in office.get(reverse("plans:inbox")).context["reviews"]]
    cards = {c.title: c.count for c in office.get(reverse("home")).context["cards"]}
    assert cards.get("待审核的规划、目标与标准", 0) == 0
