"""Where quality cases meet the other features: monitoring warnings open cases, self-diagnosis
reports cite cases as evidence, and the annual report counts them."""

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .access import visible_cases
from .models import Case


def open_case_for_warning(warning) -> Case:
    """Monitoring hook: a warning of an indicator configured to open cases becomes a case of the
    responsible unit. Idempotent per warning (the case service keys it by the warning's id)."""
    indicator = warning.indicator
    title = _("Warning: %(indicator)s — %(subject)s") % {
        "indicator": indicator.name,
        "subject": warning.subject,
    }
    description = _("%(level)s warning in %(period)s: value %(value)s.") % {
        "level": warning.get_level_display(),
        "period": warning.period,
        "value": warning.value,
    }
    return services.case_raise_from_warning(
        actor=None,
        warning_title=title[:120],
        unit=warning.responsible_unit,
        indicator=indicator.name,
        description=description,
        source_key=str(warning.pk),
    )


def evidence_candidates(user, report):
    unit = report.org_unit
    return (
        visible_cases(user)
        .filter(responsible_unit__path__startswith=unit.path)
        .order_by("-created_at")[:200]
    )


def annual_cases_section(context):
    from workflows.review.annual import Chart, Section, Table
    from workflows.review.charts import bar_chart

    cases = Case.objects.filter(created_at__year=context.year)
    if not cases.exists():
        return Section(title=_("Quality incidents"), paragraphs=[_("No cases were filed.")])
    by_category = (
        cases.values("category__name").annotate(n=Count("pk")).order_by("-n", "category__name")
    )
    by_grade = cases.values("grade__name").annotate(n=Count("pk")).order_by("-n", "grade__name")
    closed = cases.filter(closed_at__isnull=False).count()
    labels = [r["category__name"] or _("Not classified") for r in by_category]
    png = bar_chart(_("Cases by category"), labels, [r["n"] for r in by_category])
    return Section(
        charts=[Chart(title=_("Cases by category"), png=png)] if png else [],
        title=_("Quality incidents"),
        paragraphs=[
            _("%(n)d cases were filed in %(year)d; %(closed)d of them are closed.")
            % {"n": cases.count(), "year": context.year, "closed": closed}
        ],
        tables=[
            Table(
                headers=[_("Category"), _("Number of cases")],
                rows=[
                    [r["category__name"] or _("Not classified"), str(r["n"])] for r in by_category
                ],
                title=_("Cases by category"),
            ),
            Table(
                headers=[_("Grade"), _("Number of cases")],
                rows=[[r["grade__name"] or _("Not graded"), str(r["n"])] for r in by_grade],
                title=_("Cases by grade"),
            ),
        ],
    )


def connect() -> None:
    from workflows.monitoring.hooks import register_warning_hook
    from workflows.review import annual, evidence

    register_warning_hook(open_case_for_warning)
    evidence.register(
        evidence.EvidenceSource(
            key="cases",
            label=gettext_lazy("Quality cases"),
            candidates=evidence_candidates,
            describe=lambda case: f"{case.number} {case.title}",
        )
    )
    annual.register_section(
        annual.SectionProvider(key="cases", order=60, build=annual_cases_section)
    )
