"""Week periods (ISO weeks): attendance per student per week, through imports, the API, the
data-entry form, evaluation, charts and the sweep."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve
from freezegun import freeze_time

from engine.models import ImportRun
from workflows.monitoring import periods, tasks
from workflows.monitoring.models import Period, PeriodKind, Reading, Warning

from .factories import PeriodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly(mon):
    mon.attendance.period_kind = PeriodKind.WEEK
    mon.attendance.save()
    return mon.attendance


@pytest.mark.parametrize(
    ("label", "week"),
    [
        ("2026-W48", (2026, 48)),
        ("2026W48", (2026, 48)),
        ("2026-w05", (2026, 5)),
        ("2026年第48周", (2026, 48)),
        ("2026-W53", (2026, 53)),  # 2026 has 53 ISO weeks
        ("2025-W53", None),  # 2025 has 52
        ("2026-W00", None),
        ("第48周", None),  # which year?
        ("2026", None),
    ],
)
def test_week_labels(label, week):
    assert periods.parse_week(label) == week


def test_a_week_period_runs_monday_to_sunday(db):
    week = periods.week_period(2026, 48)
    assert (week.code, week.name, week.kind) == ("2026-W48", "2026年第48周", PeriodKind.WEEK)
    assert week.start == datetime.date(2026, 11, 23) and week.start.weekday() == 0
    assert week.end == datetime.date(2026, 11, 29)
    assert periods.week_period(2026, 48) == week
    bad = Period(code="2026-W48x", name="x", kind=PeriodKind.WEEK, start=week.start, end=week.end)
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert "code" in exc.value.message_dict
    tuesday = Period(
        code="2026-W49",
        name="x",
        kind=PeriodKind.WEEK,
        start=datetime.date(2026, 12, 1),
        end=datetime.date(2026, 12, 7),
    )
    with pytest.raises(ValidationError):
        tuesday.full_clean()


def _csv(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["指标代码", "对象", "期间", "数值"])
    writer.writerows(rows)
    return SimpleUploadedFile("attendance.csv", out.getvalue().encode("utf-8-sig"), "text/csv")


@freeze_time("2026-12-02 09:00:00")
def test_weekly_attendance_imported_approved_and_warned(
    cast, mon, weekly, login, django_capture_on_commit_callbacks
):
    client = login(cast.xx_member)
    rows = [
        ["P01", "student", "2026-W47", "99"],
        ["P01", "student", "2026年第48周", "85"],  # red: below 90
        ["P01", "student", "2026", "97"],  # a yearly period for a weekly indicator
        ["M03", "rj", "2026-W48", "88"],  # a week for a yearly indicator: unknown period
    ]
    response = client.post("/monitoring/readings/import/", {"file": _csv(rows)})
    report = ImportRun.objects.get(pk=resolve(response["Location"]).kwargs["pk"])
    assert [e["row"] for e in report.errors] == [4, 5]
    messages = {e["row"]: e["message"] for e in report.errors}
    assert "周" in messages[4] or "week" in messages[4].lower()
    assert not Period.objects.filter(kind=PeriodKind.WEEK).exists()  # nothing half-saved
    response = client.post(
        "/monitoring/readings/import/", {"file": _csv(rows[:2]), "keep_good_rows": "on"}
    )
    report = ImportRun.objects.get(pk=resolve(response["Location"]).kwargs["pk"])
    assert report.status == "done" and report.created == 2
    w48 = Period.objects.get(code="2026-W48")
    assert w48.name == "2026年第48周" and w48.is_open
    with django_capture_on_commit_callbacks(execute=True):
        login(cast.xx_leader).post(f"/monitoring/batches/{report.result['source']}/approve/")
    warning = Warning.objects.get()
    assert (warning.period, warning.level, warning.subject) == (w48, "red", mon.student)
    # The trend runs week by week; the dashboard's heat map counts the week's warning.
    trend = client.get(f"/monitoring/subjects/{mon.student.pk}/trend/{weekly.pk}/").json()
    assert trend["periods"] == ["2026年第47周", "2026年第48周"]
    assert trend["values"] == [99.0, 85.0]
    dashboard = login(cast.xx_leader).get("/monitoring/")
    assert dashboard.context["heatmap"]["indicators"] == ["学生出勤率"]


@freeze_time("2026-12-02 09:00:00")
def test_weekly_readings_through_the_api(cast, mon, weekly, login):
    payload = {
        "source": "kaoqin",
        "readings": [
            {
                "indicator": "P01",
                "subject": "student",
                "period": "2026-W48",
                "value": "96",
                "source_id": "w48",
            },
            {
                "indicator": "P01",
                "subject": "student",
                "period": "2026-W99",
                "value": "96",
                "source_id": "w99",
            },
        ],
    }
    client = login(cast.xx_member)
    response = client.post("/api/v1/monitoring/readings/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["results"][1]["errors"]["period"]
    payload["keep_good_rows"] = True
    response = client.post("/api/v1/monitoring/readings/", payload, content_type="application/json")
    assert response.status_code == 200 and response.json()["created"] == 1
    assert Reading.objects.get().period.code == "2026-W48"


@freeze_time("2026-12-02 09:00:00")
def test_the_data_entry_form_takes_a_week(cast, mon, weekly, login):
    client = login(cast.xx_member)
    page = client.get("/monitoring/readings/new/").content.decode()
    assert 'type="week"' in page
    form = {"indicator": weekly.pk, "subject": "student", "week": "2026-W49", "value": "97"}
    response = client.post("/monitoring/readings/new/", form)
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert reading.period.code == "2026-W49" and reading.period.kind == PeriodKind.WEEK
    response = client.post("/monitoring/readings/new/", {**form, "week": "2026-W60"})
    assert response.status_code == 200 and "2026-W60" in response.content.decode()
    response = client.post("/monitoring/readings/new/", {**form, "week": ""})
    assert response.status_code == 200 and response.context["form"].errors["period"]
    # a yearly indicator given a week: the service's clear message, and no week is left behind
    response = client.post(
        "/monitoring/readings/new/",
        {**form, "indicator": mon.employment.pk, "subject": "rj", "week": "2026-W50"},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert not Period.objects.filter(code="2026-W50").exists()
    assert Reading.objects.count() == 1


def test_past_weeks_close_and_are_not_opened_as_cycles(cast, mon, login):
    with freeze_time("2026-12-02"):
        old, current = periods.week_period(2026, 47), periods.week_period(2026, 49)
        assert old.is_open and current.is_open
    with freeze_time("2026-12-02"):
        assert periods.week_period(2026, 40).is_open is False  # ended long ago
    with freeze_time("2026-12-20"):
        tasks.evaluate_open_periods()
    old.refresh_from_db()
    current.refresh_from_db()
    assert not old.is_open and current.is_open
    client = login(cast.quality_officer)
    assert client.post(f"/monitoring/periods/{current.pk}/open/").status_code == 404
    assert "2026年第49周" not in client.get("/monitoring/").content.decode()


def test_a_year_and_its_weeks_feed_one_radar(cast, mon, weekly, approved):
    from workflows.monitoring import selectors

    yearly = mon.attendance.__class__.objects.create(
        code="P09",
        name="综合素质",
        level="student",
        direction="higher",
        period_kind=PeriodKind.YEAR,
        min_value=0,
        max_value=100,
        yellow_threshold=60,
        red_threshold=50,
        data_owner_unit=cast.units.xx,
    )
    with freeze_time("2026-12-02"):
        approved(weekly, mon.student, "92", period=periods.week_period(2026, 48))
        approved(weekly, mon.student, "97", period=periods.week_period(2026, 49))
    approved(yearly, mon.student, "80", period=PeriodFactory())
    radar = selectors.radar(mon.student, Period.objects.filter(is_open=True))
    values = dict(zip([a["name"] for a in radar["axes"]], radar["values"], strict=True))
    assert values == {"学生出勤率": 97.0, "综合素质": 80.0}
