"""The improvement ledger (改进台账) as .xlsx and .docx."""

from __future__ import annotations

import io

from django.utils import timezone
from openpyxl import Workbook

from engine import doc_templates
from engine.numbers import plain

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
        return f"{w.indicator.name}（{w.get_level_display()}，{plain(w.value)}）"
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


LEDGER = "monitoring.ledger"
LEDGER_KEYS = [
    "n",
    "source",
    "title",
    "cause",
    "measures",
    "owner",
    "unit",
    "deadline",
    "status",
    "evidence",
    "effect",
    "signed_off_by",
]


def ledger_context(improvements, title: str) -> dict:
    """What the ledger template may use (the office's own template included)."""
    return {
        "title": title,
        "exported": f"{timezone.localtime():%Y-%m-%d %H:%M}",
        "rows": [
            dict(zip(LEDGER_KEYS, (str(v) for v in row), strict=True))
            for row in ledger_rows(improvements)
        ],
    }


def ledger_sample() -> dict:
    """The data an uploaded ledger template is tried with before it is accepted."""
    row = [
        "1",
        "生师比（黄色预警，19.5）",
        "补充专任教师",
        "师资不足",
        "引进两名专任教师",
        "张老师",
        "软件技术专业",
        "2027-01-31",
        "进行中",
        "招聘公告",
        "",
        "",
    ]
    return {
        "title": "信息工程系质量改进台账",
        "exported": "2026-12-01 09:00",
        "rows": [dict(zip(LEDGER_KEYS, row, strict=True))],
    }


def ledger_docx(improvements, title: str) -> bytes:
    return doc_templates.render(LEDGER, ledger_context(improvements, title))


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
