"""A closed survey's page speaks of answers and of a survey that has ended, not of an
improvement's source or of a case closed (已办结); its readings batch is named by its title
where the approver approves it."""

import pytest
from django.urls import reverse

from .helpers import answers, create_survey

pytestmark = pytest.mark.django_db


def _page(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, url
    return response.content.decode()


def test_a_closed_survey_reads_as_ended_with_its_answers_counted(
    cast, sv, client, django_capture_on_commit_callbacks, settings
):
    settings.SURVEYS_MIN_RESPONSES = 3  # the college's floor; three answers then show
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj, min_responses="3")
    client.post(reverse("surveys:survey_open", args=[survey.pk]))
    group = survey.groups.get()
    for student in sv.students[:3]:
        client.force_login(student)
        client.post(reverse("surveys:answer", args=[group.pk]), answers(survey, 4))
    client.force_login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("surveys:survey_close", args=[survey.pk]))

    page = _page(client, survey.get_absolute_url())
    assert "<th>作答数</th>" in page and "问题来源" not in page
    assert "<th>已作答</th>" in page and "已答复" not in page
    assert "已结束" in page and "已办结" not in page
    assert "已结束" in _page(client, reverse("surveys:survey_list"))

    # the department head approves the survey's readings by the survey's name, not its code
    client.force_login(cast.xx_leader)
    approvals = _page(client, reverse("monitoring:approvals"))
    assert f"整批审核通过：{survey.title}" in approvals
    assert f">整批审核通过 survey-{survey.pk}" not in approvals
    assert f"survey-{survey.pk}</button>" not in approvals


def test_a_rating_question_asks_what_its_scale_answers():
    """A 5-point question is answered 非常不满意 … 非常满意: it may not ask for a score (the
    teacher's overall question asked 打几分 and offered satisfaction)."""
    from workflows.surveys.catalogue import QUESTIONNAIRES
    from workflows.surveys.models import QuestionKind

    likert = [
        text
        for *_head, sections in QUESTIONNAIRES
        for _title, questions in sections
        for text, kind, _choices, _indicator, _aggregation in questions
        if kind == QuestionKind.LIKERT
    ]
    assert likert
    asks_a_score = [t for t in likert if "几分" in t or "打分" in t or "分数" in t]
    assert asks_a_score == []
