"""Time and peak memory of assembling the annual quality report at college scale.

    [DATABASE_URL=postgres://.../zg_x] python bench/annual_report.py

Builds, in a throw-away test database (test_<name>, destroyed afterwards), a college of 50
units (40 departments, 10 offices), 100 majors and 1,000 courses, one self-diagnosis report per
unit, major and course (1,150 reports × 15 rows), a review round with a conclusion and the
consolidated findings for every report, and the sanction flags that follow. Readings, warnings
and cases do not exist on this branch; their providers add sections after the merge.

Prints the time (untraced run) and the peak Python memory (tracemalloc, separate run) of the
assembly alone, with and without charts, and the process's maximum resident set size.
"""

import datetime
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

DEPARTMENTS, OFFICES, MAJORS, COURSES = 40, 10, 100, 1000


def build_college():
    from accounts.models import OrgUnit, User
    from workflows.review import catalogues
    from workflows.review.conclusions import Conclusion, compute_conclusion
    from workflows.review.models import (
        Catalogue,
        ConsolidatedFinding,
        ReportRow,
        ReportStatus,
        ReviewConclusion,
        ReviewRound,
        SanctionFlag,
        SelfDiagnosisReport,
    )

    K = OrgUnit.Kind
    college = OrgUnit.objects.add_root(
        create_kwargs={"code": "c", "name": "示范职业技术学院", "kind": K.COLLEGE}
    )
    units = []
    for i in range(OFFICES):
        units.append(
            OrgUnit.objects.add_child(
                college, create_kwargs={"code": f"o{i}", "name": f"职能部门{i}", "kind": K.OFFICE}
            )
        )
    departments = []
    for d in range(DEPARTMENTS):
        college.refresh_from_db()
        departments.append(
            OrgUnit.objects.add_child(
                college,
                create_kwargs={"code": f"d{d}", "name": f"第{d}系", "kind": K.DEPARTMENT},
            )
        )
    units += departments
    majors = []
    for m in range(MAJORS):
        dept = OrgUnit.objects.get(pk=departments[m % DEPARTMENTS].pk)
        majors.append(
            OrgUnit.objects.add_child(
                dept, create_kwargs={"code": f"m{m}", "name": f"专业{m}", "kind": K.MAJOR}
            )
        )
    courses = []
    for c in range(COURSES):
        major = OrgUnit.objects.get(pk=majors[c % MAJORS].pk)
        courses.append(
            OrgUnit.objects.add_child(
                major, create_kwargs={"code": f"k{c}", "name": f"课程{c}", "kind": K.COURSE}
            )
        )
    author = User.objects.create(username="bench")
    catalogue = catalogues.load_data(
        catalogues.shipped()["beijing-annex1"], status=Catalogue.Status.ACTIVE
    )
    elements = list(catalogue.elements.all())
    year = timezone.localdate().year
    reports = SelfDiagnosisReport.objects.bulk_create(
        SelfDiagnosisReport(
            catalogue=catalogue,
            org_unit=unit,
            period=str(year),
            title=f"{unit.name}自我诊改报告",
            overview="概述" * 100,
            status=ReportStatus.CONCLUDED,
            author=author,
            published_at=timezone.now(),
        )
        for unit in units + majors + courses
    )
    ReportRow.objects.bulk_create(
        ReportRow(
            report=r,
            element=e,
            achievements="成绩" * 60,
            problems="问题原因" * 40,
            measures="措施" * 90,
            effects="成效" * 90,
        )
        for r in reports
        for e in elements
    )
    start = datetime.date(year, 6, 1)
    round_ = ReviewRound.objects.create(
        name=f"{year} 复核",
        catalogue=catalogue,
        review_start=start,
        review_end=start + datetime.timedelta(days=10),
        published_at=timezone.now(),
        created_by=author,
    )
    round_.reports.add(*reports)
    conclusions = []
    for i, r in enumerate(reports):
        matched = 6 + i % 10
        conclusions.append(
            ReviewConclusion(
                round=round_,
                report=r,
                org_unit_id=r.org_unit_id,
                basis=ReviewConclusion.Basis.REVIEW,
                matched=matched,
                total=15,
                measures_strong=i % 3 != 0,
                conclusion=compute_conclusion(
                    matched=matched,
                    total=15,
                    measures_strong=i % 3 != 0,
                    thresholds=catalogue.thresholds,
                ),
                signed_by=author,
            )
        )
    conclusions = ReviewConclusion.objects.bulk_create(conclusions)
    ConsolidatedFinding.objects.bulk_create(
        ConsolidatedFinding(conclusion=c, element=e, matches=j < c.matched, comment="")
        for c in conclusions
        for j, e in enumerate(elements)
    )
    SanctionFlag.objects.bulk_create(
        SanctionFlag(org_unit_id=c.org_unit_id, conclusion=c, reason=SanctionFlag.Reason.ABNORMAL)
        for c in conclusions
        if c.conclusion == Conclusion.ABNORMAL
    )
    return year, len(reports)


def _assemble(year):
    from workflows.review import annual, exports

    sections = annual.assemble(annual.AssemblyContext(year=year))
    return exports.sections_docx(f"{year} 年度质量报告", sections)


def measure(year, with_charts):
    """Time one untraced run (tracemalloc slows every allocation), then trace a second run
    for the peak memory."""
    from workflows.review import charts

    original = charts.bar_chart
    if not with_charts:
        charts.bar_chart = lambda *a, **k: None
    try:
        started = time.perf_counter()
        content = _assemble(year)
        seconds = time.perf_counter() - started
        tracemalloc.start()
        _assemble(year)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        charts.bar_chart = original
    return seconds, peak, len(content)


def main():
    from django.utils.translation import activate

    activate("zh-hans")
    _setup.begin(
        "none: absolute time and memory of one assembly (after an untimed warm-up), with and "
        "without charts"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        year, report_count = build_college()
        setup = time.perf_counter() - started
        engine = connection.vendor
        print(f"annual report assembly on {engine}")
        print(
            f"  college: {DEPARTMENTS + OFFICES} units, {MAJORS} majors, {COURSES} courses; "
            f"{report_count:,} reports × 15 rows, {report_count:,} conclusions "
            f"(setup {setup:.1f} s)"
        )
        for label, with_charts in (("without charts", False), ("with charts", True)):
            measure(year, with_charts)  # warm-up: imports, fonts, query plans
            seconds, peak, size = measure(year, with_charts)
            print(
                f"  {label:15s} time {seconds:6.2f} s   peak traced memory "
                f"{peak / 2**20:6.1f} MiB   .docx {size / 1024:,.0f} KiB"
            )
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  process max RSS {maxrss:,.0f} MiB")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
