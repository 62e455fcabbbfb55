"""Word documents: the self-diagnosis report (seed 002 附件2), the review report, and the
annual/level reports assembled from sections."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

from engine import doc_templates, documents

from .models import ConsolidatedFinding

CJK_FONT = "宋体"


def _document(landscape=False):
    doc = documents.new_document(landscape=landscape)
    style = doc.styles["Normal"]
    style.font.name = CJK_FONT
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), CJK_FONT)
    return doc


def _title(doc, text):
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    run.bold = True
    run.font.size = Pt(16)
    return p


def _bytes(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))


def _append_row(table, values):
    """Add a filled row as one XML fragment. python-docx's add_row + cell.text costs
    milliseconds per row, too slow for the annual report's long tables."""
    widths = [col.w for col in table._tbl.tblGrid.gridCol_lst]
    cells = []
    for index, value in enumerate(values):
        lines = str(value).translate(_CONTROL).split("\n")
        text = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in lines)
        width = widths[index] if index < len(widths) else None
        props = f'<w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>' if width else ""
        cells.append(f"<w:tc>{props}<w:p><w:r>{text}</w:r></w:p></w:tc>")
    table._tbl.append(parse_xml(f"<w:tr {nsdecls('w')}>{''.join(cells)}</w:tr>"))


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


def review_report_docx(round_) -> bytes:
    """复核报告: the round, its panel, and per report the consolidated findings and conclusion."""
    doc = _document()
    _title(doc, _("Review report: %(name)s") % {"name": round_.name})
    doc.add_paragraph(
        _(
            "Catalogue: %(c)s. Review from %(start)s to %(end)s. Material published on %(pub)s "
            "(deadline %(deadline)s)."
        )
        % {
            "c": round_.catalogue,
            "start": round_.review_start,
            "end": round_.review_end,
            "pub": timezone.localdate(round_.published_at) if round_.published_at else "—",
            "deadline": round_.disclosure_deadline,
        }
    )
    doc.add_heading(_("Expert panel"), level=2)
    panel = doc.add_table(rows=1, cols=3)
    panel.style = "Table Grid"
    for i, text in enumerate([_("Expert"), _("Kind"), _("Panel role")]):
        panel.cell(0, i).text = text
    for member in round_.panel.select_related("user"):
        cells = panel.add_row().cells
        cells[0].text = str(member.user)
        cells[1].text = member.get_kind_display()
        cells[2].text = _("Panel chair") if member.is_chair else _("Member")
    doc.add_heading(_("Conclusions"), level=2)
    summary = doc.add_table(rows=1, cols=5)
    summary.style = "Table Grid"
    for i, text in enumerate(
        [_("Unit"), _("Report"), _("Matching / reviewed"), _("Measures"), _("Conclusion")]
    ):
        summary.cell(0, i).text = text
    conclusions = list(
        round_.conclusions.select_related("report", "org_unit").order_by("org_unit__path")
    )
    for c in conclusions:
        _append_row(
            summary,
            [
                c.org_unit.name,
                c.report.title,
                f"{c.matched} / {c.total}",
                _("Strong") if c.measures_strong else _("Weak"),
                c.get_conclusion_display(),
            ],
        )
    findings = ConsolidatedFinding.objects.filter(conclusion__in=conclusions).select_related(
        "element", "point"
    )
    by_conclusion = {}
    for f in findings:
        by_conclusion.setdefault(f.conclusion_id, []).append(f)
    for c in conclusions:
        doc.add_heading(f"{c.org_unit.name} · {c.get_conclusion_display()}", level=3)
        if c.summary:
            doc.add_paragraph(c.summary)
        rows = by_conclusion.get(c.pk, [])
        if not rows:
            doc.add_paragraph(c.get_basis_display())
            continue
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for i, text in enumerate([_("Element / point"), _("Matches"), _("Comments")]):
            table.cell(0, i).text = text
        for f in rows:
            _append_row(
                table, [str(f.point or f.element), _("Yes") if f.matches else _("No"), f.comment]
            )
    doc.add_paragraph()
    chair = round_.panel.filter(is_chair=True).select_related("user").first()
    doc.add_paragraph(
        _("Panel chair (signature): %(chair)s        Date: ____ year __ month __ day")
        % {"chair": chair.user if chair else "________________"}
    )
    return _bytes(doc)


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
