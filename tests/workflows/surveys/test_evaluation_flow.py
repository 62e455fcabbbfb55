"""A term's 评教 for 软件技术 end to end through the pages: distribute, answer as students,
remind, close, readings approved, a warning for a low score, the teacher's view."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from engine.models import Notification
from workflows.monitoring.models import Reading, Warning
from workflows.surveys.models import Eligibility, GroupResult, Response, Survey

from .helpers import answers, create_survey

pytestmark = pytest.mark.django_db


def test_evaluation_runs_end_to_end(
    cast, sv, client, celery_in_process, django_capture_on_commit_callbacks
):
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj)
    assert client.post(reverse("surveys:survey_open", args=[survey.pk])).status_code == 302
    survey.refresh_from_db()
    assert survey.status == "open"
    group = survey.groups.get()
    assert group.eligible == len(sv.students) == Eligibility.objects.count()

    # five of seven students answer on their phones, with low marks
    for i, student in enumerate(sv.students[:5]):
        client.force_login(student)
        mine = client.get(reverse("surveys:mine"))
        assert reverse("surveys:answer", args=[group.pk]) in mine.content.decode()
        page = client.get(reverse("surveys:answer", args=[group.pk]))
        assert page.status_code == 200 and "课堂教学质量" in page.content.decode()
        response = client.post(
            reverse("surveys:answer", args=[group.pk]),
            answers(survey, rating=2 + (i == 0), comment=f"建议{i}"),
        )
        assert response.status_code == 302 and response.url == reverse("surveys:thanks")
        assert (
            reverse("surveys:answer", args=[group.pk])
            not in client.get(reverse("surveys:mine")).content.decode()
        )
    assert Response.objects.count() == 5
    assert Eligibility.objects.count() == 2

    # the office sees counts, and reminds the two who have not answered
    client.force_login(cast.quality_officer)
    detail = client.get(survey.get_absolute_url()).content.decode()
    assert "71.4%" in detail
    assert sv.students[0].full_name not in detail
    client.post(reverse("surveys:survey_remind", args=[survey.pk]))
    reminded = set(
        Notification.objects.filter(kind="survey.reminder").values_list("recipient", flat=True)
    )
    assert reminded == {s.pk for s in sv.students[5:]}

    # close: group results and pending readings in the indicators' approval
    client.post(reverse("surveys:survey_close", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.status == "closed"
    assert GroupResult.objects.filter(group=group).count() == 8
    readings = Reading.objects.filter(batch=survey.readings_batch)
    assert {(r.indicator.code, r.status) for r in readings} == {
        ("C02", "pending"),
        ("T02", "pending"),
    }
    course = readings.get(indicator__code="C02")
    assert course.subject.subject_unit == cast.units.rj_python and course.value == 0
    teacher = readings.get(indicator__code="T02")
    assert teacher.subject.subject_user == cast.teacher
    assert float(teacher.value) == pytest.approx((3 + 2 * 4) / 5 * 20)
    # the office is told where they went; the link to approve them is the approver's alone
    approvals = f'href="{reverse("monitoring:approvals")}"'
    detail = client.get(survey.get_absolute_url()).content.decode()
    assert approvals not in detail and "待各指标审核人审核" in detail

    # the department head approves; the low score raises warnings as any reading would
    client.force_login(cast.xx_leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("monitoring:batch_approve", args=[survey.readings_batch]))
    assert set(readings.values_list("status", flat=True)) == {"approved"}
    warned = Warning.objects.filter(period=sv.term).values_list("indicator__code", "level")
    assert set(warned) == {("C02", "red"), ("T02", "red")}

    # the teacher sees the numbers, but the comments only after the grades date
    client.force_login(cast.teacher)
    page = client.get(reverse("surveys:teaching")).content.decode()
    assert "软件2301班" in page and "建议1" not in page
    Survey.objects.filter(pk=survey.pk).update(grades_date=datetime.date.today())
    page = client.get(reverse("surveys:teaching")).content.decode()
    assert all(f"建议{i}" in page for i in range(5))


def test_small_groups_show_no_results_and_make_no_readings(cast, sv, client):
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj)
    client.post(reverse("surveys:survey_open", args=[survey.pk]))
    group = survey.groups.get()
    for student in sv.students[:4]:
        client.force_login(student)
        client.post(reverse("surveys:answer", args=[group.pk]), answers(survey, 5, "很好"))
    client.force_login(cast.quality_officer)
    client.post(reverse("surveys:survey_close", args=[survey.pk]))
    assert not Reading.objects.filter(batch=f"survey-{survey.pk}").exists()
    assert "少于5份" in client.get(survey.get_absolute_url()).content.decode()
    client.force_login(cast.teacher)
    page = client.get(reverse("surveys:teaching")).content.decode()
    assert "很好" not in page


def test_close_counts_each_groups_mean_and_share_of_the_top_two_answers(cast, sv, client):
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj)
    client.post(reverse("surveys:survey_open", args=[survey.pk]))
    group = survey.groups.get()
    for rating, student in zip((5, 4, 4, 2, 1), sv.students, strict=False):
        client.force_login(student)
        client.post(reverse("surveys:answer", args=[group.pk]), answers(survey, rating))
    client.force_login(cast.quality_officer)
    client.post(reverse("surveys:survey_close", args=[survey.pk]))
    likert = GroupResult.objects.filter(group=group, question__kind="likert")
    assert likert.exists()
    for result in likert:
        assert result.answers == 5
        assert float(result.mean) == pytest.approx(16 / 5)
        assert float(result.top2) == pytest.approx(60)
    teacher = Reading.objects.get(batch=f"survey-{survey.pk}", indicator__code="T02")
    assert float(teacher.value) == pytest.approx(16 / 5 * 20)


def test_a_survey_reading_keeps_two_decimals(cast, sv, client):
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj)
    client.post(reverse("surveys:survey_open", args=[survey.pk]))
    group = survey.groups.get()
    for rating, student in zip((5, 4, 4, 2, 1, 1), sv.students, strict=False):
        client.force_login(student)
        client.post(reverse("surveys:answer", args=[group.pk]), answers(survey, rating))
    client.force_login(cast.quality_officer)
    client.post(reverse("surveys:survey_close", args=[survey.pk]))
    teacher = Reading.objects.get(batch=f"survey-{survey.pk}", indicator__code="T02")
    assert teacher.value == Decimal("56.67")  # 17/6 × 20 = 56.666…, not 56.6667
