"""The improvement ledger (改进台账) as .xlsx and .docx."""

from __future__ import annotations

import io

from django.utils import timezone
from docx.shared import Pt
from openpyxl import Workbook

from engine import documents

HEADERS = [
    "序号",
    "问题来源（预警/诊断发现）",
    "改进事项",
    "原因分析",
    "改进措施",
    "责任人",
    "责任单位",
    "完成时限",
    "状态",
    "佐证材料",
    "成效检验",
    "审核人",
]
FORMULA_START = ("=", "+", "-", "@")


def safe(text) -> str:
    """Neutralise spreadsheet formulas in user text."""
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def _source(item) -> str:
    if item.warning_id:
        w = item.warning
        return f"{w.indicator.name}（{w.get_level_display()}，{w.value.normalize()}）"
    return item.finding


def _effectiveness(item) -> str:
    if item.effective is None:
        return ""
    verdict = "有效" if item.effective else "未达成效"
    data = {"inside": "数据已回到正常区间", "outside": "数据仍在预警区间", "no_data": "暂无新数据"}
    return f"{verdict}；{data.get(item.data_check, '')}；{item.effectiveness_note}"


def ledger_rows(improvements):
    for n, item in enumerate(improvements.iterator(chunk_size=1000), start=1):
        yield [
            n,
            _source(item),
            item.title,
            item.cause_analysis,
            item.measures,
            str(item.owner),
            item.responsible_unit.name,
            item.deadline.isoformat(),
            item.get_status_display(),
            item.evidence,
            _effectiveness(item),
            str(item.signed_off_by or ""),
        ]


def ledger_xlsx(improvements, title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("改进台账")
    sheet.append([safe(title)])
    sheet.append([f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"])
    sheet.append(HEADERS)
    for row in ledger_rows(improvements):
        sheet.append([safe(c) if isinstance(c, str) else c for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ledger_docx(improvements, title: str) -> bytes:
    doc = documents.new_document(landscape=True)
    heading = doc.add_paragraph()
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(16)
    doc.add_paragraph(f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}")
    table = doc.add_table(rows=1, cols=len(HEADERS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, HEADERS, strict=True):
        cell.text = text
        for p in cell.paragraphs:
            for r in p.runs:
                r.bold = True
    for row in ledger_rows(improvements):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = str(value)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


APPRAISAL_HEADERS = [
    "层面",
    "对象",
    "责任单位",
    "诊改所处阶段",
    "关联现行目标数",
    "预警数",
    "已关闭改进数",
    "改进总数",
    "经检验有效的改进数",
    "复核结论",
    "问责标记",
    "个人诊改报告",
    "评优推荐及决定",
]


def appraisal_xlsx(rows, title: str) -> bytes:
    """The period's 诊改 outcomes per unit and person, for the HR appraisal (绩效考核)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("诊改结果")
    sheet.append([safe(title)])
    sheet.append([f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"])
    sheet.append(APPRAISAL_HEADERS)
    for row in rows:
        sheet.append([safe(c) if isinstance(c, str) else c for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
