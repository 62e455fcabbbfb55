"""The 食堂/宿舍 survey goes to the students of a unit (one group per class unit) and ends as
college-level readings of 食堂满意度 and 宿舍满意度; reminders reach only those who have not
answered."""

import datetime

import pytest

from engine.models import Notification
from workflows.monitoring.models import Reading
from workflows.surveys import services
from workflows.surveys.models import Eligibility, QuestionKind
from workflows.surveys.selectors import progress, questions_of

pytestmark = pytest.mark.django_db


def test_unit_survey_to_readings(cast, sv):
    officer = cast.quality_officer
    survey = services.survey_create(
        actor=officer,
        questionnaire=sv.shisu,
        title="2026-2027学年第1学期食堂和宿舍满意度调查",
        period=sv.term,
        audience="unit",
        unit=cast.units.xx,
        closes_on=datetime.date.today(),
    )
    services.survey_open(actor=officer, survey=survey)
    group = survey.groups.get()
    assert group.unit == cast.units.rj and group.eligible == len(sv.students)
    questions = questions_of(survey)
    students = list(Eligibility.objects.filter(group=group).values_list("user", flat=True))
    from accounts.models import User

    for i, user in enumerate(User.objects.filter(pk__in=students[:5])):
        rows = [
            (q.pk, 4 if i < 4 else 1, "") if q.kind == QuestionKind.LIKERT else (q.pk, None, "无")
            for q in questions
        ]
        services.response_submit(user=user, group=group, rows=rows)
    assert progress(survey)["answered"] == 5
    assert services.survey_remind(actor=officer, survey=survey) == len(sv.students) - 5
    assert Notification.objects.filter(kind="survey.reminder").count() == len(sv.students) - 5
    services.survey_close(actor=officer, survey=survey)
    values = {
        r.indicator.code: r.value for r in Reading.objects.filter(batch=f"survey-{survey.pk}")
    }
    assert values == {"SV01": 80, "SV02": 80}
    assert not Eligibility.objects.exists()  # closing forgets who did not answer
