"""Class advisers (班主任/辅导员) see and follow up their students' monitoring, nothing else."""

import datetime

import pytest

from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory
from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import Cycle, Improvement, Warning

pytestmark = pytest.mark.django_db


@pytest.fixture
def adviser(cast):
    user = UserFactory(username="adviser", full_name="钱老师")
    MembershipFactory(user=user, org_unit=cast.units.rj, role=Role.CLASS_ADVISER)
    return user


@pytest.fixture
def other_student(cast):
    user = UserFactory(username="jd_student", full_name="孙小丽")
    MembershipFactory(user=user, org_unit=cast.units.jdyt, role=Role.STUDENT)
    return user


@pytest.fixture
def world(cast, mon, approved, other_student):
    approved(mon.employment, mon.rj, "70")  # the major's own warning (软件技术)
    approved(mon.attendance, mon.student, "80")  # a student of 软件技术
    elsewhere = services.subject_for_user(other_student, Level.STUDENT)  # 机电一体化技术
    approved(mon.attendance, elsewhere, "80")
    Cycle.objects.create(
        subject=mon.student, period=mon.y2026, level=Level.STUDENT, responsible_unit=cast.units.rj
    )
    return {
        "major": Warning.objects.get(subject=mon.rj),
        "mine": Warning.objects.get(subject=mon.student),
        "elsewhere": Warning.objects.get(subject=elsewhere),
    }


def test_an_adviser_sees_only_their_students(cast, world, login, adviser):
    client = login(adviser)
    assert client.get(f"/monitoring/warnings/{world['mine'].pk}/").status_code == 200
    assert client.get(f"/monitoring/warnings/{world['major'].pk}/").status_code == 404
    assert client.get(f"/monitoring/warnings/{world['elsewhere'].pk}/").status_code == 404
    listed = client.get("/api/v1/monitoring/warnings/").json()
    assert [w["id"] for w in listed["results"]] == [world["mine"].pk]
    page = client.get("/monitoring/warnings/").content.decode()
    assert "郑小明" in page and "孙小丽" not in page
    subject = world["mine"].subject
    assert client.get(f"/monitoring/subjects/{subject.pk}/").status_code == 200
    assert client.get(f"/monitoring/subjects/{world['major'].subject.pk}/").status_code == 404
    assert "郑小明" in client.get("/monitoring/cycles/").content.decode()


def test_an_adviser_lists_student_indicators_only(cast, mon, login, adviser):
    page = login(adviser).get("/monitoring/indicators/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "学生出勤率" in text and "就业率" not in text


def test_the_indicators_api_lists_what_the_page_lists(cast, mon, login, adviser):
    """The API answers as the indicators page: the student level's to a class adviser, all to
    the quality office, 403 to a student (was: every indicator to any signed-in account)."""
    names = {
        i["name"] for i in login(adviser).get("/api/v1/monitoring/indicators/").json()["results"]
    }
    assert "学生出勤率" in names and "就业率" not in names
    everything = login(cast.quality_officer).get("/api/v1/monitoring/indicators/").json()
    assert "就业率" in {i["name"] for i in everything["results"]}
    assert login(cast.student).get("/api/v1/monitoring/indicators/").status_code == 403
    assert login(cast.student).get("/monitoring/indicators/").status_code == 403


def test_an_adviser_follows_up_a_students_warning(cast, mon, world, login, adviser):
    client = login(adviser)
    assert client.post(f"/monitoring/warnings/{world['major'].pk}/acknowledge/").status_code == 404
    response = client.post(
        f"/monitoring/warnings/{world['mine'].pk}/improve/",
        {
            "title": "提高出勤率",
            "cause_analysis": "晚睡迟到",
            "measures": "班主任每周谈话",
            "owner": cast.student.pk,
            "deadline": (datetime.date.today() + datetime.timedelta(days=40)).isoformat(),
        },
    )
    assert response.status_code == 302
    item = Improvement.objects.get()
    # a student's own improvement is the student's to carry out: the adviser follows it up
    assert item.warning == world["mine"] and item.owner == cast.student
    world["mine"].refresh_from_db()
    assert world["mine"].status == "acknowledged"
    evidence = {"evidence": "谈话记录 12 次"}
    assert client.post(f"/monitoring/improvements/{item.pk}/submit/", evidence).status_code == 403
    response = login(cast.student).post(f"/monitoring/improvements/{item.pk}/submit/", evidence)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "submitted"
    client = login(adviser)
    # The effectiveness check stays with the approvers.
    response = client.post(
        f"/monitoring/improvements/{item.pk}/sign-off/", {"effective": "1", "note": "有效"}
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == "submitted"


def test_a_teacher_without_the_adviser_role_sees_no_students(cast, world, login):
    assert login(cast.teacher).get(f"/monitoring/warnings/{world['mine'].pk}/").status_code == 404


def test_an_adviser_follows_their_students_spirals_from_home(cast, world, login, adviser):
    client = login(adviser)
    home = client.get("/").content.decode()
    assert "我的学生的诊改螺旋" in home
    assert 'href="/monitoring/cycles/?level=student"' in home
    listed = client.get("/monitoring/cycles/?level=student").content.decode()
    assert "郑小明" in listed and "孙小丽" not in listed
    assert (
        "软件技术"
        not in client.get("/monitoring/cycles/?level=major").content.decode().split("<tbody>")[1]
    )
