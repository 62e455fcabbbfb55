"""The public pages, clicked through as a visitor: file, see the code once, track, add."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry
from cases.confidential import services
from cases.confidential.models import Report, ReportAddition, Status
from engine.models import Attachment, Notification
from tests.cases.confidential.factories import file_report, jpeg_with_gps, solved_challenge

CODE_RE = re.compile(r'value="((?:[A-Z2-9]{4}-){4}[A-Z2-9]{4})"')


def post_report(client, **extra):
    data = {
        "subject": "funds",
        "about": "某系专项经费",
        "description": "专项经费被挪用。",
        "contact": "",
        **solved_challenge(),
        **extra,
    }
    return client.post(
        reverse("confidential:file"),
        data,
        REMOTE_ADDR="203.0.113.77",
        HTTP_USER_AGENT="ProbeAgent/1.0",
    )


def test_visitor_files_anonymously_and_sees_the_code_once(cast, client):
    page = client.get(reverse("confidential:file"))
    assert page.status_code == 200 and "challenge_token" in page.content.decode()
    response = post_report(client, files=[jpeg_with_gps()])
    assert response.status_code == 200
    html = response.content.decode()
    code = CODE_RE.search(html).group(1)
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    report = Report.objects.get()
    assert report.is_anonymous and report.reporter is None
    assert report.number.startswith("JB-") and report.number in html
    entry = AuditEntry.objects.get(action="report.file")
    assert entry.actor is None and entry.ip is None
    assert Attachment.objects.get().uploaded_by is None
    office = Notification.objects.get(recipient=cast.discipline_officer)
    assert office.title.endswith(report.number) and "经费" not in office.body
    # The code page is not reachable again: nothing keeps the code.
    assert code not in client.get(reverse("confidential:file")).content.decode()
    assert code not in client.get(reverse("confidential:track")).content.decode()


def test_code_shows_progress_and_answer_but_no_internal_notes(cast, client):
    report, code = file_report()
    for action, text in [
        ("start_check", ""),
        ("decline", "线索不具体"),
        ("answer_reporter", "经初核，反映的问题线索不具体，不予立案。"),
    ]:
        services.report_advance(
            actor=cast.discipline_officer, report=report, action=action, text=text
        )
    services.report_add_note(actor=cast.discipline_officer, report=report, text="内部意见：勿外传")
    response = client.post(reverse("confidential:track"), {"code": code.lower().replace("-", " ")})
    html = response.content.decode()
    assert response.status_code == 200 and report.number in html
    assert "不予立案。" in html and "内部意见" not in html and "线索不具体" in html
    assert html.count("<li>") >= 4  # received, check, not filed, answered


def test_wrong_and_missing_codes_answer_alike(cast, client):
    _report, code = file_report()
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    answers = []
    for attempt in [wrong, "NOT-A-CODE", "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ"]:
        response = client.post(reverse("confidential:track"), {"code": attempt})
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        answers.append((response.status_code, body.replace(attempt, "")))
    assert answers[0] == answers[1] == answers[2]


def test_wrong_codes_cost_the_same_queries_as_missing_ones(cast, client):
    _report, code = file_report()
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")

    def lookups(data):
        """The queries besides the rate limits' counters (which never see the code's fate)."""
        with CaptureQueriesContext(connection) as ctx:
            client.post(reverse("confidential:track"), data)
        return [
            q["sql"]
            for q in ctx.captured_queries
            if "ratecounter" not in q["sql"] and "SAVEPOINT" not in q["sql"]
        ]

    wrong_queries, missing_queries = lookups({"code": wrong}), lookups({"code": "x"})
    assert len(wrong_queries) == len(missing_queries) == 1
    shapes = [re.sub(r"[0-9a-f]{64}", "<hash>", q[0]) for q in (wrong_queries, missing_queries)]
    assert shapes[0] == shapes[1] and "<hash>" in shapes[0]


def test_brute_force_hits_the_client_rate_limit(cast, client, settings):
    settings.INTAKE_RATE_TRACK = "5/h"
    _report, code = file_report()
    for i in range(5):
        assert client.post(reverse("confidential:track"), {"code": f"GUESS-{i}"}).status_code == 200
    response = client.post(reverse("confidential:track"), {"code": code})
    assert response.status_code == 429 and response.context["limited"]


def test_one_code_hammered_from_many_clients_hits_the_code_limit(cast, client, settings):
    settings.INTAKE_RATE_CODE = "3/h"
    _report, code = file_report()
    for i in range(3):
        ok = client.post(reverse("confidential:track"), {"code": code}, REMOTE_ADDR=f"10.0.0.{i}")
        assert ok.status_code == 200
    assert (
        client.post(
            reverse("confidential:track"), {"code": code}, REMOTE_ADDR="10.0.0.99"
        ).status_code
        == 429
    )


def test_a_code_opens_its_own_report_only(cast, client):
    first, first_code = file_report(about="第一件")
    second, _second_code = file_report(about="第二件")
    html = client.post(reverse("confidential:track"), {"code": first_code}).content.decode()
    assert first.number in html and second.number not in html
    client.post(reverse("confidential:add_information"), {"code": first_code, "text": "补充说明"})
    assert ReportAddition.objects.get().report == first


def test_code_holder_adds_information_anonymously(cast, client):
    report, code = file_report()
    response = client.post(
        reverse("confidential:add_information"),
        {"code": code, "text": "补充：有报销单据", "files": [jpeg_with_gps()]},
        REMOTE_ADDR="203.0.113.77",
    )
    assert response.status_code == 200
    addition = ReportAddition.objects.get(report=report)
    assert addition.text == "补充：有报销单据"
    entry = AuditEntry.objects.get(action="report.add_information")
    assert entry.actor is None and entry.ip is None
    assert Attachment.objects.get().uploaded_by is None


def test_closed_report_takes_no_more_information(cast, client):
    report, code = file_report()
    for action, text in [
        ("start_check", ""),
        ("decline", "无"),
        ("answer_reporter", "答复"),
        ("close", ""),
    ]:
        report = services.report_advance(
            actor=cast.discipline_officer, report=report, action=action, text=text
        )
    html = client.post(reverse("confidential:track"), {"code": code}).content.decode()
    assert "add_information" not in html and reverse("confidential:add_information") not in html
    response = client.post(
        reverse("confidential:add_information"), {"code": code, "text": "再补充"}
    )
    assert response.status_code == 400 and not ReportAddition.objects.exists()


def test_empty_report_is_refused_with_clear_errors(cast, client):
    response = post_report(client, description="   ", about="")
    assert response.status_code == 200
    form = response.context["form"]
    assert "description" in form.errors and "about" in form.errors
    assert not Report.objects.exists()


def test_wrong_challenge_keeps_the_text_and_saves_nothing(cast, client):
    response = post_report(client, challenge_answer="999", description="保留我写的内容")
    assert response.status_code == 200 and not Report.objects.exists()
    html = response.content.decode()
    assert "保留我写的内容" in html and "challenge_answer" in response.context["form"].errors
    assert "重新选择" in html  # the visitor is told to attach the files again


def test_script_in_text_is_escaped_for_the_office(cast, login):
    report, _code = file_report(description="<script>alert(1)</script>", about="<b>x</b>")
    html = (
        login(cast.discipline_officer)
        .get(reverse("confidential:office_detail", args=[report.pk]))
        .content.decode()
    )
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html


def test_flood_of_submissions_is_stopped_and_earlier_ones_are_kept(cast, client, settings):
    settings.INTAKE_RATE_FILE = "3/h"
    statuses = [post_report(client).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert Report.objects.count() == 3


def test_too_long_text_is_an_error_not_a_truncation(cast, client, settings):
    response = post_report(client, description="长" * (settings.INTAKE_MAX_TEXT + 1))
    assert "description" in response.context["form"].errors and not Report.objects.exists()


def test_too_many_files_is_an_error(cast, client, settings):
    settings.INTAKE_MAX_FILES = 1
    response = post_report(client, files=[jpeg_with_gps(), jpeg_with_gps()])
    assert "files" in response.context["form"].errors and not Report.objects.exists()


def test_signed_in_person_files_under_their_name_seen_by_the_office_only(cast, login):
    client = login(cast.teacher)
    response = post_report(client, named="on")
    assert response.status_code == 200
    report = Report.objects.get()
    assert not report.is_anonymous and report.reporter == cast.teacher
    entry = AuditEntry.objects.get(action="report.file")
    assert entry.actor is None and entry.ip is None
    office = login(cast.discipline_officer).get(
        reverse("confidential:office_detail", args=[report.pk])
    )
    assert cast.teacher.full_name in office.content.decode()
    mine = login(cast.teacher).get(reverse("confidential:mine"))
    assert report.number in mine.content.decode()


def test_signed_in_person_may_still_file_anonymously(cast, login):
    client = login(cast.teacher)
    post_report(client)
    report = Report.objects.get()
    assert report.is_anonymous and report.reporter is None
    assert (
        report.number not in login(cast.teacher).get(reverse("confidential:mine")).content.decode()
    )


def test_named_reporter_is_told_of_the_answer(cast):
    report, _code = file_report(cast.teacher, anonymous=False)
    assert report.status == Status.RECEIVED
    for action, text in [("start_check", ""), ("decline", "无"), ("answer_reporter", "答复")]:
        report = services.report_advance(
            actor=cast.discipline_officer, report=report, action=action, text=text
        )
    note = Notification.objects.get(recipient=cast.teacher)
    assert note.kind == "report.answered" and note.url == reverse("confidential:mine")


def test_adding_information_with_a_wrong_code_is_a_clear_404_not_a_crash(cast, client):
    file_report()
    response = client.post(
        reverse("confidential:add_information"),
        {"code": "AAAA-BBBB-CCCC-DDDD-EEEE", "text": "补充材料"},
    )
    assert response.status_code == 404
    assert "举报" in response.content.decode() or "查询码" in response.content.decode()
    assert not ReportAddition.objects.exists()


def test_the_filed_page_says_the_report_was_received_not_accepted(cast, client):
    """Its title said 举报已受理: accepting (立案) is the office's decision, still to come."""
    html = post_report(client).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "举报已收到" in title and "受理" not in title
