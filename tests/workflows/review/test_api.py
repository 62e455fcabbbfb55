import pytest
from django.test import Client

from workflows.review.models import ReportStatus

from .factories import (
    GOOD_ROW,
    forwarded_report,
    record_findings,
    round_in_review,
    shipped_catalogue,
)

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_author_creates_saves_and_submits_over_the_api(cast):
    catalogue = shipped_catalogue()
    api = _client(cast.software_member)
    response = api.post(
        "/api/v1/review/reports/",
        {
            "org_unit": cast.units.rj.pk,
            "catalogue": catalogue.pk,
            "period": "2026",
            "title": "软件技术",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    report = response.json()
    assert len(report["rows"]) == 15
    first = report["rows"][0]["element"]
    response = api.patch(
        f"/api/v1/review/reports/{report['id']}/",
        {"overview": "概述", "rows": {str(first): {**GOOD_ROW, "problems": "问" * 600}}},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["rows"][0]["opinion_chars"] > 500
    response = api.post(f"/api/v1/review/reports/{report['id']}/submit/")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert str(first) in body["errors"]


def test_illegal_transition_answers_409_with_the_allowed_ones(cast):
    report = forwarded_report(cast)
    response = _client(cast.software_lead).post(f"/api/v1/review/reports/{report.pk}/approve/")
    assert response.status_code == 409
    assert response.json()["allowed"] == ["publish"]


def test_report_against_a_retired_catalogue_is_a_400(cast):
    catalogue = shipped_catalogue(status="retired")
    response = _client(cast.software_member).post(
        "/api/v1/review/reports/",
        {"org_unit": cast.units.rj.pk, "catalogue": catalogue.pk, "period": "2026", "title": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "catalogue" in response.json()["errors"]


def test_expert_posts_findings_and_a_stray_element_is_refused(cast):
    report = forwarded_report(cast)
    _round, chair = round_in_review(cast, [report])
    assignment = chair.assignments.get()
    api = _client(cast.expert)
    response = api.post(
        f"/api/v1/review/assignments/{assignment.pk}/findings/",
        {"findings": [{"element": 999999, "matches": True}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not in the catalogue" in str(response.json()) or "不在参考表" in str(response.json())
    assert not assignment.findings.exists()
    assert (
        _client(cast.teacher)
        .post(
            f"/api/v1/review/assignments/{assignment.pk}/findings/",
            {"findings": []},
            content_type="application/json",
        )
        .status_code
        == 404
    )


def test_conclusions_are_for_the_committee(cast):
    report = forwarded_report(cast)
    round_, chair = round_in_review(cast, [report])
    record_findings(cast.expert, chair.assignments.get(), matching=15)
    from workflows.review import services

    services.conclusion_sign(actor=cast.expert, round_=round_, report=report)
    rows = _client(cast.committee_member).get("/api/v1/review/conclusions/").json()["results"]
    assert rows[0]["conclusion"] == "effective"
    assert len(rows[0]["findings"]) == 15
    assert _client(cast.teacher).get("/api/v1/review/conclusions/").status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.CONCLUDED


def test_openapi_schema_documents_the_review_endpoints(cast):
    schema = _client(cast.quality_officer).get("/api/v1/schema/").content.decode()
    for path in (
        "/api/v1/review/catalogues/",
        "/api/v1/review/reports/",
        "/api/v1/review/rounds/",
        "/api/v1/review/conclusions/",
    ):
        assert path in schema


def test_office_creates_a_round_and_bad_dates_are_a_400(cast):
    catalogue = shipped_catalogue()
    api = _client(cast.quality_officer)
    response = api.post(
        "/api/v1/review/rounds/",
        {
            "name": "2027 复核",
            "catalogue": catalogue.pk,
            "review_start": "2027-05-01",
            "review_end": "2027-05-05",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["disclosure_deadline"] == "2027-04-01"
    response = api.post(
        "/api/v1/review/rounds/",
        {
            "name": "x",
            "catalogue": catalogue.pk,
            "review_start": "2027-05-01",
            "review_end": "2027-04-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "review_end" in response.json()["errors"]
    assert _client(cast.teacher).get("/api/v1/review/rounds/").status_code == 403


def test_round_publish_start_and_sign_over_the_api(cast):
    import datetime

    from django.utils import timezone

    from workflows.review import services
    from workflows.review.models import PanelMember

    report = forwarded_report(cast)
    start = timezone.localdate() + datetime.timedelta(days=30)
    round_ = services.round_create(
        actor=cast.quality_officer,
        name="api",
        catalogue=report.catalogue,
        review_start=start,
        review_end=start,
    )
    services.round_add_report(actor=cast.quality_officer, round_=round_, report=report)
    chair = services.panel_add(
        actor=cast.quality_officer,
        round_=round_,
        user=cast.expert,
        kind=PanelMember.Kind.EXTERNAL,
        declaration="无",
        is_chair=True,
    )
    services.assignment_create(actor=cast.quality_officer, member=chair, report=report)
    office = _client(cast.quality_officer)
    response = office.post(f"/api/v1/review/rounds/{round_.pk}/start/")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert (
        office.post(f"/api/v1/review/rounds/{round_.pk}/publish/").json()["status"] == "disclosed"
    )
    assert office.post(f"/api/v1/review/rounds/{round_.pk}/publish/").status_code == 409
    services.round_start(actor=cast.quality_officer, round_=round_, today=start)
    record_findings(cast.expert, chair.assignments.get(), matching=15)
    first = report.catalogue.elements_in_order().first()
    response = _client(cast.expert).post(
        f"/api/v1/review/rounds/{round_.pk}/reports/{report.pk}/sign/",
        {"decisions": [{"element": first.pk, "matches": False}], "measures_strong": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["matched"], response.json()["conclusion"]) == (14, "effective")
    assert (
        _client(cast.expert)
        .post(
            f"/api/v1/review/rounds/{round_.pk}/reports/{report.pk}/sign/",
            {},
            content_type="application/json",
        )
        .status_code
        == 409
    )
