"""The public intake endpoints and the office's list, through the API as a client would."""

from django.urls import reverse

from accounts.models import AuditEntry
from cases.confidential.models import Report, ReportAddition
from tests.cases.confidential.factories import jpeg_with_gps, solved_challenge


def api_file(client, **extra):
    data = {
        "subject": "experts",
        "about": "专家聘请",
        "description": "评审专家与被评单位有利益关系。",
    }
    data.update(solved_challenge())
    data.update(extra)
    return client.post(reverse("api:report-intake"), data, REMOTE_ADDR="198.51.100.9")


def test_challenge_then_file_then_track_then_add(cast, client):
    challenge = client.get(reverse("api:report-challenge")).json()
    assert challenge["token"] and challenge["question"]
    response = api_file(client, files=[jpeg_with_gps()])
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    code = response.json()["code"]
    report = Report.objects.get()
    assert report.is_anonymous and response.json()["number"] == report.number
    tracked = client.post(
        reverse("api:report-track"), {"code": code}, content_type="application/json"
    )
    assert tracked.status_code == 200 and tracked.json()["status"] == "received"
    assert "description" not in tracked.json()
    added = client.post(reverse("api:report-add-information"), {"code": code, "text": "补充材料"})
    assert added.status_code == 201 and ReportAddition.objects.get().text == "补充材料"
    assert not AuditEntry.objects.exclude(ip=None).exists()


def test_bad_intake_gets_400_with_field_errors(cast, client):
    response = api_file(client, description="", challenge_answer="-1")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and {"description", "challenge_answer"} <= set(body["errors"])
    assert not Report.objects.exists()


def test_unknown_code_is_404_and_brute_force_is_429(cast, client, settings):
    settings.INTAKE_RATE_TRACK = "3/h"
    url = reverse("api:report-track")
    answers = [
        client.post(url, {"code": f"X{i}"}, content_type="application/json") for i in range(4)
    ]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert (
        answers[0].json()
        == answers[1].json()
        == {"code": "not_found", "message": "No report matches this code."}
    )


def test_office_api_lists_reports_and_hides_them_from_others(cast, login, client):
    api_file(client)
    office = login(cast.discipline_officer)
    rows = office.get(reverse("api:report-list")).json()
    assert rows["count"] == 1
    detail = office.get(reverse("api:report-detail", args=[rows["results"][0]["id"]])).json()
    assert detail["reporter"] == {"anonymous": True, "contact": ""}
    assert detail["allowed_actions"] == ["start_check"]
    quality = login(cast.quality_officer)
    assert quality.get(reverse("api:report-list")).json()["count"] == 0


def test_office_shares_through_the_api_and_the_member_adds_a_note(cast, as_user):
    from cases.confidential.models import ReportNote
    from tests.cases.confidential.factories import file_report

    report, _code = file_report()
    office = as_user(cast.discipline_officer)
    share = reverse("api:report-share", args=[report.pk])
    assert office.post(share, {"username": "nobody-such"}).status_code == 400
    assert office.post(share, {"username": cast.committee_member.username}).status_code == 204
    member = as_user(cast.committee_member)
    assert member.post(share, {"username": cast.teacher.username}).status_code == 403
    notes = reverse("api:report-notes", args=[report.pk])
    assert member.post(notes, {"text": "已阅"}).status_code == 201
    assert ReportNote.objects.get().author == cast.committee_member
    assert as_user(cast.quality_officer).post(notes, {"text": "x"}).status_code == 404
