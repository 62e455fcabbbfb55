"""The leak test: file reports anonymously, anonymously while signed in, and under a name,
through the pages and the API; then walk every URL pattern the project serves (with the ids of
the objects that exist), every notification, email and log line, as every role of the cast and
as an anonymous visitor, and fail if anything identifying reaches someone who may not see it.

An identifying value that a page already showed before anything was filed (a member list, the
user admin) is not a leak: every hit is compared with the same page after rolling the scene back,
and only an increase counts."""

import logging
import re
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from cases.confidential import hooks
from cases.confidential.models import Report
from config.celery import app as celery_app
from engine.models import Sequence
from tests.cases import leak
from tests.cases.confidential.factories import (
    COMMENT_AUTHOR,
    DOC_AUTHOR,
    GPS_CAMERA,
    PDF_AUTHOR,
    docx_with_author,
    jpeg_with_gps,
    pdf_with_author,
    solved_challenge,
)
from tests.engine import office_files
from tests.factories import MembershipFactory, UserFactory

OFFICE = "discipline_officer"
MEMBER = "committee_member"
CODE_RE = re.compile(r'value="((?:[A-Z2-9]{4}-){4}[A-Z2-9]{4})"')

ANON_UI = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "LeakProbe/9.1 (anon-ui-device)"}
ANON_API = {"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": "LeakProbe/9.2 (anon-api-device)"}
NAMED = {"REMOTE_ADDR": "192.0.2.45", "HTTP_USER_AGENT": "LeakProbe/9.3 (named-device)"}
QUIET = {"REMOTE_ADDR": "192.0.2.46", "HTTP_USER_AGENT": "LeakProbe/9.4 (quiet-device)"}


def _person(username, full_name, phone, unit):
    user = UserFactory(
        username=username, full_name=full_name, phone=phone, email=f"{username}@mail.example.cn"
    )
    MembershipFactory(user=user, org_unit=unit, role=Role.TEACHER)
    return user


def _report_data(description, **extra):
    return {
        "subject": "falsification",
        "about": "自诊报告数据",
        "description": description,
        "contact": "",
        **solved_challenge(),
        **extra,
    }


def build_scene(cast, reporter_clients):
    """File five reports and add information through every intake path, then let the office work
    on them through its pages."""
    codes = {}
    anon_ui = Client(**ANON_UI)
    page = anon_ui.post(
        reverse("confidential:file"),
        _report_data(
            "匿名页面举报：自诊数据造假。",
            contact="anon.tip@example.org",
            files=[
                jpeg_with_gps(),
                docx_with_author(),
                pdf_with_author(),
                SimpleUploadedFile("张三的证据.docx", office_files.docx_with_identity()),
                SimpleUploadedFile("张三的表格.xlsx", office_files.xlsx_with_identity()),
            ],
        ),
    )
    codes["anon-ui"] = CODE_RE.search(page.content.decode()).group(1)
    anon_api = Client(**ANON_API)
    response = anon_api.post(
        reverse("api:report-intake"),
        _report_data("匿名接口举报：专家聘请违规。", files=[jpeg_with_gps("DSC_0042.jpg")]),
    )
    codes["anon-api"] = response.json()["code"]
    named = Client(**NAMED)
    named.cookies = reporter_clients["whistle"].cookies
    page = named.post(
        reverse("confidential:file"),
        _report_data("实名页面举报：经费挪用。", named="on", contact="13912345678"),
    )
    codes["named-ui"] = CODE_RE.search(page.content.decode()).group(1)
    response = named.post(
        reverse("api:report-intake"),
        _report_data("实名接口举报：结论失实。", named="true", files=[docx_with_author()]),
    )
    codes["named-api"] = response.json()["code"]
    hidden = Client(**QUIET)
    hidden.cookies = reporter_clients["quiet"].cookies
    page = hidden.post(
        reverse("confidential:file"),
        _report_data("登录后匿名举报：领导干预诊改结论。", files=[pdf_with_author()]),
    )
    codes["quiet-ui"] = CODE_RE.search(page.content.decode()).group(1)
    # Additions with the code, through the page and the API.
    anon_ui.post(
        reverse("confidential:add_information"),
        {"code": codes["anon-ui"], "text": "补充：有照片为证", "files": [jpeg_with_gps()]},
    )
    anon_api.post(
        reverse("api:report-add-information"),
        {"code": codes["anon-api"], "text": "补充：聘书复印件", "files": [docx_with_author()]},
    )
    reports = {key: Report.objects.get(code_hash=_digest(code)) for key, code in codes.items()}
    assert not reports["named-ui"].is_anonymous and not reports["named-api"].is_anonymous
    assert reports["quiet-ui"].is_anonymous and reports["quiet-ui"].reporter is None
    office = Client()
    office.force_login(cast.discipline_officer)
    for report in reports.values():
        office.post(
            reverse("confidential:office_advance", args=[report.pk]), {"action": "start_check"}
        )
    shared = reports["named-ui"]
    for action, text in [("decline", "线索不足"), ("answer_reporter", "经初核，不予立案。")]:
        office.post(
            reverse("confidential:office_advance", args=[shared.pk]),
            {"action": action, "text": text},
        )
    office.post(
        reverse("confidential:office_share", args=[shared.pk]), {"username": MEMBER_USERNAME}
    )
    office.post(reverse("confidential:office_note", args=[shared.pk]), {"text": "请委员阅示"})
    # Shared with someone who never acts on it: nothing but the grant and a notification.
    office.post(
        reverse("confidential:office_share", args=[reports["quiet-ui"].pk]),
        {"username": SUPERVISOR_USERNAME},
    )
    member = Client()
    member.force_login(cast.committee_member)
    member.post(reverse("confidential:office_note", args=[shared.pk]), {"text": "同意不予立案"})
    office.post(reverse("confidential:office_spam", args=[reports["anon-api"].pk]), {"spam": "1"})
    return SimpleNamespace(codes=codes, reports=reports, shared=shared)


MEMBER_USERNAME = "committee"
SUPERVISOR_USERNAME = "dudao"


def _digest(code):
    from cases.confidential import intake

    return intake.code_digest(code, "report")


def secrets_for(scene, whistle, quiet) -> list[leak.Secret]:
    office = frozenset({OFFICE})
    nobody = frozenset()
    secrets = []
    for label, user, allowed in (("named reporter", whistle, office), ("hidden", quiet, nobody)):
        for attr in ("full_name", "username", "email", "phone"):
            secrets.append(leak.Secret(f"{label} {attr}", getattr(user, attr), allowed))
        secrets.append(leak.Secret(f"{label} id", "", allowed, user_id=user.pk))
    secrets.append(leak.Secret("named reporter contact", "13912345678", office))
    secrets.append(leak.Secret("anonymous contact", "anon.tip@example.org", office))
    for headers in (ANON_UI, ANON_API, NAMED, QUIET):
        secrets.append(leak.Secret("IP address", headers["REMOTE_ADDR"], nobody))
        secrets.append(leak.Secret("user agent", headers["HTTP_USER_AGENT"], nobody))
    for label, value in (
        ("EXIF camera", GPS_CAMERA),
        ("EXIF make", "LeakCam"),
        ("document author", DOC_AUTHOR),
        ("comment author", COMMENT_AUTHOR),
        ("PDF author", PDF_AUTHOR),
        ("file name", "IMG_20261123_qianduoduo"),
        ("file name", "DSC_0042"),
        ("file name", "钱多多的材料"),
        ("file name", "张三的证据"),
        ("file name", "张三的表格"),
        *(
            ("document identity", value)
            for value in {*office_files.DOCX_SECRETS, *office_files.XLSX_SECRETS}
        ),
    ):
        secrets.append(leak.Secret(label, value, nobody))
    for key, report in scene.reports.items():
        allowed = office | ({MEMBER} if report == scene.shared else frozenset())
        if key == "quiet-ui":
            allowed |= {"supervisor"}
        secrets.append(
            leak.Secret(f"report number ({key})", report.number, allowed | {f"holder of {key}"})
        )
        secrets.append(leak.Secret(f"report text ({key})", report.description, allowed))
    for key, code in scene.codes.items():
        secrets.append(leak.Secret(f"tracking code ({key})", code, frozenset({f"holder of {key}"})))
    return secrets


@pytest.mark.django_db
def test_no_identity_reaches_anyone_who_may_not_see_it(
    cast, caplog, django_capture_on_commit_callbacks, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    # Deliver notifications (in-app and e-mail) in this process, with or without a broker.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(hooks, "open_quality_case", lambda **kw: Sequence.objects.create(key="c"))
    whistle = _person("whistle_qdd", "钱多多", "13811112222", cast.units.rj)
    quiet = _person("quiet_smm", "孙默默", "13733334444", cast.units.jdyt)
    viewers = {
        name: person
        for name, person in vars(cast).items()
        if hasattr(person, "pk") and hasattr(person, "username")
    }
    assert viewers[MEMBER].username == MEMBER_USERNAME
    clients = {}
    for name, person in viewers.items():
        clients[name] = Client()
        clients[name].force_login(person)
    clients["anonymous visitor"] = Client()
    # Signing in is not part of filing: it happens before the scene.
    reporter_clients = {"whistle": Client(), "quiet": Client()}
    reporter_clients["whistle"].force_login(whistle)
    reporter_clients["quiet"].force_login(quiet)
    models = leak.all_models()
    before = leak.model_ids(models)

    savepoint = transaction.savepoint()
    with django_capture_on_commit_callbacks(execute=True):
        scene = build_scene(cast, reporter_clients)
    after = leak.model_ids(models)
    secrets = secrets_for(scene, whistle, quiet)
    touched = leak.scene_ids(models, before, after)
    touched[type(whistle)] |= {whistle.pk, quiet.pk}
    any_ids = sorted({pk for pks in touched.values() for pk in pks if isinstance(pk, int)})

    def ids_for(model):
        return sorted(touched.get(model, ())) if model is not None else any_ids

    # 1. Every URL pattern, instantiated with the ids that exist, as every viewer. Admin pages
    # only for viewers the admin lets in; GET-less endpoints are not readable surfaces.
    patterns = leak.url_patterns()
    admin_ok = {
        name
        for name, client in clients.items()
        if client.get(reverse("admin:index")).status_code == 200
    }
    findings, walked, errors = leak.walk_site(
        clients, clients[OFFICE], patterns, ids_for, secrets, admin_ok
    )

    # 2. What each person received: notifications (in-app) and emails.
    surfaces = leak.received_surfaces(viewers, mail.outbox)
    # 3. What a holder of each code sees.
    for key, code in scene.codes.items():
        holder, viewer = Client(), f"holder of {key}"
        page = holder.post(reverse("confidential:track"), {"code": code})
        surfaces.append(leak.Surface(viewer, "POST /report/track/", page.content.decode()))
        api = holder.post(
            reverse("api:report-track"), {"code": code}, content_type="application/json"
        )
        surfaces.append(
            leak.Surface(viewer, "POST /api/v1/reports/track/", api.content.decode(), api.json())
        )
    # 4. Every log line written so far, at DEBUG.
    log_text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    surfaces.append(leak.Surface("logs", "caplog", log_text))
    # 5. What is kept at rest: no address, browser, file metadata or tracking code in any table.
    at_rest = [
        leak.Secret(x.label, x.value)
        for x in secrets
        if x.label.startswith(("IP", "user agent", "EXIF", "document", "comment", "PDF", "file"))
        or x.label.startswith("tracking code")
    ]
    at_rest += [
        leak.Secret(f"{x.label} (ungrouped)", x.value.replace("-", ""))
        for x in secrets
        if x.label.startswith("tracking code")
    ]
    stored = [(s, leak.scan(s, at_rest)) for s in leak.database_surfaces()]
    direct = [(s, leak.scan(s, secrets)) for s in surfaces] + stored
    direct_leaks = [(s.viewer, s.where, hits) for s, hits in direct if hits]

    transaction.savepoint_rollback(savepoint)
    # The same pages before anything was filed: only an increase is a leak.
    leaks = []
    for (viewer, url), hits in findings.items():
        surface, _status = leak.fetch(clients[viewer], url, viewer)
        baseline = leak.scan(surface, secrets)
        for label, count in hits.items():
            if count > baseline.get(label, 0):
                leaks.append((viewer, url, label, count, baseline.get(label, 0)))

    print(f"walked {len(walked)} requests over {len({u for _v, u, _s in walked})} URLs")
    print("\n".join(sorted({u for _v, u, _s in walked})))
    assert not errors, errors
    assert not direct_leaks, direct_leaks
    assert not leaks, leaks
    # The walk reached what it had to: the office saw the named reporter, the member the shared
    # report, and every viewer walked the report pages.
    office_pages = [f for f in walked if f[0] == OFFICE and f[2] == 200]
    assert any(f"/discipline/reports/{scene.shared.pk}/" == url for _v, url, _s in office_pages)
    assert len({url for _v, url, _s in walked}) > 50
    assert any(s.where.startswith("email") for s in surfaces)
