"""The engine's public API, end to end on the cast's college."""

from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import AuditEntry
from engine import attachments, calendar, deadlines, notifications, sequences
from engine.models import CalendarDay, Deadline, Notification


def local(*args):
    return timezone.make_aware(datetime(*args))


@pytest.mark.django_db
def test_working_days_skip_weekends_and_holidays_and_count_make_up_days():
    CalendarDay.objects.create(date=date(2026, 10, 1), kind=CalendarDay.Kind.HOLIDAY, name="国庆")
    CalendarDay.objects.create(date=date(2026, 10, 2), kind=CalendarDay.Kind.HOLIDAY, name="国庆")
    CalendarDay.objects.create(date=date(2026, 10, 10), kind=CalendarDay.Kind.WORKDAY, name="调休")
    # Wed 30 Sep + 1 working day: Thu/Fri are holidays, weekend → Mon 5 Oct
    assert calendar.add_working_days(local(2026, 9, 30, 10), 1).date() == date(2026, 10, 5)
    # Fri 9 Oct + 1: Saturday 10 Oct is a make-up working day
    assert calendar.add_working_days(local(2026, 10, 9, 10), 1).date() == date(2026, 10, 10)
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 6
    assert not calendar.is_working_day(date(2026, 10, 1))


def test_deadline_ladder_notifies_each_step_once(cast):
    unit = cast.units.xx
    with freeze_time("2026-11-02 09:00:00+08:00"):  # Monday
        deadline = deadlines.deadline_start(
            obj=unit, kind="case.investigation", owner_unit=unit, working_days=5
        )
    assert timezone.localtime(deadline.due_at).date() == date(2026, 11, 9)
    with freeze_time("2026-11-06 09:00:00+08:00"):  # 2 working days before: remind
        assert deadlines.escalation_sweep() == 1
        assert deadlines.escalation_sweep() == 0
    with freeze_time("2026-11-10 09:00:00+08:00"):  # past due: unit leader
        assert deadlines.escalation_sweep() == 1
    with freeze_time("2026-11-13 09:00:00+08:00"):  # 3 working days later: quality office
        assert deadlines.escalation_sweep() == 1
        assert deadlines.escalation_sweep() == 0
    deadline.refresh_from_db()
    assert deadline.escalation_level == Deadline.Level.COLLEGE and deadline.next_action_at is None
    kinds = list(Notification.objects.order_by("id").values_list("kind", "recipient__username"))
    assert kinds == [
        ("deadline.remind", "xx_leader"),
        ("deadline.leader", "xx_leader"),
        ("deadline.college", "zgb"),
    ]
    assert AuditEntry.objects.filter(action="deadline.escalate").count() == 2


def test_pause_shifts_the_deadline(cast):
    unit = cast.units.jd
    with freeze_time("2026-11-02 09:00:00+08:00"):
        deadlines.deadline_start(obj=unit, kind="case.acceptance", owner_unit=unit, working_days=3)
        deadlines.deadline_pause(
            actor=cast.quality_officer, obj=unit, kind="case.acceptance", reason="等待投诉人"
        )
    with freeze_time("2026-11-04 09:00:00+08:00"):
        resumed = deadlines.deadline_resume(
            actor=cast.quality_officer, obj=unit, kind="case.acceptance"
        )
    assert timezone.localtime(resumed.due_at).date() == date(2026, 11, 9)
    deadlines.deadline_complete(obj=unit, kind="case.acceptance")
    assert not deadlines.open_deadlines_for(unit).exists()


def test_notify_dedups(cast):
    notifications.register_kind("test.hello", label="hi", title="你好 {{ obj }}", body="")
    sent = notifications.notify(
        kind="test.hello",
        recipients=[cast.teacher, cast.student],
        obj=cast.units.rj,
        dedup_key="k1",
    )
    again = notifications.notify(
        kind="test.hello", recipients=[cast.teacher], obj=cast.units.rj, dedup_key="k1"
    )
    assert (sent, again) == (2, 0)
    assert Notification.objects.get(recipient=cast.teacher).title == "你好 软件技术"


@pytest.mark.django_db
def test_sequences_count_per_key():
    assert [sequences.next_value("a"), sequences.next_value("a"), sequences.next_value("b")] == [
        1,
        2,
        1,
    ]


def test_attachment_type_is_judged_by_content(cast):
    fake_pdf = SimpleUploadedFile("report.pdf", b"MZ\x90\x00binary")
    with pytest.raises(ValidationError):
        attachments.validate_upload(fake_pdf)
    disguised = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 hello")
    with pytest.raises(ValidationError):
        attachments.validate_upload(disguised)
    ok = SimpleUploadedFile("../../etc/情况说明 v1.pdf", b"%PDF-1.4 hello")
    attachment = attachments.attach(actor=cast.teacher, obj=cast.units.rj, upload=ok)
    assert attachment.original_name == "情况说明 v1.pdf" and attachment.mime == "application/pdf"
