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
from engine.models import Attachment, Notification
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
    assert not Notification.objects.filter(recipient=cast.teacher).exists()
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
