"""Documents: the case list as .xlsx (exactly what the filter shows), the rectification notice as
.docx with its receipt slip (回执), and the three-year incident analysis report as .docx."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from engine import doc_templates, documents
from engine.numbers import plain

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
    # 300 dpi: sharp when printed at the 150 mm the documents give a chart
    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=300)
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
        fig.savefig(buf, format="png", dpi=300)
        return buf.getvalue()
    finally:
        plt.close(fig)


def _rate(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


ANALYSIS_TEMPLATE = "cases.analysis"
PARTS = [
    ("二、按类别分析", "by_category", "类别"),
    ("三、按等级分析", "by_grade", "等级"),
    ("四、按单位分析", "by_unit", "单位"),
]


def _picture(png: bytes | None):
    return doc_templates.Picture(png, width_mm=150) if png else ""


def analysis_context(user, now=None) -> dict:
    """What the analysis template may use (the office's own template included)."""
    now = now or timezone.now()
    since = now - timedelta(days=3 * 365)
    figures = dashboard_figures(user, since=since)
    months = figures["by_month"]
    parts = []
    for heading, key, label in PARTS:
        rows = [{"name": r["name"], "count": r["count"]} for r in figures[key]]
        chart = _chart("bar", [r["name"] for r in rows], [r["count"] for r in rows], heading[2:])
        parts.append({"heading": heading, "label": label, "rows": rows, "chart": _picture(chart)})
    causes = (
        Case.objects.filter(pk__in=_visible_pks(user, since), findings__gt="")
        .values_list("number", "findings")
        .order_by("-created_at")[:10]
    )
    return {
        "start": timezone.localtime(since).year,
        "end": timezone.localtime(now).year,
        "total": figures["total"],
        "open": figures["open"],
        "overdue": figures["overdue"],
        "overdue_rate": _rate(figures["overdue_rate"]),
        # 0 days is a figure (all accepted the day they came in); only no figure is "—"
        "days_to_acceptance": plain(figures["median_days_to_acceptance"]) or "—",
        "days_to_closure": plain(figures["median_days_to_closure"]) or "—",
        "month_chart": _picture(
            _chart("line", [m["month"] for m in months], [m["count"] for m in months], "按月案件数")
        ),
        "parts": parts,
        "causes": [{"number": n, "findings": f[:200]} for n, f in causes],
        "notices": figures["notices"],
        "on_time_rate": _rate(figures["rectification_on_time_rate"]),
        "recurrences": figures["recurrences"],
        "satisfaction": plain(figures["satisfaction_mean"]) or "—",
    }


def analysis_sample() -> dict:
    """The data an uploaded analysis template is tried with before it is accepted."""
    chart = doc_templates.Picture(doc_templates.SAMPLE_PNG, width_mm=150)
    return {
        "start": 2023,
        "end": 2026,
        "total": 12,
        "open": 3,
        "overdue": 1,
        "overdue_rate": "8.3%",
        "days_to_acceptance": 1,
        "days_to_closure": 14,
        "month_chart": chart,
        "parts": [
            {
                "heading": heading,
                "label": label,
                "rows": [{"name": "教学事故", "count": 5}],
                "chart": chart,
            }
            for heading, _key, label in PARTS
        ],
        "causes": [{"number": "ZG-2026-0001", "findings": "实训设备未按期维护。"}],
        "notices": 4,
        "on_time_rate": "75.0%",
        "recurrences": 0,
        "satisfaction": 4.5,
    }


def analysis_docx(user, now=None) -> bytes:
    """近三年质量事故分析报告 from the quality office's template (or the shipped default), with
    its charts embedded at print resolution."""
    return doc_templates.render(ANALYSIS_TEMPLATE, analysis_context(user, now))


def _visible_pks(user, since):
    from .access import visible_cases

    return visible_cases(user).filter(created_at__gte=since).values("pk")


def analysis_docx_response(user) -> HttpResponse:
    name = documents.file_name(
        "近三年质量事故分析报告", f"{timezone.localdate():%Y%m%d}", ext="docx"
    )
    return documents.download(analysis_docx(user), name)
