"""Section providers this feature ships for the annual quality report and level reports."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.models import OrgUnit
from workflows.levels import Level

from . import charts
from .annual import Chart, Section, SectionProvider, Table, register_section
from .conclusions import Conclusion
from .models import ReportStatus, ReviewConclusion, SanctionFlag, SelfDiagnosisReport

ALL_LEVELS = tuple(Level.values)


def _org_units(context):
    counts = OrgUnit.objects.filter(is_active=True).aggregate(
        **{kind: Count("pk", filter=Q(kind=kind)) for kind in OrgUnit.Kind.values}
    )
    departments = OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT, is_active=True).order_by(
        "path"
    )
    below = dict(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.MAJOR, is_active=True)
        .values_list("path")
        .annotate(n=Count("pk"))
        .values_list("path", "n")
    )
    rows = []
    for dept in departments:
        majors = sum(n for path, n in below.items() if path.startswith(dept.path))
        rows.append([dept.name, majors])
    return Section(
        title=_("Organisation"),
        paragraphs=[
            _("%(d)d teaching departments, %(o)d functional offices, %(m)d majors, %(c)d courses.")
            % {
                "d": counts[OrgUnit.Kind.DEPARTMENT],
                "o": counts[OrgUnit.Kind.OFFICE],
                "m": counts[OrgUnit.Kind.MAJOR],
                "c": counts[OrgUnit.Kind.COURSE],
            }
        ],
        tables=[Table(headers=[_("Department"), _("Majors")], rows=rows)],
    )


def _reports_queryset(context):
    qs = SelfDiagnosisReport.objects.filter(period__startswith=str(context.year))
    if context.level:
        qs = qs.filter(level=context.level)
    return qs


def _self_diagnosis(context):
    qs = _reports_queryset(context)
    by_status = dict(qs.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    labels = [str(label) for value, label in ReportStatus.choices]
    values = [by_status.get(value, 0) for value, _label in ReportStatus.choices]
    rows = [
        [r.org_unit.name, r.title, r.get_status_display()]
        for r in qs.select_related("org_unit").order_by("org_unit__path")
    ]
    png = charts.bar_chart(_("Self-diagnosis reports by status"), labels, values)
    return Section(
        title=_("Self-diagnosis"),
        paragraphs=[
            _("%(n)d self-diagnosis reports for %(y)d.") % {"n": len(rows), "y": context.year}
        ],
        tables=[Table(headers=[_("Unit"), _("Report"), _("Status")], rows=rows)],
        charts=[Chart(title=_("Self-diagnosis reports by status"), png=png)] if png else [],
    )


def _conclusions(context):
    qs = ReviewConclusion.objects.filter(round__review_start__year=context.year)
    if context.level:
        qs = qs.filter(report__level=context.level)
    tally = dict(
        qs.values_list("conclusion").annotate(n=Count("pk")).values_list("conclusion", "n")
    )
    rows = [
        [c.org_unit.name, c.round.name, f"{c.matched}/{c.total}", c.get_conclusion_display()]
        for c in qs.select_related("org_unit", "round").order_by("org_unit__path")
    ]
    labels = [str(label) for _value, label in Conclusion.choices]
    values = [tally.get(value, 0) for value, _label in Conclusion.choices]
    png = charts.bar_chart(_("Review conclusions"), labels, values)
    return Section(
        title=_("Review conclusions"),
        paragraphs=[
            "；".join(f"{label} {count}" for label, count in zip(labels, values, strict=True))
        ],
        tables=[Table(headers=[_("Unit"), _("Round"), _("Matching"), _("Conclusion")], rows=rows)],
        charts=[Chart(title=_("Review conclusions"), png=png)] if png else [],
    )


def _sanctions(context):
    qs = SanctionFlag.objects.filter(conclusion__round__review_start__year=context.year)
    rows = [
        [
            f.org_unit.name,
            f.get_reason_display(),
            "、".join(d.get_measure_display() for d in f.decisions.all() if d.approved_at) or "—",
        ]
        for f in qs.select_related("org_unit").prefetch_related("decisions")
    ]
    return Section(
        title=_("Sanctions"),
        paragraphs=[_("%(n)d units flagged for sanctions.") % {"n": len(rows)}],
        tables=[Table(headers=[_("Unit"), _("Reason"), _("Approved measures")], rows=rows)],
    )


def register():
    register_section(SectionProvider("review.org_units", 10, _org_units))
    register_section(SectionProvider("review.self_diagnosis", 60, _self_diagnosis, ALL_LEVELS))
    register_section(SectionProvider("review.conclusions", 70, _conclusions, ALL_LEVELS))
    register_section(SectionProvider("review.sanctions", 80, _sanctions))
