"""Word documents: the self-diagnosis report (seed 002 附件2), the review report, the annual/level
reports assembled from sections and the personal reports, each filled into the Word template its
office uses (engine.doc_templates; the defaults are written by doc_templates/build.py)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from engine import doc_templates

from .models import ConsolidatedFinding

SELF_DIAGNOSIS = "review.self_diagnosis"


def _date(value) -> str:
    return f"{value:%Y年%m月%d日}" if value else ""


def self_diagnosis_context(report) -> dict:
    """What the 附件2 template may use (the office's own template included)."""
    rows = report.rows.select_related("element__item").order_by(
        "element__item__order", "element__order"
    )
    catalogue = report.catalogue
    return {
        "unit": report.org_unit.name,
        "period": report.period,
        "catalogue": str(catalogue),
        "overview": report.overview,
        "items": _items(rows, lambda row: row.opinion),
        "approved_by": str(report.approved_by or ""),
        "approved_on": _date(timezone.localdate(report.approved_at)) if report.approved_at else "",
        "overview_max": catalogue.overview_max,
        "opinion_max": catalogue.opinion_max,
        "measures_max": catalogue.measures_max,
        "effects_max": catalogue.effects_max,
    }


def self_diagnosis_sample() -> dict:
    """The data an uploaded 附件2 template is tried with before it is accepted."""
    return {
        "unit": "软件技术专业",
        "period": "2026",
        "catalogue": "诊断项目参考表（专业）v1",
        "overview": "本年度专业按照诊改工作方案开展自我诊断。",
        "items": [
            {
                "id": 1,
                "name": "1 体系总体构架",
                "rows": [
                    {
                        "element": "1.1 质量保证理念",
                        "opinion": "目标基本达成；存在问题：……",
                        "measures": "修订专业建设规划。",
                        "effects": "尚未实施。",
                    }
                ],
            }
        ],
        "approved_by": "王主任",
        "approved_on": "2026年12月01日",
        "overview_max": 500,
        "opinion_max": 500,
        "measures_max": 200,
        "effects_max": 200,
    }


def self_diagnosis_docx(report) -> bytes:
    """附件2 from the quality office's template (or the shipped default): overview, then the
    table 诊断项目 | 诊断要素 | 自我诊断意见 | 改进措施 | 改进成效 with one merged item cell per
    item, the head's signature line and the notes with this catalogue's limits."""
    return doc_templates.render(SELF_DIAGNOSIS, self_diagnosis_context(report))


REVIEW_REPORT = "review.review_report"


def review_report_context(round_) -> dict:
    """What the 复核报告 template may use (the office's own template included)."""
    conclusions = list(
        round_.conclusions.select_related("report", "org_unit").order_by("org_unit__path")
    )
    findings = ConsolidatedFinding.objects.filter(conclusion__in=conclusions).select_related(
        "element", "point"
    )
    by_conclusion = {}
    for f in findings:
        by_conclusion.setdefault(f.conclusion_id, []).append(
            {
                "point": str(f.point or f.element),
                "matches": _("Yes") if f.matches else _("No"),
                "comment": f.comment,
            }
        )
    chair = round_.panel.filter(is_chair=True).select_related("user").first()
    return {
        "name": round_.name,
        "catalogue": str(round_.catalogue),
        "start": str(round_.review_start),
        "end": str(round_.review_end),
        "published": str(timezone.localdate(round_.published_at)) if round_.published_at else "—",
        "deadline": str(round_.disclosure_deadline),
        "panel": [
            {
                "name": str(member.user),
                "kind": member.get_kind_display(),
                "role": _("Panel chair") if member.is_chair else _("Member"),
            }
            for member in round_.panel.select_related("user")
        ],
        "conclusions": [
            {
                "unit": c.org_unit.name,
                "report": c.report.title,
                "matched": f"{c.matched} / {c.total}",
                "measures": _("Strong") if c.measures_strong else _("Weak"),
                "conclusion": c.get_conclusion_display(),
                "summary": c.summary,
                "basis": c.get_basis_display(),
                "findings": by_conclusion.get(c.pk, []),
            }
            for c in conclusions
        ],
        "chair": str(chair.user) if chair else "________________",
    }


def review_report_sample() -> dict:
    """The data an uploaded 复核报告 template is tried with before it is accepted."""
    finding = {"point": "1.1 质量保证理念", "matches": "否", "comment": "目标值未量化。"}
    conclusion = {
        "unit": "软件技术专业",
        "report": "软件技术专业 2026 年自我诊改报告",
        "matched": "10 / 15",
        "measures": "有力",
        "conclusion": "待改进",
        "summary": "诊改工作基本有效。",
        "basis": "按相符项比例认定",
        "findings": [finding],
    }
    return {
        "name": "2026年度专业诊改复核",
        "catalogue": "诊断项目参考表（专业）v1",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "published": "2026-10-20",
        "deadline": "2026-10-25",
        "panel": [{"name": "冯教授", "kind": "校外专家", "role": "专家组组长"}],
        "conclusions": [conclusion],
        "chair": "冯教授",
    }


def review_report_docx(round_) -> bytes:
    """复核报告 from the quality office's template (or the shipped default)."""
    return doc_templates.render(REVIEW_REPORT, review_report_context(round_))


ANNUAL = "review.annual"
LEVEL = "review.level"


def sections_context(title, sections) -> dict:
    """What the template of a report assembled from sections may use."""
    return {
        "title": str(title),
        "sections": [
            {
                "title": str(section.title),
                "paragraphs": [str(p) for p in section.paragraphs],
                "tables": [
                    {
                        "title": str(t.title),
                        "headers": [str(h) for h in t.headers],
                        "rows": [["" if v is None else str(v) for v in row] for row in t.rows],
                    }
                    for t in section.tables
                ],
                "charts": [
                    {"title": str(c.title), "picture": doc_templates.Picture(c.png, width_mm=150)}
                    for c in section.charts
                ],
            }
            for section in sections
        ],
    }


def sections_sample() -> dict:
    """The data an uploaded report template is tried with before it is accepted."""
    from .annual import Chart, Section, Table

    section = Section(
        title="组织机构",
        paragraphs=["本年度学院设质量保证委员会。"],
        tables=[Table(headers=["单位", "类型"], rows=[["软件技术专业", "专业"]], title="单位")],
        charts=[Chart(title="自我诊改报告状态", png=doc_templates.SAMPLE_PNG)],
    )
    return sections_context("2026 年度质量报告", [section])


def sections_docx(title, sections, kind: str = ANNUAL) -> bytes:
    """A report assembled from sections, from the template of `kind` the office uses."""
    return doc_templates.render(kind, sections_context(title, sections))


PERSONAL = "review.personal"


def _items(rows, opinion) -> list[dict]:
    """The rows of 附件2 grouped by item, for one merged item cell per item."""
    items = []
    for row in rows:
        if not items or items[-1]["id"] != row.element.item_id:
            items.append({"id": row.element.item_id, "name": str(row.element.item), "rows": []})
        items[-1]["rows"].append(
            {
                "element": str(row.element),
                "opinion": opinion(row),
                "measures": row.measures,
                "effects": row.effects,
            }
        )
    return items


def personal_context(report) -> dict:
    """What the personal report template may use (the office's own template included)."""
    rows = report.rows.select_related("element__item").order_by(
        "element__item__order", "element__order"
    )
    cycle = report.cycle
    return {
        "title": report.catalogue.name,
        "person": str(report.person),
        "unit": str(cycle.responsible_unit),
        "level": str(report.get_level_display()),
        "period": str(cycle.period.name),
        "overview": report.overview,
        "overview_max": report.catalogue.overview_max,
        "items": _items(
            rows, lambda row: "\n".join(p for p in (row.achievements, row.problems) if p)
        ),
        "approved_by": str(report.approved_by or ""),
        "approved_on": _date(timezone.localdate(report.approved_at)) if report.approved_at else "",
    }


def personal_sample() -> dict:
    """The data an uploaded personal report template is tried with before it is accepted."""
    sample = self_diagnosis_sample()
    return {
        "title": "教师个人发展诊改报告",
        "person": "吴芳",
        "unit": "软件技术专业",
        "level": "教师",
        "period": "2026年",
        "overview": sample["overview"],
        "overview_max": 500,
        "items": sample["items"],
        "approved_by": sample["approved_by"],
        "approved_on": sample["approved_on"],
    }


def personal_docx(report) -> bytes:
    """教师/学生个人发展诊改报告 from the quality office's template (or the shipped default)."""
    return doc_templates.render(PERSONAL, personal_context(report))
