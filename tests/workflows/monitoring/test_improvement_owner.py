"""Who may own an improvement, and by when: a student's or a teacher's own warning is theirs to
improve; a major's is for the major's staff (its team, its department, its teachers). The owner
the progress line names is the one who submits the evidence; a past deadline is refused."""

import datetime

import pytest

from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory
from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import Improvement, PeriodKind, Warning

from .factories import IndicatorFactory

pytestmark = pytest.mark.django_db

AHEAD = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()


def _form(owner, deadline=AHEAD):
    return {
        "title": "提高出勤率",
        "cause_analysis": "晚睡迟到",
        "measures": "每周谈话",
        "owner": owner.pk,
        "deadline": deadline,
    }


def _owner_choices(page) -> set[str]:
    return {str(u) for u in page.context["form"].fields["owner"].queryset}


@pytest.fixture
def classmate(cast):
    user = UserFactory(username="s2301-01", full_name="软件2301班学生01")
    MembershipFactory(user=user, org_unit=cast.units.rj, role=Role.STUDENT)
    return user


def test_a_students_own_warning_is_the_students_to_improve(cast, mon, approved, login, classmate):
    approved(mon.attendance, mon.student, "80")
    warning = Warning.objects.get(subject=mon.student)
    client = login(cast.student)
    page = client.get(f"/monitoring/warnings/{warning.pk}/")
    assert _owner_choices(page) == {str(cast.student)}
    url = f"/monitoring/warnings/{warning.pk}/improve/"
    refused = client.post(url, _form(classmate))
    assert refused.status_code == 200 and not Improvement.objects.exists()
    # the picker offers only the student: the form refuses anyone else before the service
    assert "owner" in refused.context["form"].errors
    past = client.post(url, _form(cast.student, "2020-01-01"))
    assert "完成时限不能早于今天。" in past.context["form"].errors["deadline"]
    assert not Improvement.objects.exists()
    assert client.post(url, _form(cast.student)).status_code == 302
    assert Improvement.objects.get().owner == cast.student


def test_a_teachers_own_improvement_is_hers_to_submit(cast, mon, approved, login, classmate):
    score = IndicatorFactory(
        code="T02",
        name="教学质量评估得分",
        level=Level.TEACHER,
        period_kind=PeriodKind.YEAR,
        target_value=90,
        yellow_threshold=80,
        red_threshold=70,
        data_owner_unit=cast.units.xx,
    )
    subject = services.subject_for_user(cast.teacher, Level.TEACHER)
    approved(score, subject, "60")
    warning = Warning.objects.get(subject=subject)
    client = login(cast.teacher)
    page = client.get(f"/monitoring/warnings/{warning.pk}/")
    assert _owner_choices(page) == {str(cast.teacher)}
    url = f"/monitoring/warnings/{warning.pk}/improve/"
    assert client.post(url, _form(classmate)).status_code == 200
    assert client.post(url, _form(cast.teacher)).status_code == 302
    item = Improvement.objects.get()
    line = client.get(item.get_absolute_url()).context["progress"]
    assert [s.who for s in line.current] == [str(cast.teacher)]
    # the department's staff follow it up; the evidence is hers
    assert (
        login(cast.xx_member)
        .post(f"/monitoring/improvements/{item.pk}/submit/", {"evidence": "听课记录"})
        .status_code
        == 403
    )
    client = login(cast.teacher)
    client.post(f"/monitoring/improvements/{item.pk}/submit/", {"evidence": "听课记录"})
    item.refresh_from_db()
    assert item.status == "submitted"


def test_a_majors_improvement_is_owned_by_those_who_answer_for_the_major(
    cast, mon, approved, login, classmate
):
    approved(mon.employment, mon.rj, "70")
    warning = Warning.objects.get(subject=mon.rj)
    client = login(cast.software_lead)
    page = client.get(f"/monitoring/warnings/{warning.pk}/")
    offered = _owner_choices(page)
    staff = {str(cast.software_lead), str(cast.software_member), str(cast.xx_leader)}
    assert staff | {str(cast.teacher)} <= offered  # 吴芳 teaches in the major
    assert not offered & {str(cast.student), str(classmate), str(cast.jd_leader)}
    url = f"/monitoring/warnings/{warning.pk}/improve/"
    assert client.post(url, _form(cast.student)).status_code == 200
    assert client.post(url, _form(cast.software_member)).status_code == 302
    item = Improvement.objects.get()
    line = client.get(item.get_absolute_url()).context["progress"]
    assert [s.who for s in line.current] == [str(cast.software_member)]
    # the team leader, though they keep the major's ledger, leaves the submission to its owner
    page = client.get(item.get_absolute_url())
    assert not page.context["can_submit"]
    submit = f"/monitoring/improvements/{item.pk}/submit/"
    assert client.post(submit, {"evidence": "协议"}).status_code == 403
    assert login(cast.software_member).post(submit, {"evidence": "协议"}).status_code == 302


def test_the_api_refuses_a_student_owner_and_a_past_deadline(cast, mon, approved, login):
    approved(mon.employment, mon.rj, "70")
    warning = Warning.objects.get(subject=mon.rj)
    payload = {
        "warning": warning.pk,
        "title": "提高就业率",
        "cause_analysis": "岗位不足",
        "measures": "新增合作企业",
        "owner": "student",
        "deadline": "2020-01-01",
    }
    response = login(cast.software_lead).post(
        "/api/v1/monitoring/improvements/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"owner", "deadline"}
    assert not Improvement.objects.exists()
