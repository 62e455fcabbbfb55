"""Role × case state × action: who sees (else 404), who acts (else 403), no leak in lists,
exports, attachments and the API."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from cases import services
from cases.access import reporter_display, visible_cases
from cases.models import Status as S
from engine.attachments import attachments_for

from .factories import advance, file_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue")]

EVERYONE = [
    "teacher",
    "xx_leader",
    "xx_member",
    "software_lead",
    "jd_leader",
    "quality_officer",
    "chair",
    "committee_member",
    "discipline_officer",
    "student",
    "supervisor",
    "expert",
    "outsider",
    "sysadmin",
]
ALWAYS = {"teacher", "xx_leader", "xx_member", "quality_officer", "discipline_officer"}
SEES = {
    S.SUBMITTED: ALWAYS,
    S.INVESTIGATING: ALWAYS,
    S.RECTIFYING: ALWAYS | {"software_lead"},
    S.CLOSED: ALWAYS | {"software_lead"},
}


@pytest.fixture
def hidden_case(cast):
    return file_case(cast.teacher, cast.units.rj, reporter_hidden=True)


@pytest.mark.parametrize("state", list(SEES))
def test_who_sees_a_department_case(cast, client, hidden_case, state):
    case = advance(cast, hidden_case, state)
    for name in EVERYONE:
        user = getattr(cast, name)
        client.force_login(user)
        expected = 200 if name in SEES[state] else 404
        page = client.get(reverse("cases:detail", args=[case.pk]))
        assert page.status_code == expected, (name, state)
        api = client.get(f"/api/v1/cases/{case.pk}/")
        assert api.status_code == expected, (name, state)
        listed = client.get(reverse("cases:list"))
        if name in ("outsider", "expert"):  # no role that files or handles cases
            assert listed.status_code == 403
        else:
            assert (case in listed.context["page"].object_list) == (expected == 200), name


ACCEPT_ANSWERS = {
    "xx_leader": 302,
    "quality_officer": 403,  # sees every case, accepts only the college's
    "teacher": 403,
    "discipline_officer": 403,  # read-only oversight
    "jd_leader": 404,
    "student": 404,
    "software_lead": 404,
}


@pytest.mark.parametrize(("name", "code"), list(ACCEPT_ANSWERS.items()))
def test_who_may_accept(cast, client, hidden_case, name, code):
    client.force_login(getattr(cast, name))
    response = client.post(reverse("cases:action", args=[hidden_case.pk, "accept"]))
    assert response.status_code == code
    hidden_case.refresh_from_db()
    assert (hidden_case.status == S.ACCEPTED) == (code == 302)


def test_responsible_unit_acts_on_the_notice_without_seeing_the_reporter(cast, client, hidden_case):
    case = advance(cast, hidden_case, S.RECTIFYING)
    notice = case.notices.get()
    url = reverse("cases:notice_action", args=[notice.pk, "receipt"])
    for name, code in [("jd_leader", 404), ("teacher", 403), ("quality_officer", 403)]:
        client.force_login(getattr(cast, name))
        assert client.post(url).status_code == code, name
    client.force_login(cast.software_lead)
    assert client.post(url).status_code == 302
    assert reporter_display(cast.software_lead, case) != str(cast.teacher)
    # the department accepting the complaint is the unit concerned: it does not see them either
    assert reporter_display(cast.xx_leader, case) != str(cast.teacher)
    assert reporter_display(cast.quality_officer, case) != str(cast.teacher)
    assert reporter_display(cast.teacher, case) == str(cast.teacher)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert cast.teacher.full_name not in page
    export = client.get(reverse("cases:export"))
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert len(rows) == 2 and cast.teacher.full_name not in str(rows)
    docx = client.get(reverse("cases:notice_docx", args=[notice.pk]))
    assert docx.status_code == 200
    client.force_login(cast.jd_leader)
    assert client.get(reverse("cases:notice_docx", args=[notice.pk])).status_code == 404


def test_severe_cases_are_the_committee_s(cast, client):
    case = file_case(cast.student, cast.units.jwc)
    case = advance(cast, case, S.CLASSIFIED, grade_name="严重")
    assert case.needs_committee
    ordinary = file_case(cast.student, cast.units.jwc, title="一般问题")
    assert set(visible_cases(cast.chair)) == {case}
    assert set(visible_cases(cast.committee_member)) == {case}
    assert ordinary in visible_cases(cast.quality_officer)
    client.force_login(cast.chair)
    assert client.get(reverse("cases:dashboard")).status_code == 200
    client.force_login(cast.teacher)
    assert client.get(reverse("cases:dashboard")).status_code == 403


def test_confidential_cases_leave_every_ordinary_scope(cast):
    case = file_case(cast.teacher, cast.units.rj)
    type(case).objects.filter(pk=case.pk).update(confidential=True)
    for name in ("xx_leader", "quality_officer", "discipline_officer", "chair"):
        assert not visible_cases(getattr(cast, name)).filter(pk=case.pk).exists(), name
    assert visible_cases(cast.teacher).filter(pk=case.pk).exists()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_attachments_are_served_through_the_case_access(cast, client):
    case = file_case(
        cast.supervisor,
        cast.units.rj,
        kind="report",
        uploads=[SimpleUploadedFile("现场 照片.png", PNG, content_type="image/png")],
    )
    attachment = attachments_for(case).get()
    url = reverse("engine:attachment_download", args=[attachment.pk])
    client.force_login(cast.xx_leader)
    assert client.get(url).status_code == 200
    client.force_login(cast.jd_leader)
    assert client.get(url).status_code == 404


def test_investigator_sees_only_assigned_cases(cast):
    mine = advance(cast, file_case(cast.student, cast.units.jdyt), S.CLASSIFIED)
    services.case_start_investigation(actor=cast.jd_leader, case=mine, investigators=[cast.teacher])
    other = file_case(cast.student, cast.units.jdyt, title="另一件")
    seen = set(visible_cases(cast.teacher))
    assert mine in seen and other not in seen
