"""The guards around the leak test: it detects a planted leak; error reports of the public pages
carry nothing typed or uploaded and no address; admin delete pages say nothing of reports."""

import logging

from django.core import mail
from django.test import Client
from django.urls import reverse

from cases.confidential import selectors, services
from tests.cases import leak
from tests.cases.confidential.factories import docx_with_author, file_report, solved_challenge


def test_walker_finds_a_planted_leak(cast, as_user, monkeypatch):
    report, _code = file_report(cast.teacher, anonymous=False)
    services.report_share(actor=cast.discipline_officer, report=report, user=cast.committee_member)
    secret = leak.Secret("name", cast.teacher.full_name, frozenset({"discipline_officer"}))
    url = reverse("confidential:office_detail", args=[report.pk])
    client = as_user(cast.committee_member)
    clean, _status = leak.fetch(client, url, "committee_member")
    assert leak.scan(clean, [secret]) == {}
    monkeypatch.setattr(selectors, "can_see_reporter", lambda user: True)
    planted, _status = leak.fetch(client, url, "committee_member")
    assert leak.scan(planted, [secret]) == {"name": 1}
    id_secret = leak.Secret("id", "", frozenset(), user_id=cast.teacher.pk)
    api = leak.fetch(client, reverse("api:report-detail", args=[report.pk]), "committee_member")[0]
    assert "id" not in leak.scan(api, [id_secret])  # the reporter block has names, not ids


def test_walker_discovers_the_report_pages():
    routes = {p.route for p in leak.url_patterns()}
    assert "report/" in routes and "discipline/reports/<int:pk>/" in routes
    assert "api/v1/reports/<int:pk>/" in routes


def test_crash_in_a_public_page_reports_nothing_identifying(cast, settings, monkeypatch, caplog):
    settings.ADMINS = [("ops", "ops@example.edu.cn")]

    def crash(**kwargs):
        raise RuntimeError("storage unavailable")

    monkeypatch.setattr(services, "report_file", crash)
    caplog.set_level(logging.DEBUG)
    client = Client(raise_request_exception=False)
    response = client.post(
        reverse("confidential:file"),
        {
            "subject": "funds",
            "about": "被举报人王某某",
            "description": "秘密描述内容XYZ",
            "contact": "13955556666",
            "files": [docx_with_author("举报人赵六的证据.docx")],
            **solved_challenge(),
        },
        REMOTE_ADDR="203.0.113.99",
        HTTP_USER_AGENT="CrashProbe/1.0",
    )
    assert response.status_code == 500
    assert mail.outbox, "the 500 e-mail to ADMINS was not sent"
    report = mail.outbox[-1]
    text = report.subject + report.body + "".join(str(a[0]) for a in report.alternatives)
    text += "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "storage unavailable" in text
    for secret in ("王某某", "XYZ", "13955556666", "赵六", "203.0.113.99", "CrashProbe"):
        assert secret not in text, secret


def test_admin_delete_pages_say_nothing_of_reports(cast, login):
    report, _code = file_report(subject_unit=cast.units.xx)
    services.report_share(actor=cast.discipline_officer, report=report, user=cast.supervisor)
    client = login(cast.sysadmin)
    for url in (
        reverse("admin:accounts_user_delete", args=[cast.supervisor.pk]),
        reverse("admin:accounts_orgunit_delete", args=[cast.units.xx.pk]),
    ):
        html = client.get(url).content.decode()
        assert report.number not in html and "report" not in html.lower().replace("reports", "")
    html = client.get(reverse("admin:accounts_user_delete", args=[cast.supervisor.pk])).content
    assert "view_report" not in html.decode()
