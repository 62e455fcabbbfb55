"""A subject's annual quality report assembled from its cycle (seed 001 五: each level writes
its own — 专业年度质量报告, 课程年度质量报告, 教师发展报告, 学生发展质量报告 — and the college
its 人才培养质量年度报告): targets against readings, warnings and improvements, the diagnosis and
a conclusion.

The sections are the review app's (workflows.review.annual.Section) and the document its
`sections_docx` (A4, the official margins, engine.documents); the college's cycle also gives
its sections to the college's annual report (`register`).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engine import documents
from engine.numbers import plain
from workflows.levels import Level
from workflows.review.annual import AssemblyContext, Section, SectionProvider, Table

from .models import Cycle, Direction, ImprovementStatus, PeriodKind, Stage, WarningLevel
from .selectors import cycle_links

TITLES = {
    Level.SCHOOL: gettext_lazy("Talent training quality annual report"),
    Level.MAJOR: gettext_lazy("Major annual quality report"),
    Level.COURSE: gettext_lazy("Course annual quality report"),
    Level.TEACHER: gettext_lazy("Teacher development report"),
    Level.STUDENT: gettext_lazy("Student development report"),
}


def title_of(cycle: Cycle) -> str:
    return str(TITLES[cycle.level])


def file_name(cycle: Cycle) -> str:
    """“专业年度质量报告-软件技术-2026.docx”."""
    return documents.file_name(title_of(cycle), cycle.subject.name, cycle.period.code, ext="docx")


def _num(value) -> str:
    return plain(value) or "—"


def _attainment(indicator, target, value) -> tuple[str, bool]:
    """What the approved reading says of the target, and whether it is on target."""
    if value is None:
        return _("No approved reading"), False
    level = indicator.level_for(value)
    if level is not None:
        return _("In the warning band (%(level)s)") % {"level": WarningLevel(level).label}, False
    if target is None:
        return _("Inside the band"), True
    met = value >= target if indicator.direction == Direction.HIGHER else value <= target
    return (_("Target attained"), True) if met else (_("Below target"), False)


def _overview(cycle, links) -> Section:
    paragraphs = [
        _(
            "Subject: %(subject)s · level: %(level)s · responsible unit: %(unit)s · "
            "period: %(period)s."
        )
        % {
            "subject": cycle.subject.name,
            "level": cycle.get_level_display(),
            "unit": cycle.responsible_unit.name,
            "period": cycle.period.name,
        },
        _("The cycle stands at “%(stage)s” since %(date)s.")
        % {
            "stage": cycle.get_stage_display(),
            "date": f"{timezone.localtime(cycle.stage_changed_at):%Y-%m-%d}",
        },
    ]
    rows = [
        [
            f"{timezone.localtime(entry.timestamp):%Y-%m-%d}",
            entry.get_source_state_display(),
            entry.get_state_display(),
            entry.description or "",
        ]
        for entry in links["log"]
    ]
    tables = []
    if rows:
        tables.append(
            Table(
                headers=[_("Date"), _("From stage"), _("To stage"), _("Reason")],
                rows=rows,
                title=_("Stage history"),
            )
        )
    return Section(title=_("Overview"), paragraphs=paragraphs, tables=tables)


def _targets(cycle, links) -> Section:
    targets = [
        [
            link.target.title,
            link.target.get_category_display(),
            link.target.plan.title,
            f"v{link.version}",
        ]
        for link in links["targets"]
    ]
    standards = [
        [link.standard.title, str(link.standard.owner_unit), f"v{link.version}"]
        for link in links["standards"]
    ]
    paragraphs = []
    if not targets:
        paragraphs.append(_("No target in force is linked to this cycle."))
    tables = [
        Table(
            headers=[_("Target"), _("Target type"), _("Plan"), _("Version")],
            rows=targets,
            title=_("Targets in force"),
        )
    ]
    if standards:
        tables.append(
            Table(
                headers=[_("Standard"), _("Unit"), _("Version")],
                rows=standards,
                title=_("Standards in force"),
            )
        )
    return Section(title=_("Targets and standards"), paragraphs=paragraphs, tables=tables)


def _readings(cycle, links) -> tuple[Section, int, int]:
    current = {r.indicator_id: r for r in links["readings"] if r.is_current}
    indicators = links["indicators"] or sorted(
        {r.indicator for r in current.values()}, key=lambda i: i.code
    )
    rows, attained = [], 0
    for indicator in indicators:
        reading = current.get(indicator.pk)
        value = reading.value if reading is not None else None
        target = indicator.target_for(cycle.period)
        verdict, on_target = _attainment(indicator, target, value)
        attained += on_target
        rows.append(
            [
                indicator.name,
                f"{_num(target)}{indicator.unit_of_measure}" if target is not None else "—",
                f"{_num(value)}{indicator.unit_of_measure}" if value is not None else "—",
                verdict,
            ]
        )
    tasks = links["tasks"]
    paragraphs = [
        _("%(attained)d of %(n)d monitored indicators are on target.")
        % {"attained": attained, "n": len(rows)},
        _("%(done)d of %(n)d plan tasks are done.")
        % {"done": links["tasks_done"], "n": len(tasks)},
    ]
    section = Section(
        title=_("Targets against readings"),
        paragraphs=paragraphs,
        tables=[
            Table(
                headers=[_("Indicator"), _("Target value"), _("Approved reading"), _("Attainment")],
                rows=rows,
            ),
            Table(
                headers=[_("Plan task"), _("Plan"), _("Deadline"), _("State")],
                rows=[
                    [
                        t.title,
                        t.plan.title,
                        f"{t.deadline:%Y-%m-%d}" if t.deadline else "",
                        t.get_state_display(),
                    ]
                    for t in tasks
                ],
                title=_("Plan tasks"),
            ),
        ],
    )
    return section, attained, len(rows)


def _warnings(cycle, links) -> Section:
    warnings = links["warnings"]
    improvements = links["improvements"]
    closed = sum(i.status == ImprovementStatus.CLOSED for i in improvements)
    effective = sum(bool(i.effective) for i in improvements)
    return Section(
        title=_("Warnings and improvements"),
        paragraphs=[
            _(
                "%(w)d warnings raised; %(i)d improvements opened, %(c)d closed, %(e)d judged "
                "effective by the data."
            )
            % {"w": len(warnings), "i": len(improvements), "c": closed, "e": effective}
        ],
        tables=[
            Table(
                headers=[_("Indicator"), _("Warning level"), _("Value"), _("Status")],
                rows=[
                    [
                        str(w.indicator),
                        w.get_level_display(),
                        _num(w.value),
                        w.get_status_display(),
                    ]
                    for w in warnings
                ],
                title=_("Warnings"),
            ),
            Table(
                headers=[_("Improvement"), _("Measures"), _("Deadline"), _("Status")],
                rows=[
                    [i.title, i.measures, f"{i.deadline:%Y-%m-%d}", i.get_status_display()]
                    for i in improvements
                ],
                title=_("Improvements"),
            ),
        ],
    )


def _diagnosis(cycle, links) -> Section:
    report = links["report"]
    paragraphs = []
    if report is not None:
        paragraphs.append(
            _("Self-diagnosis report: %(title)s (%(status)s).")
            % {"title": report.title, "status": report.get_status_display()}
        )
        if report.overview:
            paragraphs.append(report.overview)
    for conclusion in links["conclusions"]:
        paragraphs.append(
            _("Review conclusion: %(c)s (%(m)d of %(t)d elements match).")
            % {
                "c": conclusion.get_conclusion_display(),
                "m": conclusion.matched,
                "t": conclusion.total,
            }
        )
    rows = [
        [e.gate.get_stage_display(), e.gate.label, e.text, str(e.added_by)]
        for e in links["evidence"]
    ]
    if not paragraphs and not rows:
        paragraphs.append(_("No self-diagnosis has been recorded for this period yet."))
    tables = []
    if rows:
        tables.append(
            Table(
                headers=[_("Stage"), _("Required evidence"), _("Evidence"), _("By")],
                rows=rows,
                title=_("Evidence of the stages"),
            )
        )
    return Section(title=_("Diagnosis"), paragraphs=paragraphs, tables=tables)


def _conclusion(cycle, links, attained: int, monitored: int) -> Section:
    open_warnings = sum(w.status in ("open", "acknowledged") for w in links["warnings"])
    paragraphs = [
        _(
            "%(attained)d of %(n)d indicators on target; %(open)d warnings still open; the cycle "
            "stands at “%(stage)s”."
        )
        % {
            "attained": attained,
            "n": monitored,
            "open": open_warnings,
            "stage": cycle.get_stage_display(),
        }
    ]
    if cycle.stage == Stage.IMPROVED:
        paragraphs.append(
            _("The cycle has come round: the next period's cycle opens with the revised targets.")
        )
    elif open_warnings:
        paragraphs.append(
            _("The open warnings are to be answered with improvements before the diagnosis.")
        )
    return Section(title=_("Conclusion"), paragraphs=paragraphs)


def sections(cycle: Cycle, progress=None) -> list[Section]:
    """The report's sections; `progress(percent, title)` after each."""
    links = cycle_links(cycle)
    readings, attained, monitored = _readings(cycle, links)
    built = [
        _overview(cycle, links),
        _targets(cycle, links),
        readings,
        _warnings(cycle, links),
        _diagnosis(cycle, links),
        _conclusion(cycle, links, attained, monitored),
    ]
    if progress:
        for index, section in enumerate(built, start=1):
            progress(int(index * 100 / len(built)), section.title)
    return built


CYCLE_REPORT = "monitoring.cycle_report"


def document(cycle: Cycle, progress=None) -> bytes:
    from workflows.review.exports import sections_docx

    title = f"{cycle.subject.name} {cycle.period.name} {title_of(cycle)}"
    return sections_docx(title, sections(cycle, progress), CYCLE_REPORT)


def _college_cycle(context: AssemblyContext) -> Section | None:
    """The college's own cycle of the year in the college's annual report (人才培养质量年度报告)."""
    cycle = (
        Cycle.objects.filter(
            level=Level.SCHOOL, period__kind=PeriodKind.YEAR, period__start__year=context.year
        )
        .select_related("subject", "period", "responsible_unit")
        .order_by("period__start")
        .first()
    )
    if cycle is None:
        return None
    links = cycle_links(cycle)
    readings, attained, monitored = _readings(cycle, links)
    conclusion = _conclusion(cycle, links, attained, monitored)
    return Section(
        title=_("The college's improvement cycle"),
        paragraphs=readings.paragraphs + conclusion.paragraphs,
        tables=readings.tables[:1],
    )


def register() -> None:
    from workflows.review.annual import register_section

    register_section(
        SectionProvider(key="monitoring.college_cycle", order=35, build=_college_cycle)
    )
