"""A response after close, a second response, a forged or reused invitation code, a missing
answer: each a clear Chinese message, nothing written."""

import datetime

import pytest
from django.urls import reverse

from workflows.surveys import services
from workflows.surveys.models import Answer, Eligibility, Invitation, Response, Survey

from .helpers import answers, create_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_survey(cast, sv, client):
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj)
    client.post(reverse("surveys:survey_open", args=[survey.pk]))
    return survey


def _counts():
    return Response.objects.count(), Answer.objects.count(), Eligibility.objects.count()


def test_a_second_response_is_refused(cast, sv, client, open_survey):
    group = open_survey.groups.get()
    url = reverse("surveys:answer", args=[group.pk])
    client.force_login(cast.student)
    assert client.post(url, answers(open_survey, 4)).status_code == 302
    before = _counts()
    again = client.post(url, answers(open_survey, 1))
    assert "您已提交过本问卷，每人只能作答一次。" in again.content.decode()
    assert _counts() == before
    assert "您已提交过本问卷" in client.get(url).content.decode()


def test_someone_not_enrolled_cannot_answer(cast, sv, client, open_survey):
    group = open_survey.groups.get()
    client.force_login(cast.software_member)
    assert client.get(reverse("surveys:answer", args=[group.pk])).status_code == 404
    page = client.post(reverse("surveys:answer", args=[group.pk]), answers(open_survey, 4))
    assert "您不在本问卷的作答范围内。" in page.content.decode()
    assert Response.objects.count() == 0


def test_a_response_after_close_is_refused(cast, sv, client, open_survey):
    group = open_survey.groups.get()
    client.force_login(cast.quality_officer)
    client.post(reverse("surveys:survey_close", args=[open_survey.pk]))
    client.force_login(cast.student)
    page = client.post(reverse("surveys:answer", args=[group.pk]), answers(open_survey, 4))
    assert "本问卷已截止，不再接受作答。" in page.content.decode()
    assert Response.objects.count() == 0


def test_a_missing_required_answer_writes_nothing(cast, sv, client, open_survey):
    group = open_survey.groups.get()
    data = answers(open_survey, 4)
    data.pop(next(iter(data)))
    client.force_login(cast.student)
    page = client.post(reverse("surveys:answer", args=[group.pk]), data)
    assert page.status_code == 200 and "此项为必填项" in page.content.decode()
    assert Response.objects.count() == 0 and Eligibility.objects.filter(user=cast.student).exists()


def test_forged_and_reused_invitation_codes(cast, sv, client):
    survey = services.survey_create(
        actor=cast.quality_officer,
        questionnaire=sv.graduate,
        title="2026届毕业生母校满意度调查",
        period=sv.term,
        audience="invitation",
        unit=cast.units.college,
        closes_on=datetime.date.today(),
    )
    services.survey_open(actor=cast.quality_officer, survey=survey)
    code = services.survey_invite(actor=cast.quality_officer, survey=survey, count=3)[0]
    url = reverse("surveys:invited", args=[survey.pk])
    client.logout()
    assert "邀请码" in client.get(url).content.decode()

    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    page = client.post(url, {**answers(survey, 5), "code": forged})
    assert "邀请码无效" in page.content.decode()
    assert Response.objects.count() == 0 and Invitation.objects.count() == 3

    assert client.post(url, {**answers(survey, 5), "code": code.lower()}).status_code == 302
    assert Response.objects.count() == 1 and Invitation.objects.count() == 2

    page = client.post(url, {**answers(survey, 5), "code": code})
    assert "该邀请码已被使用" in page.content.decode()
    assert Response.objects.count() == 1

    # a code of another survey does not open this one
    other = services.survey_create(
        actor=cast.quality_officer,
        questionnaire=sv.graduate,
        title="另一调查",
        period=sv.term,
        audience="invitation",
        unit=cast.units.college,
        closes_on=datetime.date.today(),
    )
    services.survey_open(actor=cast.quality_officer, survey=other)
    foreign = services.survey_invite(actor=cast.quality_officer, survey=other, count=1)[0]
    page = client.post(url, {**answers(survey, 5), "code": foreign})
    assert "该邀请码已被使用（或不属于本调查）" in page.content.decode()
    assert Survey.objects.get(pk=other.pk).groups.get().invitations.count() == 1


def test_only_the_office_distributes_and_closes(cast, sv, client, open_survey):
    client.force_login(cast.teacher)
    assert client.post(reverse("surveys:survey_close", args=[open_survey.pk])).status_code == 404
    client.force_login(cast.xx_leader)
    assert client.get(open_survey.get_absolute_url()).status_code == 200
    assert client.post(reverse("surveys:survey_close", args=[open_survey.pk])).status_code == 403
    open_survey.refresh_from_db()
    assert open_survey.status == "open"
