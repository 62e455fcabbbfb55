"""Malformed input to the plans API is a 400 or 404, never a 500."""

import pytest

from workflows.plans.models import ChangeRequest

from .factories import approve, draft_standard, draft_target, in_force_plan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/plans/x/",
        "/api/v1/targets/x/",
        "/api/v1/standards/x/",
        "/api/v1/tasks/x/",
        "/api/v1/plans/true/versions/",
        "/api/v1/targets/1.5/change-requests/",
        "/api/v1/standards/-1/submit/",
    ],
)
def test_a_non_numeric_id_is_404(cast, login, url):
    client = login(cast.quality_officer)
    response = client.post(url) if url.endswith("submit/") else client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("pk", ["x", "true", "*", "1e3"])
def test_a_non_numeric_change_request_id_is_404(cast, login, pk):
    response = login(cast.committee_member).post(
        f"/api/v1/change-requests/{pk}/vote/",
        {"decision": "approve"},
        content_type="application/json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "proposed,field",
    [
        ([1], "proposed"),
        ("x", "proposed"),
        (None, "proposed"),
        ({"end_year": "abc"}, "end_year"),
        ({"parent": "abc"}, "parent"),
        ({"kind": "nonsense"}, "kind"),
        ({"title": ["a"]}, "title"),
    ],
)
def test_a_malformed_proposal_is_400(cast, login, proposed, field):
    plan = in_force_plan(cast)
    response = login(cast.quality_officer).post(
        f"/api/v1/plans/{plan.pk}/change-requests/",
        {"summary": "改", "reason": "因", "proposed": proposed},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    errors = body["errors"]["proposed"]
    assert field == "proposed" or field in errors
    assert not ChangeRequest.objects.exists()


def test_a_proposal_with_unknown_targets_is_400(cast, login):
    target = approve(cast, draft_target(cast, in_force_plan(cast)))
    standard = approve(cast, draft_standard(cast, [target]))
    response = login(cast.quality_officer).post(
        f"/api/v1/standards/{standard.pk}/change-requests/",
        {"summary": "改", "reason": "因", "proposed": {"targets": ["x", 999999]}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "targets" in response.json()["errors"]["proposed"]


@pytest.mark.parametrize(
    "query",
    [
        "state=bogus",
        "level=x",
        "owner_unit=abc",
        "owner_unit=999999",
        "owner_unit=",
        "kind=x",
        "tier=abc",
        "tier=",
    ],
)
def test_an_invalid_filter_value_is_400(cast, login, query):
    response = login(cast.quality_officer).get(f"/api/v1/plans/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and query.split("=")[0] in body["errors"]


def test_an_invalid_task_filter_is_400(cast, login):
    response = login(cast.quality_officer).get("/api/v1/tasks/?state=bogus&overdue=null")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"state", "overdue"}


def test_valid_task_filters_still_filter(cast, login):
    client = login(cast.quality_officer)
    for query in ("overdue=true", "overdue=false", "overdue=1", "state=open", "category="):
        assert client.get(f"/api/v1/tasks/?{query}").status_code == 200, query
