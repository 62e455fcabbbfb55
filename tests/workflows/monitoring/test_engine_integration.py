"""Warnings on the engine: response deadline, escalation ladder, notifications, evidence files."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time

from engine import deadlines
from engine.models import Deadline, Notification
from workflows.monitoring import engine_bridge, services
from workflows.monitoring.models import Improvement, Warning

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _deadline(warning):
    return deadlines.open_deadlines_for(warning).get(kind=engine_bridge.DEADLINE_KIND)


@freeze_time("2026-10-12 09:00:00+08:00")  # a Monday
def test_a_raised_warning_gets_a_response_deadline_and_notifies_the_unit(cast, mon, approved):
    approved(mon.employment, mon.rj, "70")
    warning = Warning.objects.get()
    deadline = _deadline(warning)
    assert deadline.owner_unit == cast.units.rj
    # 3 working days (the setting) after Monday 12 Oct: the end of Thursday 15 Oct
    local_due = deadline.due_at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    assert local_due.date() == datetime.date(2026, 10, 15)
    recipients = set(
        Notification.objects.filter(kind=engine_bridge.WARNING_RAISED).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"xx_leader", "rj_leader"} <= recipients
    assert "jd_leader" not in recipients


def test_the_indicator_may_set_its_own_response_days(cast, mon, approved):
    mon.employment.response_working_days = 10
    mon.employment.save()
    with freeze_time("2026-10-12 09:00:00+08:00"):
        approved(mon.employment, mon.rj, "70")
    due = _deadline(Warning.objects.get()).due_at
    assert due.astimezone(datetime.timezone(datetime.timedelta(hours=8))).date() == datetime.date(
        2026, 10, 26
    )


def test_acknowledging_completes_the_deadline(cast, mon, approved):
    approved(mon.employment, mon.rj, "70")
    warning = Warning.objects.get()
    services.warning_acknowledge(actor=cast.software_lead, warning=warning)
    assert not deadlines.open_deadlines_for(warning).exists()
    assert Deadline.objects.get().status == Deadline.Status.DONE


def test_a_warning_resolved_by_the_data_cancels_its_deadline(cast, mon, approved):
    approved(mon.employment, mon.rj, "70")
    approved(mon.employment, mon.rj, "96")
    assert Deadline.objects.get().status == Deadline.Status.CANCELLED


def test_an_unanswered_warning_escalates_through_the_engine(
    cast, mon, approved, django_capture_on_commit_callbacks
):
    with freeze_time("2026-10-12 09:00:00+08:00"):
        approved(mon.employment, mon.rj, "70")
    warning = Warning.objects.get()
    with freeze_time("2026-10-16 09:00:00+08:00"), django_capture_on_commit_callbacks(execute=True):
        deadlines.escalation_sweep()
    warning.refresh_from_db()
    assert warning.escalation_level == Deadline.Level.LEADER
    with freeze_time("2026-10-22 09:00:00+08:00"), django_capture_on_commit_callbacks(execute=True):
        deadlines.escalation_sweep()
    warning.refresh_from_db()
    assert warning.escalation_level == Deadline.Level.COLLEGE
    # acknowledged in time: no escalation
    approved(mon.employment, mon.wl, "70")
    other = Warning.objects.get(subject=mon.wl)
    services.warning_acknowledge(actor=cast.xx_leader, warning=other)
    with freeze_time("2027-01-10"), django_capture_on_commit_callbacks(execute=True):
        deadlines.escalation_sweep()
    other.refresh_from_db()
    assert other.escalation_level == 0


def test_evidence_files_are_validated_and_served_to_who_may_see(cast, mon, approved, login):
    approved(mon.employment, mon.rj, "70")
    warning = Warning.objects.get()
    item = services.improvement_open(
        actor=cast.software_lead,
        warning=warning,
        subject=mon.rj,
        period=mon.y2026,
        title="t",
        cause_analysis="c",
        measures="m",
        owner=cast.software_lead,
        deadline="2030-01-01",
    )
    client = login(cast.software_lead)
    bad = SimpleUploadedFile("evil.pdf", b"MZ\x90\x00not a pdf")
    client.post(
        f"/monitoring/improvements/{item.pk}/submit/", {"evidence": "协议", "evidence_file": bad}
    )
    item.refresh_from_db()
    assert item.status == "open"
    good = SimpleUploadedFile("协议.pdf", PDF)
    client.post(
        f"/monitoring/improvements/{item.pk}/submit/", {"evidence": "协议", "evidence_file": good}
    )
    item.refresh_from_db()
    assert item.status == "submitted"
    attachment = engine_bridge.files_of(item).get()
    page = client.get(f"/monitoring/improvements/{item.pk}/").content.decode()
    assert f"/files/{attachment.pk}/" in page
    assert client.get(f"/files/{attachment.pk}/").status_code == 200
    assert login(cast.jd_leader).get(f"/files/{attachment.pk}/").status_code == 404
    assert Improvement.objects.count() == 1
