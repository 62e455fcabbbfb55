"""Working days: holidays, 调休, term ends, business hours, pause/resume, import, bad input."""

import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from openpyxl import Workbook

from accounts.models import AuditEntry
from engine import calendar, deadlines
from engine.models import CalendarDay, EscalationRule, ImportRun, Term


def local(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def national_day(db):
    """2026 autumn term with the National Day week off and two make-up Saturdays/Sundays."""
    term = Term.objects.create(name="2026秋", start=date(2026, 9, 1), end=date(2027, 1, 15))
    for day in range(1, 8):
        CalendarDay.objects.create(
            date=date(2026, 10, day), kind=CalendarDay.Kind.HOLIDAY, name="国庆节", term=term
        )
    for d in (date(2026, 9, 27), date(2026, 10, 10)):  # Sunday and Saturday worked
        CalendarDay.objects.create(date=d, kind=CalendarDay.Kind.WORKDAY, name="调休", term=term)
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    Term.objects.create(name="2027春", start=date(2027, 2, 22), end=date(2027, 7, 9))
    return term


def test_spans_skip_the_holiday_week_and_count_make_up_days(national_day):
    # Fri 25 Sep + 1 → Sun 27 Sep is a make-up working day
    assert calendar.add_working_days(local(2026, 9, 25, 9), 1).date() == date(2026, 9, 27)
    # Wed 30 Sep + 1 → 1–7 Oct off, Thu 8 Oct
    assert calendar.add_working_days(local(2026, 9, 30, 9), 1).date() == date(2026, 10, 8)
    # Thu 8 Oct + 2 → Fri 9, Sat 10 (make-up)
    assert calendar.add_working_days(local(2026, 10, 8, 9), 2).date() == date(2026, 10, 10)
    # n = 0 on a holiday → end of the next working day, 23:59:59 Beijing time
    due = calendar.add_working_days(local(2026, 10, 3, 9), 0)
    assert timezone.localtime(due).date() == date(2026, 10, 8)
    assert timezone.localtime(due).time().hour == 23
    assert calendar.working_days_between(date(2026, 9, 25), date(2026, 10, 10)) == 7
    assert calendar.is_working_day(date(2026, 9, 27)) and not calendar.is_working_day(
        date(2026, 10, 5)
    )
    with pytest.raises(ValueError):
        calendar.add_working_days(local(2026, 9, 30, 9), -1)
    # counting backwards (reminders "2 working days before")
    assert calendar.subtract_working_days(date(2026, 10, 8), 1) == date(2026, 9, 30)
    assert calendar.subtract_working_days(date(2026, 10, 12), 2) == date(2026, 10, 9)
    assert calendar.subtract_working_days(date(2026, 9, 28), 1) == date(2026, 9, 27)


def test_term_ends_and_spans_across_them(national_day):
    assert calendar.end_of_term(date(2026, 11, 3)).date() == date(2027, 1, 15)
    with pytest.raises(ValueError):
        calendar.end_of_term(date(2027, 2, 1))  # winter break: no term
    # Thu 31 Dec + 3 across New Year's Day and the term's last days: Mon 4, Tue 5, Wed 6 Jan
    assert calendar.add_working_days(local(2026, 12, 31, 9), 3).date() == date(2027, 1, 6)
    # across the end of the term into the break
    assert calendar.add_working_days(local(2027, 1, 14, 9), 2).date() == date(2027, 1, 18)


def test_working_days_left_counts_down_and_goes_negative(national_day):
    due = local(2026, 10, 9, 23, 59)
    assert calendar.working_days_left(due, now=local(2026, 9, 30, 10)) == 2
    assert calendar.working_days_left(due, now=local(2026, 10, 9, 8)) == 0
    assert calendar.working_days_left(due, now=local(2026, 10, 12, 8)) == -2  # Sat 10 worked


def test_business_hours_move_an_after_hours_start_to_the_next_working_day(national_day, settings):
    settings.ENGINE_BUSINESS_HOURS = "08:00-17:30"
    assert calendar.add_working_days(local(2026, 11, 2, 10), 1).date() == date(2026, 11, 3)
    assert calendar.add_working_days(local(2026, 11, 2, 18), 1).date() == date(2026, 11, 4)
    assert calendar.add_working_days(local(2026, 11, 6, 18), 0).date() == date(2026, 11, 9)
    assert calendar.add_working_days(local(2026, 9, 30, 19), 1).date() == date(2026, 10, 9)
    settings.ENGINE_BUSINESS_HOURS = ""
    assert calendar.add_working_days(local(2026, 11, 2, 18), 1).date() == date(2026, 11, 3)


def test_pause_over_the_holiday_week_shifts_by_the_working_days_paused(national_day, cast):
    unit = cast.units.xx
    with freeze_time("2026-09-28 09:00:00+08:00"):  # Monday
        deadline = deadlines.deadline_start(
            obj=unit, kind="case.acceptance", owner_unit=unit, working_days=5
        )
    # 29, 30 Sep, 8, 9, 10 Oct (the make-up Saturday)
    assert timezone.localtime(deadline.due_at).date() == date(2026, 10, 10)
    with freeze_time("2026-09-29 09:00:00+08:00"):
        deadlines.deadline_pause(
            actor=cast.quality_officer,
            obj=unit,
            kind="case.acceptance",
            reason="等待投诉人补充材料",
        )
    deadline.refresh_from_db()
    assert deadline.status == "paused" and deadline.next_action_at is None
    with freeze_time("2026-10-09 09:00:00+08:00"):  # paused Tue 29 Sep – Fri 9 Oct: 3 working days
        resumed = deadlines.deadline_resume(
            actor=cast.quality_officer, obj=unit, kind="case.acceptance"
        )
    assert timezone.localtime(resumed.due_at).date() == date(2026, 10, 14)  # Sat + 12, 13, 14
    assert resumed.status == "open" and resumed.next_action_at is not None
    actions = list(
        AuditEntry.objects.filter(object_id=str(unit.pk)).values_list("action", flat=True)
    )
    assert set(actions) >= {"deadline.pause", "deadline.resume"}


def workbook(rows) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(["类型", "名称", "开始", "结束", "学期", "教学周"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(
        "calendar.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


GOOD = [
    ["学期", "2026-2027学年第一学期", date(2026, 9, 1), date(2027, 1, 17), None, 18],
    ["节假日", "国庆节", date(2026, 10, 1), date(2026, 10, 7), "2026-2027学年第一学期", None],
    ["调休", "国庆调休", "2026-10-10", None, None, None],
]


def test_the_calendar_page_imports_a_term_with_holidays_and_make_up_days(cast, login):
    client = login(cast.quality_officer)
    assert client.get(reverse("engine:calendar_import")).status_code == 200
    response = client.post(reverse("engine:calendar_import"), {"file": workbook(GOOD)})
    assert response.status_code == 200
    term = Term.objects.get(name="2026-2027学年第一学期")
    assert term.end == date(2027, 1, 17)
    assert CalendarDay.objects.filter(kind="holiday", term=term).count() == 7
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).term == term  # inferred
    assert AuditEntry.objects.filter(action="calendar.import", actor=cast.quality_officer).exists()
    run = ImportRun.objects.get(kind="calendar")
    assert (run.status, run.created, run.result) == ("done", 9, {"terms": 1, "days": 8})
    # importing again updates instead of duplicating
    client.post(reverse("engine:calendar_import"), {"file": workbook(GOOD)})
    assert CalendarDay.objects.count() == 8 and Term.objects.count() == 1


def test_bad_rows_are_reported_by_number_and_nothing_is_imported(cast, login):
    rows = [
        *GOOD,
        ["节假日", "元旦", date(2027, 1, 1), None, "2026-2027学年第二学期", None],  # no such term
        ["节假日", "寒假外", date(2027, 3, 1), None, "2026-2027学年第一学期", None],  # outside
        ["放假", "?", date(2026, 11, 1), None, None, None],  # unknown type
        ["学期", "反了", date(2027, 7, 1), date(2027, 2, 1), None, None],  # ends before start
        ["调休", "坏日期", "2026-13-45", None, None, None],
        ["节假日", "太长", date(2026, 12, 1), date(2027, 6, 1), None, None],
    ]
    response = login(cast.quality_officer).post(
        reverse("engine:calendar_import"), {"file": workbook(rows)}
    )
    page = response.content.decode()
    for number in (5, 6, 7, 8, 9, 10):
        assert f"<td>{number}</td>" in page
    assert not Term.objects.exists() and not CalendarDay.objects.exists()
    run = ImportRun.objects.get(kind="calendar")
    assert run.status == "failed" and run.created == 0
    assert [e["row"] for e in run.errors] == [5, 6, 7, 8, 9, 10]
    entry = AuditEntry.objects.get(action="calendar.import")
    assert entry.after["status"] == "failed" and entry.after["bad_rows"] == [5, 6, 7, 8, 9, 10]


def test_a_file_that_is_not_a_workbook_is_a_form_error(cast, login):
    upload = SimpleUploadedFile("calendar.xlsx", b"not a zip")
    response = login(cast.quality_officer).post(reverse("engine:calendar_import"), {"file": upload})
    assert response.status_code == 200 and "xlsx" in response.content.decode()


def test_only_calendar_managers_may_import(cast, login):
    client = login(cast.teacher)
    assert client.get(reverse("engine:calendar_import")).status_code == 403
    assert (
        client.post(reverse("engine:calendar_import"), {"file": workbook(GOOD)}).status_code == 403
    )
    assert not Term.objects.exists()


def test_the_import_command(cast, tmp_path, capsys):
    path = tmp_path / "calendar.xlsx"
    path.write_bytes(workbook(GOOD).read())
    call_command("import_calendar", str(path), user=cast.sysadmin.username)
    assert "imported 1 terms and 8 calendar days" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([["节假日", "x", "someday", None, None, None]]).read())
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_calendar", str(bad), user=cast.sysadmin.username)
    with pytest.raises(CommandError, match="may not manage"):
        call_command("import_calendar", str(path), user=cast.teacher.username)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_large_calendar_is_imported_as_a_job_with_a_progress_page(
    cast, login, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 2
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("engine:calendar_import"), {"file": workbook(GOOD)})
    run = ImportRun.objects.get(kind="calendar")
    assert response.url == reverse("engine:import_run", args=[run.pk])
    run.refresh_from_db()
    assert (run.status, run.total, run.result) == ("done", 3, {"terms": 1, "days": 8})
    assert CalendarDay.objects.count() == 8
    assert AuditEntry.objects.get(action="calendar.import").after["status"] == "done"
    assert "已完成" in client.get(response.url).content.decode()


def test_a_calendar_job_failing_part_way_writes_nothing_and_runs_again(
    cast, login, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 2
    written = []
    original = CalendarDay.objects.update_or_create

    def fails_on_the_fifth_day(**kwargs):
        written.append(kwargs["date"])
        if len(written) == 5:
            raise RuntimeError("the database went away")
        return original(**kwargs)

    monkeypatch.setattr(CalendarDay.objects, "update_or_create", fails_on_the_fifth_day)
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("engine:calendar_import"), {"file": workbook(GOOD)})
    run = ImportRun.objects.get(kind="calendar")
    assert run.status == "failed" and "RuntimeError" in run.message
    assert not Term.objects.exists() and not CalendarDay.objects.exists()  # the term too
    assert AuditEntry.objects.get(action="calendar.import").after["status"] == "failed"

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("engine:import_retry", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.created) == ("done", 9)
    assert CalendarDay.objects.count() == 8 and Term.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):  # the same file again: no change
        client.post(reverse("engine:calendar_import"), {"file": workbook(GOOD)})
    assert CalendarDay.objects.count() == 8 and Term.objects.count() == 1
    assert ImportRun.objects.filter(kind="calendar", status="done").count() == 2


def test_bad_rows_in_a_calendar_job_are_on_its_page(
    cast, login, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 2
    rows = [*GOOD, ["放假", "?", date(2026, 11, 1), None, None, None]]
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("engine:calendar_import"), {"file": workbook(rows)})
    run = ImportRun.objects.get(kind="calendar")
    assert run.status == "failed" and [e["row"] for e in run.errors] == [5]
    assert not CalendarDay.objects.exists()
    assert "<td>5</td>" in client.get(response.url).content.decode()


def rule_form(**values):
    data = {
        "kind": "test.rule",
        "label": "测试",
        "remind_before": 2,
        "leader_after": 0,
        "college_after": 3,
        "college_target": "quality_officer",
        "is_active": "on",
    }
    data.update(values)
    return data


@pytest.mark.parametrize(
    "values",
    [
        {"remind_before": -1},
        {"leader_after": -3},
        {"remind_before": 999},
        {"college_after": 10000},
        {"leader_after": 5, "college_after": 2},
    ],
)
def test_a_rule_with_a_negative_or_absurd_offset_is_refused(cast, login, values):
    response = login(cast.sysadmin).post("/admin/engine/escalationrule/add/", rule_form(**values))
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert not EscalationRule.objects.filter(kind="test.rule").exists()


def test_a_sane_rule_is_saved(cast, login):
    response = login(cast.sysadmin).post("/admin/engine/escalationrule/add/", rule_form())
    assert response.status_code == 302
    assert EscalationRule.objects.filter(kind="test.rule").exists()


def test_a_holiday_outside_its_term_is_refused_in_admin(national_day, cast, login):
    data = {"date": "2027-03-01", "kind": "holiday", "name": "x", "term": national_day.pk}
    response = login(cast.sysadmin).post("/admin/engine/calendarday/add/", data)
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert not CalendarDay.objects.filter(date=date(2027, 3, 1)).exists()
