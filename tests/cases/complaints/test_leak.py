"""The leak test for complaints: file anonymous complaints (page and API) and hidden-identity
complaints (page and API), add information with the code, let the accepting bodies accept, work
and answer them, let the hidden complainant rate the answer and the discipline office supervise;
then walk every URL pattern the project serves (with the ids of the objects that exist), every
export, notification, email and log line, as every role of the cast and as an anonymous
visitor, and fail if anything identifying the complainants reaches anyone at all.

As in the reports' leak test, a value a page already showed before anything was filed is not a
leak: every hit is compared with the same page after rolling the scene back."""

import logging
import re
import uuid
from types import SimpleNamespace

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from cases.complaints.models import Supervision, Ticket
from cases.models import Case
from cases.models import Status as S
from config.celery import app as celery_app
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
from tests.cases.factories import advance
from tests.factories import MembershipFactory, UserFactory

CODE_RE = re.compile(r'value="((?:[A-Z2-9]{4}-){4}[A-Z2-9]{4})"')
ANON_UI = {"REMOTE_ADDR": "203.0.113.88", "HTTP_USER_AGENT": "LeakProbe/7.1 (complaint-ui)"}
ANON_API = {"REMOTE_ADDR": "198.51.100.88", "HTTP_USER_AGENT": "LeakProbe/7.2 (complaint-api)"}
HIDDEN = {"REMOTE_ADDR": "192.0.2.88", "HTTP_USER_AGENT": "LeakProbe/7.3 (hidden-device)"}


def _complaint(title, unit, **extra):
    return {
        "title": title,
        "subject_unit": unit.pk,
        "description": f"{title}：具体情况如下。",
        **solved_challenge(),
        **extra,
    }


def build_scene(cast, quiet_client):
    codes = {}
    u = cast.units
    anon_ui = Client(**ANON_UI)
    page = anon_ui.post(
        reverse("complaints:file"),
        _complaint(
            "匿名页面投诉实训课",
            u.rj,
            files=[jpeg_with_gps(), docx_with_author(), pdf_with_author()],
        ),
    )
    codes["anon-ui"] = CODE_RE.search(page.content.decode()).group(1)
    anon_api = Client(**ANON_API)
    response = anon_api.post(
        reverse("api:complaint-intake"),
        _complaint("匿名接口投诉食堂", u.jwc, files=[jpeg_with_gps("DSC_0042.jpg")]),
    )
    codes["anon-api"] = response.json()["code"]
    anon_ui.post(
        reverse("complaints:add_information"),
        {"code": codes["anon-ui"], "text": "补充：附照片", "files": [jpeg_with_gps()]},
    )
    anon_api.post(
        reverse("api:complaint-add"),
        {"code": codes["anon-api"], "text": "补充：附说明", "files": [docx_with_author()]},
    )
    hidden = Client(**HIDDEN)
    hidden.cookies = quiet_client.cookies
    hidden.post(
        reverse("cases:file", args=["complaint"]),
        {
            "idempotency_key": str(uuid.uuid4()),
            "title": "隐名页面投诉考试安排",
            "subject_unit": u.rj.pk,
            "description": "考试安排冲突。",
            "reporter_hidden": "on",
            "files": [jpeg_with_gps("钱多多的材料.jpg"), docx_with_author()],
        },
    )
    hidden.post(
        reverse("api:case-list"),
        {
            "kind": "complaint",
            "idempotency_key": str(uuid.uuid4()),
            "title": "隐名接口投诉教务",
            "subject_unit": u.jwc.pk,
            "description": "成绩录入错误。",
            "reporter_hidden": "true",
            "files": [pdf_with_author()],
        },
    )
    hidden_ui = Case.objects.get(title="隐名页面投诉考试安排")
    hidden_api = Case.objects.get(title="隐名接口投诉教务")
    assert hidden_ui.reporter_hidden and hidden_api.reporter_hidden
    anon = {
        k: Ticket.objects.get(case__title=t).case
        for k, t in (("anon-ui", "匿名页面投诉实训课"), ("anon-api", "匿名接口投诉食堂"))
    }
    # The accepting bodies accept through their pages; one complaint goes to feedback and the
    # hidden complainant rates it; one anonymous complaint is refused with an answer.
    xx, zgb = Client(), Client()
    xx.force_login(cast.xx_leader)
    zgb.force_login(cast.quality_officer)
    for client, case in ((xx, hidden_ui), (xx, anon["anon-ui"]), (zgb, hidden_api)):
        client.post(reverse("cases:action", args=[case.pk, "accept"]))
    zgb.post(
        reverse("cases:action", args=[anon["anon-api"].pk, "refuse"]), {"reason": "不属于受理范围"}
    )
    advance(cast, Case.objects.get(pk=hidden_ui.pk), S.FEEDBACK)
    hidden.post(
        reverse("cases:action", args=[hidden_ui.pk, "rate"]),
        {"satisfaction": "2", "comment": "一般"},
    )
    # The discipline office supervises the stalled hidden complaint; the quality office answers.
    office = Client()
    office.force_login(cast.discipline_officer)
    office.post(
        reverse("complaints:supervise", args=[hidden_api.pk]),
        {"request": "请加快办理。", "working_days": 5},
    )
    supervision = Supervision.objects.get()
    zgb.post(supervision.get_absolute_url(), {"answer": "已加快办理。"})
    assert Case.objects.get(pk=hidden_ui.pk).status == S.CLOSED
    return SimpleNamespace(codes=codes, cases=[hidden_ui, hidden_api, *anon.values()])


def secrets_for(quiet) -> list[leak.Secret]:
    nobody = frozenset()
    secrets = [
        leak.Secret(f"hidden {a}", getattr(quiet, a), nobody)
        for a in ("full_name", "username", "email", "phone")
    ]
    secrets.append(leak.Secret("hidden id", "", nobody, user_id=quiet.pk))
    for headers in (ANON_UI, ANON_API, HIDDEN):
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
    ):
        secrets.append(leak.Secret(label, value, nobody))
    return secrets


def code_secrets(codes) -> list[leak.Secret]:
    return [
        leak.Secret(f"tracking code ({k})", c, frozenset({f"holder of {k}"}))
        for k, c in codes.items()
    ]


@pytest.mark.django_db
def test_no_complainant_identity_reaches_anyone(
    cast, caplog, django_capture_on_commit_callbacks, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    quiet = UserFactory(
        username="quiet_smm",
        full_name="孙默默",
        phone="13733334444",
        email="quiet_smm@mail.example.cn",
    )
    MembershipFactory(user=quiet, org_unit=cast.units.jdyt, role=Role.TEACHER)
    viewers = {
        name: person
        for name, person in vars(cast).items()
        if hasattr(person, "pk") and hasattr(person, "username")
    }
    clients = {}
    for name, person in viewers.items():
        clients[name] = Client()
        clients[name].force_login(person)
    clients["anonymous visitor"] = Client()
    quiet_client = Client()
    quiet_client.force_login(quiet)
    models = leak.all_models()
    before = leak.model_ids(models)

    savepoint = transaction.savepoint()
    with django_capture_on_commit_callbacks(execute=True):
        scene = build_scene(cast, quiet_client)
    after = leak.model_ids(models)
    secrets = secrets_for(quiet) + code_secrets(scene.codes)
    touched = leak.scene_ids(models, before, after)
    touched[type(quiet)] |= {quiet.pk}
    any_ids = sorted({pk for pks in touched.values() for pk in pks if isinstance(pk, int)})

    def ids_for(model):
        return sorted(touched.get(model, ())) if model is not None else any_ids

    admin_ok = {n for n, c in clients.items() if c.get(reverse("admin:index")).status_code == 200}
    findings, walked, errors = leak.walk_site(
        clients, clients["discipline_officer"], leak.url_patterns(), ids_for, secrets, admin_ok
    )
    surfaces = leak.received_surfaces(viewers, mail.outbox)
    for key, code in scene.codes.items():
        holder, viewer = Client(), f"holder of {key}"
        page = holder.post(reverse("complaints:track"), {"code": code})
        surfaces.append(leak.Surface(viewer, "POST /complaint/track/", page.content.decode()))
        api = holder.post(
            reverse("api:complaint-track"), {"code": code}, content_type="application/json"
        )
        surfaces.append(
            leak.Surface(viewer, "POST /api/v1/complaints/track/", api.content.decode(), api.json())
        )
    log_text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    surfaces.append(leak.Surface("logs", "caplog", log_text))
    at_rest = [
        leak.Secret(x.label, x.value)
        for x in secrets
        if x.label.startswith(
            ("IP", "user agent", "EXIF", "document", "comment", "PDF", "file", "tracking")
        )
    ]
    at_rest += [
        leak.Secret(f"{x.label} (ungrouped)", x.value.replace("-", ""))
        for x in secrets
        if x.label.startswith("tracking code")
    ]
    stored = [(s, leak.scan(s, at_rest)) for s in leak.database_surfaces()]
    direct = [(s, leak.scan(s, secrets)) for s in surfaces] + stored
    direct_leaks = [(s.viewer, s.where, hits) for s, hits in direct if hits]
    exported = [u for _v, u, st in walked if u.endswith((".xlsx", ".docx")) and st == 200]

    transaction.savepoint_rollback(savepoint)
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
    assert not leaks, sorted({(v, re.sub(r"\d+", "N", u), label) for v, u, label, *_ in leaks})
    # The walk reached what it had to: the bodies' case pages, the oversight pages, the exports.
    ok = {(v, u) for v, u, st in walked if st == 200}
    for case in scene.cases:
        assert ("discipline_officer", f"/discipline/complaints/{case.pk}/") in ok
    assert ("xx_leader", scene.cases[0].get_absolute_url()) in ok
    assert ("discipline_officer", "/discipline/complaints/export.xlsx") in ok
    assert any(u.startswith("/cases/export") for u in exported)
    assert any(s.where.startswith("notification complaint.supervision") for s in surfaces)
