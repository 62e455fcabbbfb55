"""The discipline office opens a quality case from a report through its "open case" page: the
case carries only the redacted text and nothing that leads back to the report or the reporter."""

from django.urls import reverse

from accounts.models import AuditEntry
from cases.confidential.models import Report
from cases.models import Case
from tests.cases.confidential.factories import file_report


def test_open_case_page_files_a_quality_case_from_the_redacted_fields_only(cast, client):
    report, _code = file_report(cast.teacher, anonymous=False, contact="13900001111")
    client.force_login(cast.discipline_officer)
    response = client.post(
        reverse("confidential:office_open_case", args=[report.pk]),
        {
            "title": "专项经费使用问题",
            "description": "经费使用不规范。",
            "org_unit": cast.units.xx.pk,
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.title == "专项经费使用问题" and case.reporter is None
    assert case.subject_unit == cast.units.xx and not case.confidential
    assert Report.objects.get().quality_case_id == str(case.pk)
    # the accepting body handles it and learns nothing of the report or the reporter
    client.force_login(cast.xx_leader)
    page = client.get(case.get_absolute_url()).content.decode()
    for secret in (cast.teacher.full_name, cast.teacher.username, "13900001111", report.number):
        assert secret not in page
    rows = AuditEntry.objects.filter(object_id=str(case.pk), content_type__model="case")
    assert report.number not in str(list(rows.values()))
