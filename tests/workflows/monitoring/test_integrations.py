"""A warning of an indicator configured to open cases opens one quality case, once."""

from cases.models import Case
from workflows.monitoring import evaluation
from workflows.monitoring.models import Warning


def test_warning_opens_a_case_of_the_responsible_unit_once(cast, mon, approved):
    mon.complaints.opens_case = True
    mon.complaints.save()
    approved(mon.complaints, mon.college, "9")
    warning = Warning.objects.get(indicator=mon.complaints)
    case = Case.objects.get(kind=Case.Kind.WARNING)
    assert mon.complaints.name in case.title
    assert case.reporter is None
    evaluation.evaluate(mon.y2026, [mon.complaints])  # re-running raises nothing new
    from cases.integrations import open_case_for_warning

    assert open_case_for_warning(warning) == case
    assert Case.objects.filter(kind=Case.Kind.WARNING).count() == 1


def test_indicators_that_do_not_open_cases_open_none(cast, mon, approved):
    approved(mon.employment, mon.rj, "70")
    assert Warning.objects.filter(indicator=mon.employment).exists()
    assert not Case.objects.filter(kind=Case.Kind.WARNING).exists()


def test_annual_report_sections_show_warnings_and_cases_with_charts(cast, mon, approved):
    from cases.integrations import annual_cases_section
    from workflows.monitoring.integrations import annual_monitoring_section
    from workflows.review.annual import AssemblyContext

    mon.complaints.opens_case = True
    mon.complaints.save()
    approved(mon.complaints, mon.college, "9")
    year = Warning.objects.get().raised_at.year
    monitoring = annual_monitoring_section(AssemblyContext(year=year))
    readings, warnings_table = monitoring.tables[0], monitoring.tables[1]
    assert readings.rows[0][0] == mon.complaints.name and readings.rows[0][3] == "9"
    assert warnings_table.rows[0][0] == mon.complaints.name
    assert monitoring.charts and monitoring.charts[0].png.startswith(b"\x89PNG")
    cases = annual_cases_section(AssemblyContext(year=year))
    assert "1" in cases.paragraphs[0]
    assert cases.charts and cases.charts[0].png.startswith(b"\x89PNG")
