"""The plans API: filters, lifecycle, versions, change requests."""

import datetime

import pytest
from freezegun import freeze_time

from workflows.plans import services
from workflows.plans.models import ChangeRequest, ItemState, Plan

from .factories import approve, draft_plan, draft_standard, draft_target, in_force_plan

pytestmark = pytest.mark.django_db


def test_plan_list_filters_by_state_and_tier(cast, login):
    root = in_force_plan(cast)
    draft_plan(cast, title="专业建设规划", kind="special", parent=root)
    client = login(cast.quality_officer)
    body = client.get("/api/v1/plans/?state=in_force").json()
    assert [p["title"] for p in body["results"]] == [root.title]
    body = client.get("/api/v1/plans/?tier=2").json()
    assert [p["title"] for p in body["results"]] == ["专业建设规划"]


def test_lifecycle_through_the_api_and_409_on_an_illegal_step(cast, login):
    client = login(cast.quality_officer)
    created = client.post(
        "/api/v1/plans/",
        {
            "title": "学院发展规划",
            "kind": "general",
            "level": "school",
            "owner_unit": cast.units.college.pk,
            "start_year": 2026,
            "end_year": 2030,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    conflict = client.post(
        f"/api/v1/plans/{pk}/review/", {"decision": "approve"}, content_type="application/json"
    )
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "conflict" and conflict.json()["allowed_transitions"] == [
        "submit"
    ]
    assert client.post(f"/api/v1/plans/{pk}/submit/").json()["state"] == "submitted"
    client.post(
        f"/api/v1/plans/{pk}/review/", {"decision": "approve"}, content_type="application/json"
    )
    # the committee decides by a majority of its two members: the other one approved first
    member = cast.committee_member
    services.committee_vote(actor=member, subject=Plan.objects.get(pk=pk), approve=True)
    chair = login(cast.chair)
    voted = chair.post(
        f"/api/v1/plans/{pk}/vote/", {"decision": "approve"}, content_type="application/json"
    )
    assert voted.json()["state"] == "in_force" and voted.json()["version"] == 1
    assert [v["number"] for v in chair.get(f"/api/v1/plans/{pk}/versions/").json()] == [1]


def test_bad_plan_through_the_api_is_a_400_with_errors(cast, login):
    response = login(cast.quality_officer).post(
        "/api/v1/plans/",
        {
            "title": "专项",
            "kind": "special",
            "level": "school",
            "owner_unit": cast.units.college.pk,
            "start_year": 2030,
            "end_year": 2026,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "parent" in response.json()["errors"]
    assert not Plan.objects.exists()


def test_change_request_through_the_api(cast, login):
    plan = in_force_plan(cast)
    client = login(cast.quality_officer)
    response = client.post(
        f"/api/v1/plans/{plan.pk}/change-requests/",
        {"summary": "延长", "reason": "对齐", "proposed": {"end_year": 2031}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    change_id = response.json()["id"]
    # the committee decides by a majority of its two members: the chair approved first
    services.committee_vote(
        actor=cast.chair, subject=ChangeRequest.objects.get(pk=change_id), approve=True
    )
    decided = login(cast.committee_member).post(
        f"/api/v1/change-requests/{change_id}/vote/",
        {"decision": "approve"},
        content_type="application/json",
    )
    assert decided.json()["state"] == "approved"
    assert Plan.objects.get(pk=plan.pk).end_year == 2031
    listed = client.get(f"/api/v1/plans/{plan.pk}/change-requests/").json()
    assert [c["id"] for c in listed] == [change_id]


def test_change_request_on_a_draft_is_409(cast, login):
    plan = draft_plan(cast)
    response = login(cast.quality_officer).post(
        f"/api/v1/plans/{plan.pk}/change-requests/",
        {"summary": "x", "reason": "y", "proposed": {"end_year": 2031}},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert not ChangeRequest.objects.exists()


def test_targets_expose_measurable_values_and_standards_filter_by_target(cast, login):
    plan = in_force_plan(cast)
    target = approve(cast, draft_target(cast, plan))
    draft_standard(cast, [target])
    client = login(cast.committee_member)
    body = client.get(f"/api/v1/targets/?plan={plan.pk}").json()["results"][0]
    assert body["indicator"] == "全日制在校生数" and body["unit_of_measure"] == "人"
    assert [(v["year"], v["value"]) for v in body["values"]] == [
        (2026, "8500.0000"),
        (2027, "9000.0000"),
    ]
    standards = client.get(f"/api/v1/standards/?target={target.pk}").json()["results"]
    assert [s["targets"] for s in standards] == [[target.pk]]


@freeze_time("2026-11-23 10:00:00")
def test_tasks_filter_by_lead_unit_and_overdue(cast, login):
    plan = draft_plan(cast)  # tasks are written while the plan is a draft
    services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="A",
        deliverable="文件",
        lead_unit=cast.units.xx,
        deadline=datetime.date(2026, 1, 5),
    )
    services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="B",
        deliverable="文件",
        lead_unit=cast.units.jd,
        deadline=datetime.date(2030, 1, 5),
    )
    client = login(cast.xx_leader)
    titles = [t["title"] for t in client.get("/api/v1/tasks/").json()["results"]]
    assert titles == ["A"]
    client = login(cast.quality_officer)
    overdue = client.get("/api/v1/tasks/?overdue=true").json()["results"]
    assert [t["title"] for t in overdue] == ["A"]
    # one task by its id is found whatever the list's filters say
    b = next(t for t in client.get("/api/v1/tasks/").json()["results"] if t["title"] == "B")
    assert client.get(f"/api/v1/tasks/{b['id']}/?overdue=true").json()["title"] == "B"
    assert client.get(f"/api/v1/tasks/{b['id']}/?overdue=maybe").status_code == 200
    assert client.get("/api/v1/tasks/?overdue=maybe").status_code == 400  # the list still checks


def test_invisible_item_is_404_in_the_api(cast, login):
    root = in_force_plan(cast)
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
    assert login(cast.jd_leader).get(f"/api/v1/plans/{major.pk}/").status_code == 404
    assert Plan.objects.get(pk=major.pk).state == ItemState.DRAFT


def test_schema_documents_the_plans_api(cast, login):
    schema = login(cast.quality_officer).get("/api/v1/schema/").content.decode()
    for path in (
        "/api/v1/plans/",
        "/api/v1/targets/",
        "/api/v1/standards/",
        "/api/v1/tasks/",
        "change-requests",
    ):
        assert path in schema


def test_api_refuses_drafts_and_votes_from_the_wrong_people(cast, login):
    response = login(cast.teacher).post(
        "/api/v1/plans/",
        {
            "title": "系部规划",
            "kind": "general",
            "level": "school",
            "owner_unit": cast.units.college.pk,
            "start_year": 2026,
            "end_year": 2030,
        },
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    plan = draft_plan(cast)
    services.item_submit(actor=cast.quality_officer, item=plan)
    services.item_review(actor=cast.quality_officer, item=plan, approve=True)
    vote = login(cast.quality_officer).post(
        f"/api/v1/plans/{plan.pk}/vote/", {"decision": "approve"}, content_type="application/json"
    )
    assert vote.status_code == 403
    assert Plan.objects.get(pk=plan.pk).state == ItemState.REVIEWED
