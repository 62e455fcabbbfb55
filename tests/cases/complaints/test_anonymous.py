"""Anonymous complaints through the public pages and the API: the code shown once, progress and
answer with the code, additions, the same answer for wrong and missing codes, rate limits."""

import re

from django.urls import reverse

from accounts.models import AuditEntry
from cases import services as case_services
from cases.complaints.models import Addition, Ticket
from cases.confidential.models import RateCounter
from cases.models import Case
from cases.models import Status as S
from engine.models import Attachment, Notification
from tests.cases.complaints.factories import file_anonymous, post_complaint
from tests.cases.confidential.factories import GPS_CAMERA, jpeg_with_gps, solved_challenge
from tests.cases.factories import advance, file_case

CODE_RE = re.compile(r'value="((?:[A-Z2-9]{4}-){4}[A-Z2-9]{4})"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _without_tokens(response) -> str:
    return CSRF_RE.sub("", response.content.decode())


def test_public_page_offers_complaint_and_report(client):
    page = client.get(reverse("complaints:choose")).content.decode()
    assert reverse("complaints:file") in page and reverse("confidential:file") in page


def test_visitor_files_a_complaint_that_nobody_can_trace(cast, client):
    response = post_complaint(client, cast.units.rj, files=[jpeg_with_gps()])
    assert response.status_code == 200
    html = response.content.decode()
    code = CODE_RE.search(html).group(1)
    case = Case.objects.get()
    assert case.kind == Case.Kind.COMPLAINT and case.reporter is None and case.reporter_hidden
    assert case.accepting_unit == cast.units.xx and case.number in html
    ticket = Ticket.objects.get()
    assert code not in ticket.code_hash and len(ticket.code_hash) == 64
    entry = AuditEntry.objects.get(action="case.file")
    assert entry.actor is None and entry.ip is None
    file = Attachment.objects.get()
    assert file.uploaded_by is None and "qianduoduo" not in file.original_name
    assert GPS_CAMERA.encode() not in file.file.read()
    assert Notification.objects.filter(recipient=cast.xx_leader, kind="case.filed").exists()
    # the accepting body handles it without learning anything about the complainant
    client.force_login(cast.xx_leader)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "203.0.113.9" not in page and "Probe/2.0" not in page


def test_code_follows_progress_reads_the_answer_and_adds_information(cast, client):
    case, code = file_anonymous(cast.units.rj)
    case_services.case_accept(actor=cast.xx_leader, case=case)
    response = client.post(reverse("complaints:track"), {"code": code.lower()})
    html = response.content.decode()
    assert response.status_code == 200 and str(S.ACCEPTED.label) in html
    added = client.post(
        reverse("complaints:add_information"),
        {"code": code, "text": "又发生了一次。", "files": [jpeg_with_gps()]},
    )
    assert added.status_code == 200
    assert Addition.objects.get().text == "又发生了一次。"
    assert Attachment.objects.get().uploaded_by is None
    assert AuditEntry.objects.get(action="case.add_information").ip is None
    assert Notification.objects.filter(
        recipient=cast.xx_leader, kind="complaint.information"
    ).exists()
    assert (
        "又发生了一次"
        not in client.post(reverse("complaints:track"), {"code": code}).content.decode()
    )
    refused, refused_code = file_anonymous(cast.units.rj, title="另一件")
    case_services.case_refuse(actor=cast.xx_leader, case=refused, reason="不属于受理范围。")
    answer = client.post(reverse("complaints:track"), {"code": refused_code}).content.decode()
    assert "不属于受理范围" in answer
    closed = client.post(
        reverse("complaints:add_information"), {"code": refused_code, "text": "再补充"}
    )
    assert closed.status_code == 400 and Addition.objects.count() == 1


def test_wrong_and_missing_codes_get_the_same_answer_and_a_code_opens_only_its_own(cast, client):
    first, first_code = file_anonymous(cast.units.rj, title="第一件")
    _second, _ = file_anonymous(cast.units.rj, title="第二件")
    wrong = client.post(reverse("complaints:track"), {"code": "AAAA-BBBB-CCCC-DDDD-EEEE"})
    garbage = client.post(reverse("complaints:track"), {"code": "<script>x</script>"})
    assert wrong.status_code == garbage.status_code == 200
    assert _without_tokens(wrong) == _without_tokens(garbage).replace(
        "&lt;script&gt;x&lt;/script&gt;", "AAAA-BBBB-CCCC-DDDD-EEEE"
    )
    mine = client.post(reverse("complaints:track"), {"code": first_code}).content.decode()
    assert first.number in mine and "第二件" not in mine
    api = client.post(
        "/api/v1/complaints/track/", {"code": "AAAA"}, content_type="application/json"
    )
    assert api.status_code == 404 and api.json()["code"] == "not_found"


def test_brute_force_hits_the_rate_limit(cast, client, settings):
    settings.INTAKE_RATE_TRACK = "5/h"
    for n in range(5):
        assert client.post(reverse("complaints:track"), {"code": f"X{n}"}).status_code == 200
    assert client.post(reverse("complaints:track"), {"code": "X9"}).status_code == 429


def test_one_code_is_limited_across_clients(cast, client, settings):
    settings.INTAKE_RATE_CODE = "3/h"
    _case, code = file_anonymous(cast.units.rj)
    for n in range(3):
        ok = client.post(reverse("complaints:track"), {"code": code}, REMOTE_ADDR=f"10.0.0.{n}")
        assert ok.status_code == 200
    blocked = client.post(reverse("complaints:track"), {"code": code}, REMOTE_ADDR="10.0.0.9")
    assert blocked.status_code == 429


def test_bad_input_is_refused_clearly_and_nothing_is_half_saved(cast, client, settings):
    empty = post_complaint(client, cast.units.rj, description="   ")
    assert empty.status_code == 200 and Case.objects.count() == 0
    assert "Nothing was saved" in empty.content.decode() or "尚未保存" in empty.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    disguised = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image")
    refused = post_complaint(client, cast.units.rj, files=[disguised])
    assert refused.status_code == 200 and Case.objects.count() == 0
    assert refused.context["form"].errors["files"]
    wrong_answer = post_complaint(client, cast.units.rj, challenge_answer="999")
    assert wrong_answer.context["form"].errors["challenge_answer"]
    RateCounter.objects.all().delete()
    settings.INTAKE_RATE_FILE = "2/h"
    for _ in range(2):
        post_complaint(client, cast.units.rj)
    assert post_complaint(client, cast.units.rj).status_code == 429
    assert Case.objects.count() == 2


def test_api_files_tracks_and_adds(cast, client):
    challenge = client.get("/api/v1/complaints/intake/challenge/").json()
    assert challenge["token"] and challenge["question"]
    filed = client.post(
        "/api/v1/complaints/intake/",
        {
            "title": "<script>alert(1)</script>",
            "subject_unit": cast.units.rj.pk,
            "description": '=HYPERLINK("http://x")',
            **solved_challenge(),
        },
        REMOTE_ADDR="198.51.100.3",
    )
    assert filed.status_code == 201, filed.content
    code = filed.json()["code"]
    tracked = client.post(
        "/api/v1/complaints/track/", {"code": code}, content_type="application/json"
    )
    assert tracked.status_code == 200 and tracked.json()["status"] == S.SUBMITTED
    assert "reporter" not in tracked.json()
    added = client.post("/api/v1/complaints/track/add/", {"code": code, "text": "补充说明"})
    assert added.status_code == 201 and added.json()["additions"] == 1
    empty = client.post("/api/v1/complaints/intake/", {"title": "", **solved_challenge()})
    assert empty.status_code == 400 and empty.json()["code"] == "invalid"
    client.force_login(cast.xx_leader)
    page = client.get(Case.objects.get().get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_holder_of_the_code_rates_the_answer(cast, client):
    case, code = file_anonymous(cast.units.rj)
    early = client.post(reverse("complaints:rate"), {"code": code, "satisfaction": "4"})
    assert early.status_code == 400 and Case.objects.get().satisfaction is None
    case = advance(cast, case, S.FEEDBACK)
    page = client.post(reverse("complaints:track"), {"code": code}).content.decode()
    assert reverse("complaints:rate") in page and "已整改" in page
    wrong = client.post(reverse("complaints:rate"), {"code": "AAAA", "satisfaction": "4"})
    assert wrong.status_code == 404
    rated = client.post(
        reverse("complaints:rate"), {"code": code, "satisfaction": "4", "comment": "满意"}
    )
    assert rated.status_code == 200
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.satisfaction == 4 and case.closed_at
    entry = AuditEntry.objects.get(action="case.rate")
    assert entry.actor is None and entry.ip is None
    again = client.post(
        "/api/v1/complaints/track/rate/",
        {"code": code, "satisfaction": 1},
        content_type="application/json",
    )
    assert again.status_code == 400 and Case.objects.get().satisfaction == 4


def test_adding_with_a_wrong_code_answers_not_found(cast, client):
    file_anonymous(cast.units.rj)
    response = client.post(
        reverse("complaints:add_information"), {"code": "AAAA-BBBB", "text": "补充"}
    )
    assert response.status_code == 404 and not Addition.objects.exists()


def _rate_form(page: str) -> str:
    return re.search(r"<form[^>]*complaint/track/rate/.*?</form>", page, re.S).group(0)


def test_a_rating_is_a_mark_the_complainant_chose_and_says_what_it_means(cast, client):
    """The anonymous rating offered a select whose first option, 5, went with the form when
    nobody chose: a complainant who only wrote a comment rated the handling 非常满意."""
    case, code = file_anonymous(cast.units.rj)
    advance(cast, case, S.FEEDBACK)
    form = _rate_form(client.post(reverse("complaints:track"), {"code": code}).content.decode())
    assert form.count('type="radio" name="satisfaction"') == 5
    assert "checked" not in form and "selected" not in form
    assert "5 · 非常满意" in form and "1 · 非常不满意" in form
    unchosen = client.post(reverse("complaints:rate"), {"code": code, "comment": "谢谢"})
    assert unchosen.status_code == 400
    assert "谢谢" in _rate_form(unchosen.content.decode())
    case.refresh_from_db()
    assert case.status == S.FEEDBACK and case.satisfaction is None
    # the signed-in reporter's form says the same marks
    signed = advance(cast, file_case(cast.student, cast.units.rj), S.FEEDBACK)
    client.force_login(cast.student)
    page = client.get(signed.get_absolute_url()).content.decode()
    assert "3 · 一般" in page and 'type="radio" name="satisfaction"' in page


def test_a_complaint_is_about_a_unit_not_the_committee_that_decides_cases(cast, client):
    """The public form offered 学院质量保证委员会 as the unit concerned (the signed-in form did
    not): both offer the same units now, and the service refuses the committee from any form."""
    offered = client.get(reverse("complaints:file")).context["form"].fields["subject_unit"]
    assert cast.units.committee not in offered.queryset and cast.units.rj in offered.queryset
    refused = post_complaint(client, cast.units.committee)
    assert refused.status_code == 200 and refused.context["form"].errors["subject_unit"]
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        case_services.case_file(
            actor=cast.teacher,
            kind=Case.Kind.COMPLAINT,
            title="委员会",
            description="试",
            subject_unit=cast.units.committee,
        )
    assert Case.objects.count() == 0
