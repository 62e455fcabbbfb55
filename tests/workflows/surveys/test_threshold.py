"""The fewest-answers line is the college's floor (SURVEYS_MIN_RESPONSES): no survey can be
set under it, a survey stored under it is read at it on every page and in the API, and the
teachers' comments date cannot come before the close."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from workflows.monitoring.models import Reading
from workflows.surveys import services
from workflows.surveys.models import Question, QuestionKind, Survey

from .helpers import answers, create_survey

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def _post_new(client, sv, unit, **extra):
    data = {
        "questionnaire": sv.pj.pk,
        "title": "评教",
        "period": sv.term.pk,
        "audience": "sections",
        "unit": unit.pk,
        "closes_on": (TODAY + datetime.timedelta(days=7)).isoformat(),
        "grades_date": (TODAY + datetime.timedelta(days=30)).isoformat(),
        "min_responses": "5",
        **extra,
    }
    return client.post(reverse("surveys:survey_create"), data)


def test_a_threshold_under_the_floor_is_refused(cast, sv, client):
    client.force_login(cast.quality_officer)
    page = _post_new(client, sv, cast.units.rj, min_responses="1")
    assert page.status_code == 200
    assert "每组至少需要5份答卷才显示结果。" in page.content.decode()
    assert 'min="5"' in client.get(reverse("surveys:survey_create")).content.decode()
    assert not Survey.objects.exists()
    with pytest.raises(ValidationError) as refused:
        services.survey_create(
            actor=cast.quality_officer,
            questionnaire=sv.pj,
            title="评教",
            period=sv.term,
            audience="sections",
            unit=cast.units.rj,
            closes_on=TODAY,
            grades_date=TODAY,
            min_responses=4,
        )
    assert "min_responses" in refused.value.message_dict


@pytest.mark.parametrize("grades_date", [datetime.date(2025, 1, 1), TODAY])
def test_comments_cannot_be_released_before_the_close(cast, sv, client, grades_date):
    client.force_login(cast.quality_officer)
    page = _post_new(client, sv, cast.units.rj, grades_date=grades_date.isoformat())
    closes_on = TODAY + datetime.timedelta(days=7)
    assert f"教师最早从截止日（{closes_on.isoformat()}）起查看文字意见。" in page.content.decode()
    assert not Survey.objects.exists()
    # from the closing day on is allowed
    allowed = _post_new(client, sv, cast.units.rj, grades_date=closes_on.isoformat())
    assert allowed.status_code == 302


def test_a_survey_stored_under_the_floor_shows_one_answer_nowhere(cast, sv, client):
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj)
    # as the walk found it: stored with 1 before the floor was enforced
    Survey.objects.filter(pk=survey.pk).update(min_responses=1)
    services.survey_open(actor=cast.quality_officer, survey=survey)
    group = survey.groups.get()
    client.force_login(cast.student)
    client.post(reverse("surveys:answer", args=[group.pk]), answers(survey, 1, "只有我写了这句"))
    services.survey_close(actor=cast.quality_officer, survey=Survey.objects.get(pk=survey.pk))
    Survey.objects.filter(pk=survey.pk).update(grades_date=TODAY)

    client.force_login(cast.teacher)
    page = client.get(reverse("surveys:teaching")).content.decode()
    assert "只有我写了这句" not in page and "少于5份" in page
    client.force_login(cast.quality_officer)
    assert "少于5份" in client.get(survey.get_absolute_url()).content.decode()
    (only,) = client.get(f"/api/v1/surveys/{survey.pk}/results/").json()["groups"]
    assert not only["shown"] and only["results"] == []
    assert not Reading.objects.filter(batch=f"survey-{survey.pk}").exists()


def test_a_question_fewer_than_the_floor_answered_shows_no_figure(cast, sv, client):
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj)
    optional = Question.objects.filter(
        section__questionnaire=sv.pj, kind=QuestionKind.LIKERT
    ).first()
    Question.objects.filter(pk=optional.pk).update(required=False)
    services.survey_open(actor=cast.quality_officer, survey=survey)
    group = survey.groups.get()
    for i, student in enumerate(sv.students[:5]):
        data = answers(survey, 4)
        if i:  # only the first student answers the optional question, with a 1
            data.pop(f"q{optional.pk}")
        else:
            data[f"q{optional.pk}"] = "1"
        client.force_login(student)
        assert client.post(reverse("surveys:answer", args=[group.pk]), data).status_code == 302
    services.survey_close(actor=cast.quality_officer, survey=Survey.objects.get(pk=survey.pk))

    client.force_login(cast.quality_officer)
    (only,) = client.get(f"/api/v1/surveys/{survey.pk}/results/").json()["groups"]
    assert only["shown"]
    row = next(r for r in only["results"] if r["question"] == optional.text)
    assert row["mean"] is None and row["answers"] is None
    assert any(r["mean"] == "4.00000000" for r in only["results"])
    client.force_login(cast.teacher)
    page = client.get(reverse("surveys:teaching")).content.decode()
    row = page.split(f"<td>{optional.text}</td>", 1)[1].split("</tr>", 1)[0]
    assert row == "<td>—</td><td>—</td>"
