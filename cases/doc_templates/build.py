"""The shipped default template of the three-year incident analysis (docxtpl tags as text),
written by `manage.py build_doc_templates cases.analysis`. The notice's default (notice.docx) was
crafted before these scripts and is kept as it is."""

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from engine import doc_layout as L


def _chart(doc, expression: str):
    L.tag(doc, f"{{%p if {expression} %}}")
    L.para(doc, f"{{{{ {expression} }}}}", align=WD_ALIGN_PARAGRAPH.CENTER)
    L.tag(doc, "{%p endif %}")


def analysis():
    doc = L.document()
    L.red_header(doc)
    L.title(doc, "近三年质量事故分析报告")
    L.para(doc, "（{{ start }}—{{ end }}年）", align=WD_ALIGN_PARAGRAPH.CENTER)
    L.heading(doc, "一、总体情况", 1)
    L.para(
        doc,
        "近三年共受理登记质量事故及投诉{{ total }}件，目前在办{{ open }}件，其中逾期{{ overdue }}件"
        "（逾期率{{ overdue_rate }}）。从登记到受理的中位时长为{{ days_to_acceptance }}天，"
        "从登记到办结的中位时长为{{ days_to_closure }}天。",
    )
    _chart(doc, "month_chart")
    L.tag(doc, "{%p for part in parts %}")
    L.heading(doc, "{{ part.heading }}", 1)
    L.loop_table(
        doc,
        ["{{ part.label }}", "件数"],
        ["{{ row.name }}", "{{ row.count }}"],
        loops="row in part.rows",
        widths=[Cm(11), Cm(4)],
        size=L.Pt(12),
    )
    _chart(doc, "part.chart")
    L.tag(doc, "{%p endfor %}")
    L.heading(doc, "五、主要原因", 1)
    L.tag(doc, "{%p for cause in causes %}")
    L.para(doc, "{{ cause.number }}：{{ cause.findings }}")
    L.tag(doc, "{%p else %}")
    L.para(doc, "本期无已认定的事故调查结论。")
    L.tag(doc, "{%p endfor %}")
    L.heading(doc, "六、处置成效", 1)
    L.para(
        doc,
        "共下发整改（督办）通知书{{ notices }}份，按期整改率{{ on_time_rate }}；"
        "同一单位同一类别12个月内重复发生{{ recurrences }}件；"
        "投诉人满意度平均{{ satisfaction }}分（5分制）。",
    )
    return doc
