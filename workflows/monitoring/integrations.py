"""Where monitoring meets the other features: review findings become improvement-ledger items,
self-diagnosis reports cite readings, warnings and improvements as evidence, and the annual
report gets the monitoring sections."""

import datetime
import logging

from django.db import transaction
from django.db.models import Avg, Count, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record, snapshot
from accounts.models import OrgUnit, Role
from engine.notifications import role_holders, unit_leaders
from engine.numbers import plain

from .models import (
    Cycle,
    Improvement,
    ImprovementStatus,
    Period,
    PeriodKind,
    Reading,
    Stage,
    Warning,
    WarningLevel,
)
from .selectors import improvements_for, subjects_for, warnings_for
from .services import UNIT_LEVEL_KINDS, subject_for_unit

log = logging.getLogger(__name__)


def _academic_year(day: datetime.date) -> Period:
    """The yearly reporting period containing `day` (学年 from 1 September)."""
    period = (
        Period.objects.filter(kind=PeriodKind.YEAR, start__lte=day, end__gte=day)
        .order_by("start")
        .first()
    )
    if period is not None:
        return period
    year = day.year if day.month >= 9 else day.year - 1
    period, _created = Period.objects.get_or_create(
        code=str(year),
        defaults={
            "name": f"{year}学年",
            "kind": PeriodKind.YEAR,
            "start": datetime.date(year, 9, 1),
            "end": datetime.date(year + 1, 8, 31),
        },
    )
    return period


def _owner_for(unit):
    """A major's or course's team leads its improvements; otherwise the unit's leader."""
    if unit.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
        team = role_holders(Role.TEAM_LEADER, unit).order_by("pk").first()
        if team is not None:
            return team
    return unit_leaders(unit).order_by("pk").first()


@transaction.atomic
def improvements_from_review(*, conclusion, findings) -> list[Improvement]:
    """Turn a signed review's non-matching findings into ledger items of the reviewed unit.
    System-initiated (the panel chair who signed is the creator); one item per finding, ever."""
    unit = conclusion.org_unit
    if unit.kind in UNIT_LEVEL_KINDS.values():
        subject = subject_for_unit(unit)
    else:
        # Departments and offices run no cycle of their own: their items hang on the college's
        # subject and stay the unit's responsibility.
        subject = subject_for_unit(OrgUnit.objects.get_root_nodes().first())
    period = _academic_year(timezone.localdate())
    owner = _owner_for(unit) or conclusion.signed_by
    deadline = conclusion.improvement_due or (timezone.localdate() + datetime.timedelta(days=365))
    if isinstance(deadline, datetime.datetime):
        deadline = timezone.localtime(deadline).date()
    created = []
    for finding in findings:
        key = f"review-finding:{finding.pk}"
        if Improvement.objects.filter(source_key=key).exists():
            continue
        element = str(finding.point or finding.element)
        improvement = Improvement.objects.create(
            finding=_("Review finding: %(element)s") % {"element": element[:150]},
            subject=subject,
            period=period,
            responsible_unit=unit,
            title=_("Review finding: %(element)s") % {"element": element[:150]},
            cause_analysis=finding.comment or _("To be analysed by the unit."),
            measures=_("To be set by the unit."),
            owner=owner,
            deadline=deadline,
            created_by=conclusion.signed_by,
            source_key=key,
        )
        audit_record(
            actor=None,
            action="improvement.from_review",
            obj=improvement,
            after=snapshot(improvement),
            record_ip=False,
        )
        created.append(improvement)
    return created


def on_review_concluded(sender, conclusion, non_matching, **kwargs):
    # The review is already committed: a failure here must not turn its page into an error.
    # `sync_review_findings` (beat) converts whatever this missed.
    try:
        improvements_from_review(conclusion=conclusion, findings=non_matching)
    except Exception:
        log.exception("review findings of conclusion %s not yet in the ledger", conclusion.pk)


def sync_review_findings() -> int:
    from workflows.review.models import ConsolidatedFinding

    done = set(
        Improvement.objects.filter(source_key__startswith="review-finding:").values_list(
            "source_key", flat=True
        )
    )
    pending = (
        ConsolidatedFinding.objects.filter(matches=False)
        .select_related("conclusion__org_unit", "conclusion__signed_by", "element", "point")
        .order_by("conclusion_id")
    )
    total = 0
    by_conclusion: dict = {}
    for finding in pending:
        if f"review-finding:{finding.pk}" not in done:
            by_conclusion.setdefault(finding.conclusion, []).append(finding)
    for conclusion, findings in by_conclusion.items():
        total += len(improvements_from_review(conclusion=conclusion, findings=findings))
    return total


# --- evidence for self-diagnosis reports -------------------------------------------------------


def _in_unit(queryset, report):
    return queryset.filter(responsible_unit__path__startswith=report.org_unit.path)


def _readings(user, report):
    subjects = subjects_for(user).filter(responsible_unit__path__startswith=report.org_unit.path)
    return (
        Reading.objects.filter(is_current=True, subject__in=subjects)
        .select_related("indicator", "subject", "period")
        .order_by("-period__start")[:200]
    )


def _warnings(user, report):
    return _in_unit(warnings_for(user), report).order_by("-raised_at")[:200]


def _improvements(user, report):
    return _in_unit(improvements_for(user), report).order_by("-created_at")[:200]


# --- annual report sections ------------------------------------------------------------------


def _label(choices, value) -> str:
    """The display name of a stored choice (the value itself when the choice is gone)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def annual_monitoring_section(context):
    from workflows.review.annual import Chart, Section, Table
    from workflows.review.charts import bar_chart

    readings = Reading.objects.filter(
        is_current=True, period__start__year__in=[context.year - 1, context.year]
    )
    if context.level:
        readings = readings.filter(subject__level=context.level)
    by_reading = (
        readings.values("indicator__name", "indicator__unit_of_measure")
        .annotate(n=Count("pk"), mean=Avg("value"), low=Min("value"), high=Max("value"))
        .order_by("indicator__name")
    )
    year_warnings = Warning.objects.filter(raised_at__year=context.year)
    if context.level:
        year_warnings = year_warnings.filter(subject__level=context.level)
    by_indicator = (
        year_warnings.values("indicator__name", "level")
        .annotate(n=Count("pk"))
        .order_by("indicator__name", "level")
    )
    improvements = Improvement.objects.filter(created_at__year=context.year)
    if context.level:
        improvements = improvements.filter(subject__level=context.level)
    by_status = improvements.values("status").annotate(n=Count("pk")).order_by("status")
    cycles = Cycle.objects.filter(period__start__year__in=[context.year - 1, context.year])
    if context.level:
        cycles = cycles.filter(level=context.level)
    per_stage = dict(cycles.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    per_indicator: dict[str, int] = {}
    for row in by_indicator:
        per_indicator[row["indicator__name"]] = (
            per_indicator.get(row["indicator__name"], 0) + row["n"]
        )
    charts = []
    png = bar_chart(_("Warnings by indicator"), list(per_indicator), list(per_indicator.values()))
    if png and per_indicator:
        charts.append(Chart(title=_("Warnings by indicator"), png=png))
    return Section(
        charts=charts,
        title=_("Monitoring, warnings and improvements"),
        paragraphs=[
            _("%(w)d warnings were raised and %(i)d improvements opened in %(year)d.")
            % {"w": year_warnings.count(), "i": improvements.count(), "year": context.year}
        ],
        tables=[
            Table(
                headers=[
                    _("Indicator"),
                    _("Unit"),
                    _("Readings"),
                    _("Mean"),
                    _("Lowest"),
                    _("Highest"),
                ],
                rows=[
                    [
                        r["indicator__name"],
                        r["indicator__unit_of_measure"],
                        str(r["n"]),
                        plain(r["mean"], 2),
                        plain(r["low"], 2),
                        plain(r["high"], 2),
                    ]
                    for r in by_reading
                ],
                title=_("Approved readings by indicator"),
            ),
            # A reader of the report reads the display names (黄色预警, 改进中, 诊断), in the
            # order of the 8, never the stored codes.
            Table(
                headers=[_("Indicator"), _("Warning level"), _("Warnings")],
                rows=[
                    [r["indicator__name"], _label(WarningLevel, r["level"]), str(r["n"])]
                    for r in by_indicator
                ],
                title=_("Warnings by indicator"),
            ),
            Table(
                headers=[_("Status"), _("Improvements")],
                rows=[[_label(ImprovementStatus, r["status"]), str(r["n"])] for r in by_status],
                title=_("Improvement ledger"),
            ),
            Table(
                headers=[_("Stage"), _("Cycles")],
                rows=[
                    [str(stage.label), str(per_stage[stage.value])]
                    for stage in Stage
                    if per_stage.get(stage.value)
                ],
                title=_("Where the improvement cycles stand"),
            ),
        ],
    )


def connect() -> None:
    from workflows.review import annual, evidence
    from workflows.review.signals import review_concluded

    review_concluded.connect(on_review_concluded, dispatch_uid="monitoring.review_findings")
    for key, label, candidates in (
        ("readings", gettext_lazy("Monitoring readings"), _readings),
        ("warnings", gettext_lazy("Warnings"), _warnings),
        ("improvements", gettext_lazy("Improvement ledger items"), _improvements),
    ):
        evidence.register(evidence.EvidenceSource(key=key, label=label, candidates=candidates))
    annual.register_section(
        annual.SectionProvider(
            key="monitoring",
            order=40,
            build=annual_monitoring_section,
            levels=("school", "major", "course", "teacher", "student"),
        )
    )
