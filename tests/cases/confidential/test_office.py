"""The discipline office's track, clicked through its pages and API, and who else sees what."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from cases.confidential import hooks, services
from cases.confidential.models import Report, Status
from engine.models import Notification
from tests.cases.confidential.factories import file_report


def advance(client, report, action, text=""):
    return client.post(
        reverse("confidential:office_advance", args=[report.pk]), {"action": action, "text": text}
    )


def test_office_walks_a_report_through_every_stage(cast, login):
    report, _code = file_report()
    client = login(cast.discipline_officer)
    queue = client.get(reverse("confidential:office_list"))
    assert report.number in queue.content.decode()
    cards = client.get(reverse("home")).context["cards"]
    assert [(c.count, c.url) for c in cards if c.url == reverse("confidential:office_list")] == [
        (1, reverse("confidential:office_list"))
    ]
    steps = [
        ("start_check", "", Status.PRELIMINARY_CHECK),
        ("file_case", "", Status.FILED),
        ("investigate", "", Status.INVESTIGATION),
        ("conclude", "问题属实", Status.CONCLUSION),
        ("handle", "责令退回经费并通报", Status.HANDLING),
        ("answer_reporter", "经查属实，已处理。", Status.ANSWERED),
        ("close", "", Status.CLOSED),
    ]
    for action, text, expected in steps:
        assert advance(client, report, action, text).status_code == 302
        report.refresh_from_db()
        assert report.status == expected, action
    assert list(report.stages.values_list("status", flat=True)) == [
        Status.RECEIVED,
        *[s[2] for s in steps],
    ]
    assert report.conclusion == "问题属实" and report.answer == "经查属实，已处理。"
    assert AuditEntry.objects.filter(
        action="report.conclude", actor=cast.discipline_officer
    ).exists()
    # closed: nothing is offered that would act on it, and a crafted post changes nothing
    page = client.get(reverse("confidential:office_detail", args=[report.pk])).content.decode()
    assert reverse("confidential:office_spam", args=[report.pk]) not in page
    assert reverse("confidential:office_open_case", args=[report.pk]) not in page
    marked = client.post(
        reverse("confidential:office_spam", args=[report.pk]), {"spam": "1"}, follow=True
    )
    assert "本举报已办结。" in marked.content.decode()
    report.refresh_from_db()
    assert not report.is_spam
    # the API: the report is past it, which is a conflict, not a malformed request
    api = client.post(
        f"/api/v1/reports/{report.pk}/spam/", {"spam": True}, content_type="application/json"
    )
    assert api.status_code == 409 and api.json() == {
        "code": "conflict",
        "message": "本举报已办结。",
    }


def test_not_filing_needs_a_reason(cast, login):
    report, _code = file_report()
    client = login(cast.discipline_officer)
    advance(client, report, "start_check")
    advance(client, report, "decline", "")
    report.refresh_from_db()
    assert report.status == Status.PRELIMINARY_CHECK
    advance(client, report, "decline", "线索不具体")
    report.refresh_from_db()
    assert report.status == Status.NOT_FILED and report.not_filed_reason == "线索不具体"


def test_illegal_step_in_the_api_answers_409_with_the_allowed_steps(cast, login):
    report, _code = file_report()
    client = login(cast.discipline_officer)
    response = client.post(
        reverse("api:report-advance", args=[report.pk]),
        {"action": "close"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and response.json()["allowed"] == ["start_check"]
    ok = client.post(
        reverse("api:report-advance", args=[report.pk]),
        {"action": "start_check"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == Status.PRELIMINARY_CHECK


def test_spam_leaves_the_queue_but_is_kept(cast, login):
    report, _code = file_report()
    client = login(cast.discipline_officer)
    client.post(reverse("confidential:office_spam", args=[report.pk]), {"spam": "1"})
    assert report.number not in client.get(reverse("confidential:office_list")).content.decode()
    spam = client.get(reverse("confidential:office_list"), {"spam": "1"}).content.decode()
    assert report.number in spam
    assert Report.objects.filter(pk=report.pk, is_spam=True).exists()
    client.post(reverse("confidential:office_spam", args=[report.pk]), {"spam": "0"})
    assert report.number in client.get(reverse("confidential:office_list")).content.decode()


@pytest.mark.parametrize(
    "role", ["quality_officer", "chair", "committee_member", "xx_leader", "sysadmin", "teacher"]
)
def test_other_roles_see_no_report_anywhere(cast, login, role):
    report, _code = file_report(subject_unit=cast.units.xx)
    client = login(getattr(cast, role))
    assert report.number not in client.get(reverse("confidential:office_list")).content.decode()
    assert client.get(reverse("confidential:office_detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("api:report-detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("api:report-list")).json()["count"] == 0
    assert advance(client, report, "start_check").status_code == 404
    home = client.get(reverse("home")).context
    assert reverse("confidential:office_list") not in [i["url"] for i in home["nav_items"]]
    assert reverse("confidential:office_list") not in [c.url for c in home["cards"]]


def test_shared_member_reads_one_report_without_the_reporter(cast, as_user):
    report, _code = file_report(cast.teacher, anonymous=False, contact="13900001111")
    other, _ = file_report()
    office = as_user(cast.discipline_officer)
    office.post(
        reverse("confidential:office_share", args=[report.pk]),
        {"username": cast.committee_member.username},
    )
    member = as_user(cast.committee_member)
    page = member.get(reverse("confidential:office_detail", args=[report.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and report.number in html
    assert cast.teacher.full_name not in html and "13900001111" not in html
    assert member.get(reverse("confidential:office_detail", args=[other.pk])).status_code == 404
    assert advance(member, report, "start_check").status_code == 403
    api = member.get(reverse("api:report-detail", args=[report.pk])).json()
    assert api["reporter"] is None and api["allowed_actions"] == []
    assert Notification.objects.filter(
        recipient=cast.committee_member, kind="report.shared"
    ).exists()
    member.post(reverse("confidential:office_note", args=[report.pk]), {"text": "委员意见"})
    assert report.notes.get().author == cast.committee_member
    office.post(
        reverse("confidential:office_share", args=[report.pk]),
        {"remove_person": cast.committee_member.pk},
    )
    assert member.get(reverse("confidential:office_detail", args=[report.pk])).status_code == 404


def test_audit_trail_hides_report_rows_from_everyone_but_the_office(cast, login):
    report, _code = file_report()
    services.report_advance(actor=cast.discipline_officer, report=report, action="start_check")
    for person in (cast.sysadmin, cast.chair, cast.quality_officer):
        client = login(person)
        page = client.get(reverse("accounts:audit_list"))
        assert report.number not in page.content.decode()
        admin_list = client.get(reverse("admin:accounts_auditentry_changelist"))
        assert report.number not in admin_list.content.decode()
    from accounts import selectors

    assert selectors.audit_entries(cast.sysadmin).filter(action__startswith="report.").count() == 0
    assert AuditEntry.objects.filter(action__startswith="report.").count() == 2


def test_office_opens_a_quality_case_with_redacted_fields_only(cast, login, monkeypatch):
    from engine.models import Sequence

    received = {}
    stand_in_case = Sequence.objects.create(key="stand-in-quality-case")

    def open_case(**payload):
        received.update(payload)
        return stand_in_case

    report, _code = file_report(cast.teacher, anonymous=False, contact="13900001111")
    client = login(cast.discipline_officer)
    monkeypatch.setattr(hooks, "open_quality_case", None)  # as before the cases app fills it
    assert client.get(reverse("confidential:office_open_case", args=[report.pk])).status_code == 404
    monkeypatch.setattr(hooks, "open_quality_case", open_case)
    assert client.get(reverse("confidential:office_open_case", args=[report.pk])).status_code == 200
    response = client.post(
        reverse("confidential:office_open_case", args=[report.pk]),
        {
            "title": "专项经费使用问题",
            "description": "经费使用不规范",
            "org_unit": cast.units.xx.pk,
        },
    )
    assert response.status_code == 302
    assert set(received) == {"actor", "title", "description", "org_unit", "recused"}
    assert received["actor"] == cast.discipline_officer and received["org_unit"] == cast.units.xx
    flat = " ".join(str(v) for v in received.values())
    for identity in (cast.teacher.full_name, cast.teacher.username, "13900001111", report.number):
        assert identity not in flat
    report.refresh_from_db()
    assert report.quality_case == stand_in_case
    # One way: a second case cannot be opened, and the case holds nothing pointing back.
    again = client.post(
        reverse("confidential:office_open_case", args=[report.pk]),
        {"title": "x", "description": "y"},
    )
    assert again.status_code == 200 and len(received) == 5


def test_a_note_too_long_comes_back_with_its_text(cast, login, settings):
    report, _code = file_report()
    client = login(cast.discipline_officer)
    text = "核实经费去向。" * (settings.INTAKE_MAX_TEXT // 7 + 1)
    page = client.post(reverse("confidential:office_note", args=[report.pk]), {"text": text})
    assert page.status_code == 200 and not report.notes.exists()
    (error,) = page.context["note_form"]["text"].errors
    html = page.content.decode()
    assert text in html and error in html
