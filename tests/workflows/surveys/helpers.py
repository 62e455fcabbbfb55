import datetime

from django.urls import reverse

from workflows.surveys.models import QuestionKind, Survey
from workflows.surveys.selectors import questions_of


def answers(survey: Survey, rating: int, comment: str = "") -> dict:
    """POST data answering every question: `rating` on each scale, the first option of a
    choice, and `comment` in the text boxes."""
    data = {}
    for q in questions_of(survey):
        if q.kind == QuestionKind.LIKERT:
            data[f"q{q.pk}"] = str(rating)
        elif q.kind == QuestionKind.SINGLE:
            data[f"q{q.pk}"] = "1"
        elif q.kind == QuestionKind.MULTIPLE:
            data[f"q{q.pk}"] = ["1", "2"]
        elif comment:
            data[f"q{q.pk}"] = comment
    return data


def create_survey(client, sv, unit, **extra) -> Survey:
    data = {
        "questionnaire": sv.pj.pk,
        "title": "2026-2027学年第1学期学生评教",
        "period": sv.term.pk,
        "audience": "sections",
        "unit": unit.pk,
        "closes_on": (datetime.date.today() + datetime.timedelta(days=7)).isoformat(),
        "grades_date": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
        "min_responses": "5",
        **extra,
    }
    response = client.post(reverse("surveys:survey_create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Survey.objects.latest("id")
