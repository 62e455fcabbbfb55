"""The quality office adds reporting periods (year, term, month, week) from the monitoring pages."""

import datetime

from django.urls import reverse

from accounts.models import AuditEntry
from workflows.monitoring.models import Period

URL = reverse("monitoring:period_list")


def test_quality_office_adds_each_kind_of_period(cast, login):
    client = login(cast.quality_officer)
    assert client.get(URL).status_code == 200
    posts = [
        {"kind": "year", "year": 2031},
        {"kind": "term", "year": 2031, "number": 1, "start": "2031-09-01", "end": "2032-01-18"},
        {"kind": "month", "year": 2031, "number": 2},
        {"kind": "week", "year": 2031, "number": 48},
    ]
    for data in posts:
        response = client.post(URL, data)
        assert response.status_code == 302, response.context["form"].errors
    got = {p.code: (p.name, p.start, p.end) for p in Period.objects.filter(code__startswith="2031")}
    assert got == {
        "2031": ("2031学年", datetime.date(2031, 9, 1), datetime.date(2032, 8, 31)),
        "2031-1": ("2031-2032学年第1学期", datetime.date(2031, 9, 1), datetime.date(2032, 1, 18)),
        "2031-02": ("2031年2月", datetime.date(2031, 2, 1), datetime.date(2031, 2, 28)),
        "2031-W48": ("2031年第48周", datetime.date(2031, 11, 24), datetime.date(2031, 11, 30)),
    }
    entries = AuditEntry.objects.filter(action="period.create")
    assert entries.count() == 4 and {e.actor for e in entries} == {cast.quality_officer}


def test_duplicates_overlaps_and_bad_numbers_are_form_errors(cast, login):
    client = login(cast.quality_officer)
    client.post(
        URL, {"kind": "term", "year": 2031, "number": 1, "start": "2031-09-01", "end": "2032-01-18"}
    )
    before = Period.objects.count()
    cases = [
        {"kind": "term", "year": 2031, "number": 1, "start": "2031-09-01", "end": "2032-01-18"},
        {"kind": "term", "year": 2031, "number": 2, "start": "2032-01-10", "end": "2032-07-01"},
        {"kind": "term", "year": 2031, "number": 2, "start": "2032-02-20", "end": "2032-09-10"},
        {"kind": "month", "year": 2031, "number": 13},
        {"kind": "week", "year": 2031, "number": 53},
        {"kind": "term", "year": 2031, "number": 3, "start": "2032-02-20", "end": "2032-07-01"},
    ]
    for data in cases:
        response = client.post(URL, data)
        assert response.status_code == 200, data
        assert response.context["form"].errors, data
    assert Period.objects.count() == before
    assert AuditEntry.objects.filter(action="period.create").count() == 1


def test_only_the_quality_office_adds_periods(cast, login):
    for person in (cast.xx_leader, cast.teacher, cast.chair):
        assert login(person).post(URL, {"kind": "year", "year": 2031}).status_code == 403
    assert not Period.objects.filter(code="2031").exists()
