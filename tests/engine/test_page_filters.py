"""Every list page refuses a filter value it cannot take: 400 with a Chinese message naming the
filter, never a 500 and never a silently unfiltered list. The API's lists the same, in JSON."""

import pytest
from django.urls import reverse

from engine.filters import PAGE_FILTERS

pytestmark = pytest.mark.django_db

# (who, URL name, {filter: a value it cannot take}, the filter form the page reads)
PAGES = [
    ("quality_officer", "cases:list", {"status": "nonsense"}, "CaseFilterForm"),
    ("quality_officer", "cases:list", {"unit": "abc"}, "CaseFilterForm"),
    ("quality_officer", "cases:list", {"date_from": "2026-13-45"}, "CaseFilterForm"),
    ("quality_officer", "cases:list", {"overdue": "maybe"}, "CaseFilterForm"),
    ("quality_officer", "cases:export", {"kind": "x"}, "CaseFilterForm"),
    ("discipline_officer", "complaints:oversight", {"status": "x"}, "OversightFilter"),
    ("discipline_officer", "complaints:oversight", {"unit": "abc"}, "OversightFilter"),
    ("discipline_officer", "complaints:oversight_export", {"overdue": "2"}, "OversightFilter"),
    ("discipline_officer", "confidential:office_list", {"status": "x"}, "OfficeFilter"),
    ("discipline_officer", "confidential:office_list", {"spam": "yesplease"}, "OfficeFilter"),
    ("discipline_officer", "confidential:office_export", {"status": "x"}, "OfficeFilter"),
    ("quality_officer", "monitoring:warning_list", {"status": "closed?"}, "WarningFilter"),
    ("quality_officer", "monitoring:warning_list", {"unit": "abc"}, "WarningFilter"),
    ("quality_officer", "monitoring:improvement_list", {"unit": "-1"}, "UnitFilter"),
    ("quality_officer", "monitoring:period_list", {"kind": "decade"}, "PeriodFilter"),
    ("quality_officer", "engine:import_runs", {"kind": "nothing"}, "ImportRunFilter"),
    ("quality_officer", "plans:task_list", {"state": "x"}, "TaskFilter"),
    ("quality_officer", "plans:task_list", {"plan": "abc"}, "TaskFilter"),
    ("quality_officer", "plans:task_list", {"overdue": "sure"}, "TaskFilter"),
    ("quality_officer", "review:report_list", {"waiting": "x"}, "ReportFilter"),
    ("sysadmin", "accounts:user_list", {"q": "x" * 101}, "UserFilter"),
    ("quality_officer", "engine:inbox", {"process": "nonsense"}, "InboxFilter"),
    ("quality_officer", "engine:inbox", {"unit": "abc"}, "InboxFilter"),
    ("quality_officer", "engine:inbox", {"per": "7"}, "InboxFilter"),
    ("quality_officer", "monitoring:cycle_list", {"level": "galaxy"}, "CycleListFilter"),
    ("sysadmin", "accounts:audit_list", {"action": "x" * 101}, "AuditFilter"),
]
# (who, URL, {filter: bad value}, the filter form the API reads)
API = [
    ("teacher", "/api/v1/notifications/", {"unread": "perhaps"}, "NotificationFilter"),
    ("discipline_officer", "/api/v1/reports/", {"status": "x"}, "OfficeFilter"),
    ("discipline_officer", "/api/v1/complaints/oversight/", {"status": "x"}, "OversightFilter"),
    ("quality_officer", "/api/v1/cases/", {"overdue": "x"}, "CaseFilterForm"),
    ("quality_officer", "/api/v1/monitoring/warnings/", {"status": "x"}, "WarningApiFilter"),
    ("quality_officer", "/api/v1/monitoring/cycles/", {"stage": "x"}, "CycleFilter"),
]


# filter forms whose page needs more than its URL name: walked by the named test
ELSEWHERE = {
    "OverviewDrillFilter": "tests/workflows/monitoring/test_stage_moves.py::"
    "test_overview_drill_refuses_a_bad_filter_value",
}


def test_every_page_filter_is_walked_here():
    walked = {row[3] for row in PAGES} | {row[3] for row in API} | set(ELSEWHERE)
    assert {form.__name__ for form in PAGE_FILTERS} <= walked


@pytest.mark.parametrize(("who", "name", "bad", "form"), PAGES)
def test_a_list_page_refuses_a_bad_filter_value_with_a_chinese_400(
    cast, login, who, name, bad, form
):
    client = login(getattr(cast, who))
    url = reverse(name)
    assert client.get(url).status_code == 200  # the page itself is theirs
    response = client.get(url, bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "筛选条件" in page, page[:2000]
    field = next(f for f in PAGE_FILTERS if f.__name__ == form).base_fields.get(next(iter(bad)))
    assert str(field.label) in page


@pytest.mark.parametrize(("who", "url", "bad", "form"), API)
def test_an_api_list_refuses_a_bad_filter_value_with_a_json_400(cast, login, who, url, bad, form):
    client = login(getattr(cast, who))
    assert client.get(url).status_code == 200
    response = client.get(url, bad)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and next(iter(bad)) in body["errors"]


def test_good_filter_values_still_filter(cast, login):
    client = login(cast.quality_officer)
    assert (
        client.get(reverse("plans:task_list"), {"state": "open", "overdue": "1"}).status_code == 200
    )
    assert client.get(reverse("monitoring:warning_list"), {"status": "all"}).status_code == 200
    assert client.get(reverse("cases:list"), {"overdue": "on", "status": ""}).status_code == 200
