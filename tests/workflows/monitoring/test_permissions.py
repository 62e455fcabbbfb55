"""Who sees and does what: the permission matrix, through the URLs."""

import pytest

from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import Cycle, Reading, Warning

from .factories import IndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast, mon, approved):
    approved(mon.employment, mon.rj, "70")  # a warning on 软件技术 (信息工程系)
    approved(mon.attendance, mon.student, "80")  # a warning on the student
    pending, _ = services.reading_submit(
        actor=cast.xx_member,
        indicator=mon.employment,
        subject=mon.wl,
        period=mon.y2026,
        value="91",
    )
    major = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=cast.units.rj
    )
    own = Cycle.objects.create(
        subject=mon.student,
        period=mon.y2026,
        level=Level.STUDENT,
        responsible_unit=cast.units.rj,
    )
    return {
        "major_warning": Warning.objects.get(subject=mon.rj),
        "student_warning": Warning.objects.get(subject=mon.student),
        "pending": pending,
        "major_cycle": major,
        "student_cycle": own,
    }


# who: (sees the major's warning, sees the student's warning, sees the major's cycle)
VISIBILITY = {
    "chair": (200, 200, 200),
    "committee_member": (200, 200, 200),
    "quality_officer": (200, 200, 200),
    "supervisor": (200, 200, 200),
    "xx_leader": (200, 200, 200),
    "software_lead": (200, 200, 200),
    "jd_leader": (404, 404, 404),
    "teacher": (404, 404, 404),
    "student": (404, 200, 404),
    "expert": (404, 404, 404),
    "outsider": (404, 404, 404),
}


@pytest.mark.parametrize("who", sorted(VISIBILITY))
def test_visibility(cast, world, login, who):
    client = login(getattr(cast, who))
    got = (
        client.get(f"/monitoring/warnings/{world['major_warning'].pk}/").status_code,
        client.get(f"/monitoring/warnings/{world['student_warning'].pk}/").status_code,
        client.get(f"/monitoring/cycles/{world['major_cycle'].pk}/").status_code,
    )
    assert got == VISIBILITY[who]


@pytest.mark.parametrize(
    ("who", "lists"),
    [("quality_officer", 2), ("xx_leader", 2), ("jd_leader", 0), ("student", 1), ("teacher", 0)],
)
def test_warning_lists_are_filtered(cast, world, login, who, lists):
    response = login(getattr(cast, who)).get("/api/v1/monitoring/warnings/")
    assert response.json()["count"] == lists


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("software_lead", 302),
        ("xx_leader", 302),
        ("committee_member", 403),
        ("quality_officer", 403),
        ("jd_leader", 404),
        ("teacher", 404),
    ],
)
def test_who_acknowledges_a_major_warning(cast, world, login, who, status):
    response = login(getattr(cast, who)).post(
        f"/monitoring/warnings/{world['major_warning'].pk}/acknowledge/"
    )
    assert response.status_code == status
    world["major_warning"].refresh_from_db()
    assert (world["major_warning"].status == "acknowledged") == (status == 302)


def test_a_student_answers_their_own_warning(cast, world, login):
    response = login(cast.student).post(
        f"/monitoring/warnings/{world['student_warning'].pk}/acknowledge/"
    )
    assert response.status_code == 302
    world["student_warning"].refresh_from_db()
    assert world["student_warning"].status == "acknowledged"


@pytest.mark.parametrize(
    ("who", "may_approve"),
    [
        ("xx_leader", True),
        ("xx_member", False),
        ("jd_leader", False),
        ("quality_officer", False),
        ("committee_member", False),
        ("software_lead", False),
    ],
)
def test_who_approves(cast, world, login, who, may_approve):
    response = login(getattr(cast, who)).post(
        f"/monitoring/readings/{world['pending'].pk}/approve/"
    )
    assert response.status_code in (302, 403)
    reading = Reading.objects.get(pk=world["pending"].pk)
    assert (reading.status == "approved") == may_approve


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("xx_member", 200),
        ("software_lead", 403),
        ("jd_leader", 403),
        ("student", 403),
        ("committee_member", 403),
    ],
)
def test_who_enters_readings_for_an_indicator_owned_by_xx(cast, world, login, who, status):
    # software_lead's team (软件技术) is inside 信息工程系, but the data owner is the department
    # itself: entering data means holding a data role in 信息工程系's subtree. A team role in a
    # child unit does not cover its parent.
    response = login(getattr(cast, who)).get("/monitoring/readings/new/")
    assert response.status_code == status


def test_only_the_quality_office_opens_a_period(cast, mon, login):
    for who in ("xx_leader", "chair", "software_lead"):
        assert (
            login(getattr(cast, who))
            .post(f"/monitoring/periods/{mon.y2026.pk}/open/", {"levels": ["major"]})
            .status_code
            == 403
        )
    assert not Cycle.objects.exists()


def test_sign_off_is_by_someone_else_than_the_owner(cast, world, mon):
    from django.core.exceptions import PermissionDenied

    item = services.improvement_open(
        actor=cast.xx_leader,
        warning=world["major_warning"],
        subject=mon.rj,
        period=mon.y2026,
        title="t",
        cause_analysis="c",
        measures="m",
        owner=cast.xx_leader,
        deadline="2030-01-01",
    )
    services.improvement_submit(actor=cast.xx_leader, improvement=item, evidence="e")
    with pytest.raises(PermissionDenied):
        services.improvement_sign_off(
            actor=cast.xx_leader, improvement=item, effective=False, note="n"
        )
    with pytest.raises(PermissionDenied):
        services.improvement_sign_off(
            actor=cast.software_lead, improvement=item, effective=False, note="n"
        )
    services.improvement_sign_off(
        actor=cast.quality_officer, improvement=item, effective=False, note="措施未落实"
    )
    item.refresh_from_db()
    assert item.status == "open" and item.effective is False


def test_api_opens_an_improvement_for_a_warning(cast, world, login):
    payload = {
        "warning": world["major_warning"].pk,
        "title": "提高就业率",
        "cause_analysis": "岗位不足",
        "measures": "新增合作企业",
        "owner": "rj_leader",
        "deadline": "2030-03-31",
    }
    assert (
        login(cast.jd_leader)
        .post("/api/v1/monitoring/improvements/", payload, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        login(cast.committee_member)
        .post("/api/v1/monitoring/improvements/", payload, content_type="application/json")
        .status_code
        == 403
    )
    client = login(cast.software_lead)
    bad = client.post(
        "/api/v1/monitoring/improvements/",
        {**payload, "owner": "ghost"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "owner" in bad.json()["errors"]
    response = client.post(
        "/api/v1/monitoring/improvements/", payload, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["owner"] == "rj_leader"
    world["major_warning"].refresh_from_db()
    assert world["major_warning"].status == "acknowledged"


def test_indicators_that_share_a_name_are_told_apart_by_their_level(cast, mon, login):
    IndicatorFactory(code="S02", name="就业率", level=Level.SCHOOL, data_owner_unit=cast.units.xx)
    page = login(cast.xx_member).get("/monitoring/readings/new/").content.decode()
    assert "就业率（专业）" in page and "就业率（学校）" in page
    # a name no other choice shares is not given its level (a name may say it already)
    assert ">食堂投诉率<" in page


def test_a_warning_in_the_api_names_what_its_codes_stand_for(cast, world, login):
    row = login(cast.xx_leader).get("/api/v1/monitoring/warnings/").json()["results"][0]
    warning = Warning.objects.select_related("indicator", "period", "responsible_unit").get(
        pk=row["id"]
    )
    assert (row["indicator"], row["indicator_name"]) == (
        warning.indicator.code,
        warning.indicator.name,
    )
    assert row["responsible_unit_name"] == warning.responsible_unit.name
    assert row["period_name"] == warning.period.name
    assert row["level_display"] in ("红色预警", "黄色预警") and row["status_display"]
