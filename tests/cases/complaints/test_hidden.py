"""“Hide my identity from the unit concerned”: decided in cases.access.reporter_display and in
what is recorded, so no page, list, export, API answer, audit row or history names the
complainant to anyone but themselves."""

import io

from django.urls import reverse
from django_fsm_log.models import StateLog
from openpyxl import load_workbook

from accounts.models import AuditEntry
from cases.access import reporter_display
from cases.models import Status as S
from config.celery import app as celery_app
from engine.models import Attachment, Delivery, Notification
from tests.cases.confidential.factories import GPS_CAMERA, jpeg_with_gps
from tests.cases.factories import advance, file_case


def test_hidden_complainant_is_named_nowhere(cast, client):
    case = file_case(cast.teacher, cast.units.rj, reporter_hidden=True, uploads=[jpeg_with_gps()])
    name, username = cast.teacher.full_name, cast.teacher.username
    entry = AuditEntry.objects.get(action="case.file", object_id=str(case.pk))
    assert entry.actor is None and entry.ip is None
    file = Attachment.objects.get()
    assert file.uploaded_by is None and "qianduoduo" not in file.original_name
    assert GPS_CAMERA.encode() not in file.file.read()
    case = advance(cast, case, S.FEEDBACK)
    client.force_login(cast.teacher)
    client.post(reverse("cases:action", args=[case.pk, "rate"]), {"satisfaction": "3"})
    rate = AuditEntry.objects.get(action="case.rate", object_id=str(case.pk))
    assert rate.actor is None and rate.ip is None
    assert not StateLog.objects.for_(case).filter(by=cast.teacher).exists()
    assert reporter_display(cast.teacher, case) == str(cast.teacher)
    for viewer in ("xx_leader", "software_lead", "quality_officer", "discipline_officer"):
        user = getattr(cast, viewer)
        assert reporter_display(user, case) != str(cast.teacher), viewer
        client.force_login(user)
        for url in (
            case.get_absolute_url(),
            f"/api/v1/cases/{case.pk}/",
            reverse("cases:export"),
            reverse("cases:notice_docx", args=[case.notices.get().pk]),
            reverse("complaints:oversight_export"),
            reverse("complaints:oversight"),
        ):
            response = client.get(url)
            if response.status_code != 200:
                continue
            text = response.content.decode("utf-8", "replace")
            if url.endswith(".xlsx"):
                text = str(list(load_workbook(io.BytesIO(response.content)).active.values))
            assert name not in text and username not in text, (viewer, url)
    client.force_login(cast.sysadmin)
    admin_page = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert admin_page.status_code == 200 and name not in admin_page.content.decode()


def test_hidden_complainant_is_told_of_the_outcome_and_nobody_sees_that_they_were(
    cast, client, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # deliver in this process
    unit = cast.units.rj
    unit.webhook_url = "https://robot.example.com/hook"
    unit.save()
    with django_capture_on_commit_callbacks(execute=True):
        case = file_case(cast.teacher, unit, reporter_hidden=True)
        case = advance(cast, case, S.FEEDBACK)
    kinds = set(Notification.objects.filter(recipient=cast.teacher).values_list("kind", flat=True))
    assert {"case.accepted", "case.feedback"} <= kinds
    mails = [m for m in mailoutbox if cast.teacher.email in m.to]
    assert len(mails) == 2 and all(case.number in m.subject for m in mails)
    # through the normal channels, yet never to a unit's chat robot (read by the whole unit)
    told = Delivery.objects.filter(notification__recipient=cast.teacher)
    assert set(told.values_list("channel", flat=True)) == {Delivery.Channel.EMAIL}
    client.force_login(cast.teacher)
    bell = client.get(reverse("engine:notification_list")).content.decode()
    assert case.number in bell
    assert case.number in str(client.get(reverse("api:notification-list")).json())

    client.force_login(cast.sysadmin)
    listing = client.get(reverse("admin:engine_delivery_changelist")).content.decode()
    assert cast.teacher.email not in listing
    for delivery in told:
        page = client.get(reverse("admin:engine_delivery_change", args=[delivery.pk]), follow=True)
        assert cast.teacher.email not in page.content.decode()
        assert delivery.notification.title not in page.content.decode()
    # deleting the person would list their messages: the admin names none and refuses
    delete = client.get(reverse("admin:accounts_user_delete", args=[cast.teacher.pk]))
    assert case.number not in delete.content.decode()
    assert delete.context["perms_lacking"]
    # others' messages of ordinary kinds stay visible to the administrator
    assert Delivery.objects.exclude(notification__recipient=cast.teacher).exists()
    assert "@" in listing
