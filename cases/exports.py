"""Documents: the case list as .xlsx (exactly what the filter shows), the rectification notice as
.docx with its receipt slip (回执), and the three-year incident analysis report as .docx."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook

from engine import doc_templates, documents

from .access import reporter_display
from .models import Case, Notice
from .selectors import dashboard_figures

log = logging.getLogger(__name__)


def safe_cell(value):
    """Neutralise spreadsheet formulas in text written by users."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local(dt, fmt="%Y-%m-%d %H:%M"):
    return timezone.localtime(dt).strftime(fmt) if dt else ""


def case_list_rows(user, qs):
    for case in qs.iterator(chunk_size=1000):
        yield [
            case.number,
            case.get_kind_display(),
            case.title,
            case.get_status_display(),
            str(case.category or ""),
            str(case.grade or ""),
            str(case.subject_unit),
            str(case.accepting_unit),
            str(case.responsible_unit or ""),
            reporter_display(user, case),
            _local(case.created_at),
            _local(case.closed_at),
        ]


def case_list_xlsx(user, qs) -> HttpResponse:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Cases"))
    header = [
        _("Case number"),
        _("Kind"),
        _("Title"),
        _("Status"),
        _("Category"),
        _("Grade"),
        _("Unit concerned"),
        _("Accepting body"),
        _("Responsible unit"),
        _("Reporter"),
        _("Filed at"),
        _("Closed at"),
    ]
    ws.append(header)
    for row in case_list_rows(user, qs):
        ws.append([safe_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return documents.download(
        buf.getvalue(),
        documents.file_name("案件台账", f"{timezone.localdate():%Y%m%d}", ext="xlsx"),
    )


# --- .docx helpers ---------------------------------------------------------------------------


def _document() -> Document:
    doc = documents.new_document()
    style = doc.styles["Normal"]
    style.font.name = "仿宋"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    return doc


def _para(doc, text="", *, size=None, bold=False, align=None, font=None, color=None, indent=True):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    elif indent:
        p.paragraph_format.first_line_indent = Pt(28)
    run = p.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if font:
        run.font.name = font
        run._element.rPr.rFonts.set(qn("w:eastAsia"), font)
    if color:
        run.font.color.rgb = color
    return p


NOTICE_TEMPLATE = "cases.notice"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def notice_context(notice: Notice) -> dict:
    """What the notice template may use (the office's own template included)."""
    case = notice.case
    return {
        "issuer": notice.issuer_unit.name,
        "number": notice.number,
        "title": "整改通知书" if notice.kind == Notice.Kind.RECTIFICATION else "督办通知书",
        "recipient": notice.recipient_unit.name,
        "case_number": case.number,
        "case_title": case.title,
        "facts": _lines(notice.facts),
        "requirements": _lines(notice.requirements),
        "due": _local(notice.due_at, "%Y年%m月%d日"),
        "issued": _local(notice.issued_at, "%Y年%m月%d日"),
        "received": _local(notice.received_at, "%Y年%m月%d日"),
        "received_by": str(notice.received_by or ""),
        "copy_to": "学院质量保证委员会",
    }


def notice_sample() -> dict:
    """The data an uploaded notice template is tried with before it is accepted."""
    return {
        "issuer": "质量管理办公室",
        "number": "质整〔2026〕1号",
        "title": "整改通知书",
        "recipient": "信息工程系",
        "case_number": "ZG-2026-0001",
        "case_title": "实训课未按计划开出",
        "facts": ["经督导听课发现，该课程第 3 周实训未开出。"],
        "requirements": ["补开实训并提交佐证材料。"],
        "due": "2026年12月31日",
        "issued": "2026年12月01日",
        "received": "",
        "received_by": "",
        "copy_to": "学院质量保证委员会",
    }


def notice_docx(notice: Notice) -> bytes:
    """The official layout (red issuer header, number in 〔〕, addressee, body, signature and
    date, a receipt slip to cut off and return, 版记), from the quality office's own template
    when it has uploaded one."""
    return doc_templates.render(NOTICE_TEMPLATE, notice_context(notice))


def notice_docx_response(notice: Notice) -> HttpResponse:
    number = notice.number.replace("〔", "(").replace("〕", ")")
    name = documents.file_name(
        notice.get_kind_display(), number, notice.case.responsible_unit, ext="docx"
    )
    return documents.download(notice_docx(notice), name)


# --- the three-year analysis report ----------------------------------------------------------


def _chart(kind: str, labels, values, title: str) -> bytes | None:
    """A PNG chart, or None when matplotlib is missing (the report then carries tables only)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import font_manager
        from matplotlib import pyplot as plt
    except ImportError:
        log.info("matplotlib is not installed: the analysis report has no charts")
        return None
    cjk = [
        f.name
        for f in font_manager.fontManager.ttflist
        if any(k in f.name for k in ("WenQuanYi", "Noto Sans CJK", "Source Han", "SimHei"))
    ]
    if cjk:
        plt.rcParams["font.sans-serif"] = [cjk[0], "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=120)
    try:
        if kind == "line":
            ax.plot(labels, values, marker="o")
            ax.tick_params(axis="x", labelrotation=60, labelsize=7)
        else:
            ax.bar(labels, values, color="#0b5cad")
            ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.set_title(title if cjk else "")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)


def _rate(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _table(doc, header, rows):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for i, h in enumerate(header):
        table.rows[0].cells[i].text = h
    for row in rows:
        cells = table.add_row().cells
        for i, v in enumerate(row):
            cells[i].text = str(v)


def analysis_docx(user, now=None) -> bytes:
    now = now or timezone.now()
    since = now - timedelta(days=3 * 365)
    figures = dashboard_figures(user, since=since)
    doc = _document()
    start, end = timezone.localtime(since).year, timezone.localtime(now).year
    _para(doc, "近三年质量事故分析报告", size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, f"（{start}—{end}年）", align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "一、总体情况", bold=True, indent=False)
    _para(
        doc,
        f"近三年共受理登记质量事故及投诉{figures['total']}件，目前在办{figures['open']}件，"
        f"其中逾期{figures['overdue']}件（逾期率{_rate(figures['overdue_rate'])}）。"
        f"从登记到受理的中位时长为{figures['median_days_to_acceptance'] or '—'}天，"
        f"从登记到办结的中位时长为{figures['median_days_to_closure'] or '—'}天。",
    )
    chart = _chart(
        "line",
        [m["month"] for m in figures["by_month"]],
        [m["count"] for m in figures["by_month"]],
        "按月案件数",
    )
    if chart:
        doc.add_picture(io.BytesIO(chart), width=Cm(15))
    sections = [
        ("二、按类别分析", "by_category", "类别"),
        ("三、按等级分析", "by_grade", "等级"),
        ("四、按单位分析", "by_unit", "单位"),
    ]
    for heading, key, label in sections:
        _para(doc, heading, bold=True, indent=False)
        rows = figures[key]
        _table(doc, [label, "件数"], [(r["name"], r["count"]) for r in rows])
        chart = _chart("bar", [r["name"] for r in rows], [r["count"] for r in rows], heading[2:])
        if chart:
            doc.add_picture(io.BytesIO(chart), width=Cm(15))
    _para(doc, "五、主要原因", bold=True, indent=False)
    causes = (
        Case.objects.filter(pk__in=_visible_pks(user, since), findings__gt="")
        .values_list("number", "findings")
        .order_by("-created_at")[:10]
    )
    if causes:
        for number, findings in causes:
            _para(doc, f"{number}：{findings[:200]}")
    else:
        _para(doc, "本期无已认定的事故调查结论。")
    _para(doc, "六、处置成效", bold=True, indent=False)
    _para(
        doc,
        f"共下发整改（督办）通知书{figures['notices']}份，按期整改率{_rate(figures['rectification_on_time_rate'])}；"
        f"同一单位同一类别12个月内重复发生{figures['recurrences']}件；"
        f"投诉人满意度平均{figures['satisfaction_mean'] or '—'}分（5分制）。",
    )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _visible_pks(user, since):
    from .access import visible_cases

    return visible_cases(user).filter(created_at__gte=since).values("pk")


def analysis_docx_response(user) -> HttpResponse:
    name = documents.file_name(
        "近三年质量事故分析报告", f"{timezone.localdate():%Y%m%d}", ext="docx"
    )
    return documents.download(analysis_docx(user), name)
