import pytest
from django.urls import reverse

from workflows.surveys import services

from .helpers import answers, create_survey

pytestmark = pytest.mark.django_db


def test_surveys_and_results_through_the_api(cast, sv, client):
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj)
    services.survey_open(actor=cast.quality_officer, survey=survey)
    group = survey.groups.get()
    for student in sv.students[:5]:
        client.force_login(student)
        client.post(reverse("surveys:answer", args=[group.pk]), answers(survey, 4))
    services.survey_close(actor=cast.quality_officer, survey=survey)
    client.force_login(cast.quality_officer)
    listed = client.get("/api/v1/surveys/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["id"] for r in rows] == [survey.pk]
    results = client.get(f"/api/v1/surveys/{survey.pk}/results/").json()
    assert results["progress"]["answered"] == 5
    (only,) = results["groups"]
    assert only["shown"] and only["responses"] == 5
    assert {r["mean"] for r in only["results"] if r["answers"]} >= {"4.00000000"}
    client.force_login(cast.student)
    assert client.get(f"/api/v1/surveys/{survey.pk}/results/").status_code == 404
