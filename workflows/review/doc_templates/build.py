"""The shipped default templates of the review feature's documents (docxtpl tags as text), written
by `manage.py build_doc_templates` (review.self_diagnosis, review.annual, review.level,
monitoring.cycle_report)."""

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from engine import doc_layout as L


def _annex2_table(doc, widths):
    """附件2's table, one row per element, each item's cell merged down its elements: the unit's
    report and the personal report differ only in the page width it gets."""
    L.loop_table(
        doc,
        ["诊断项目", "诊断要素", "自我诊断意见", "改进措施", "改进成效"],
        [
            "{% vm %}{{ item.name }}",
            "{{ row.element }}",
            "{{ row.opinion }}",
            "{{ row.measures }}",
            "{{ row.effects }}",
        ],
        loops=["item in items", "row in item.rows"],
        widths=widths,
    )


def self_diagnosis():
    """附件2 on A4 landscape: overview, the table 诊断项目 | 诊断要素 | 自我诊断意见 | 改进措施 |
    改进成效 with one merged item cell per item ({% vm %}), the head's signature, the notes."""
    doc = L.document(landscape=True, body_size=L.Pt(14))
    L.red_header(doc)
    L.title(doc, "内部质量保证体系自我诊改报告")
    L.para(doc, "单位名称：{{ unit }}    周期：{{ period }}", indent=False)
    L.para(doc, "诊断项目参考表：{{ catalogue }}", indent=False)
    L.heading(doc, "一、自我诊改工作概述（{{ overview_max }} 字以内）", 1)
    L.para(doc, "{{ overview }}")
    L.heading(doc, "二、自我诊断与改进报告表", 1)
    _annex2_table(doc, [Cm(3.2), Cm(3.6), Cm(8.2), Cm(4.8), Cm(4.8)])
    L.para(doc)
    L.para(doc, "负责人（签字）：________________        ____年__月__日", indent=False)
    L.tag(doc, "{%p if approved_by %}")
    L.para(doc, "{{ approved_by }} 已于 {{ approved_on }} 在系统中审核通过", indent=False)
    L.tag(doc, "{%p endif %}")
    L.para(doc, "诊改报告备注", indent=False, font="黑体")
    for note in (
        "1．报告内容必须真实、准确。",
        "2．每一诊断要素的“自我诊断意见”需阐明目标达成程度，主要成绩，存在问题，原因分析，"
        "总体不超过 {{ opinion_max }} 字。以查找问题和分析原因为主，篇幅不少于 1/2。",
        "3．每一诊断要素的“改进措施”需突出针对性、注重可行性，总体不超过 {{ measures_max }} 字。",
        "4．每一诊断要素的“改进效果”指实施改进措施之后已经显现的实际效果，不是预测或估计成效。"
        "如果措施尚未实施，请加说明。总体不超过 {{ effects_max }} 字。",
        "5．自我诊改务必写实，无需等级性结论。",
    ):
        L.para(doc, note, size=L.Pt(12))
    return doc


def sections():
    """The annual and level quality reports (and the cycles' reports): the title, then per
    section a 黑体 heading, its paragraphs, its tables (columns and rows both looped) and its
    charts with their captions."""
    doc = L.document()
    L.running_header(doc)
    L.title(doc, "{{ title }}")
    L.tag(doc, "{%p for section in sections %}")
    L.heading(doc, "{{ section.title }}", 1)
    L.tag(doc, "{%p for text in section.paragraphs %}")
    L.para(doc, "{{ text }}")
    L.tag(doc, "{%p endfor %}")
    L.tag(doc, "{%p for table in section.tables %}")
    L.tag(doc, "{%p if table.title %}")
    L.para(doc, "{{ table.title }}", indent=False, font="楷体_GB2312")
    L.tag(doc, "{%p endif %}")
    L.column_table(doc, headers="table.headers", rows="table.rows")
    L.tag(doc, "{%p endfor %}")
    L.tag(doc, "{%p for chart in section.charts %}")
    L.para(doc, "{{ chart.picture }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    L.para(doc, "{{ chart.title }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=L.Pt(12))
    L.tag(doc, "{%p endfor %}")
    L.tag(doc, "{%p endfor %}")
    return doc


def personal():
    """教师/学生个人发展诊改报告 on A4 portrait: the person's particulars, the summary of the year
    against the personal plan, the table of 附件2 with one merged item cell per item, then the
    signatures of the person and the approver."""
    doc = L.document()
    L.red_header(doc)
    L.title(doc, "{{ title }}")
    head = doc.add_table(rows=2, cols=4)
    head.style = "Table Grid"
    for row, texts in zip(
        head.rows,
        (
            ["姓名", "{{ person }}", "单位", "{{ unit }}"],
            ["层面", "{{ level }}", "期间", "{{ period }}"],
        ),
        strict=True,
    ):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
            cell.paragraphs[0].runs[0].font.size = L.TABLE_SIZE
    L.heading(doc, "一、对照个人发展规划的年度总结（{{ overview_max }}字以内）", 1)
    L.para(doc, "{{ overview }}")
    L.heading(doc, "二、自我诊断与改进报告表", 1)
    _annex2_table(doc, [Cm(2.2), Cm(2.6), Cm(5.4), Cm(2.9), Cm(2.9)])
    L.para(doc)
    L.para(doc, "本人签名：________________        日期：____年__月__日", indent=False)
    L.para(doc, "审核人意见及签名：____________    日期：____年__月__日", indent=False)
    L.tag(doc, "{%p if approved_by %}")
    L.para(doc, "{{ approved_by }} 已于 {{ approved_on }} 在系统中审核通过", indent=False)
    L.tag(doc, "{%p endif %}")
    return doc


def review_report():
    """复核报告: the round, its panel, the conclusions, then per report the consolidated findings
    (or the basis of the conclusion when there are none) and the chair's signature."""
    doc = L.document()
    L.red_header(doc)
    L.title(doc, "复核报告：{{ name }}")
    L.para(
        doc,
        "诊断项目参考表：{{ catalogue }}。复核时间 {{ start }} 至 {{ end }}。"
        "材料公示于 {{ published }}（截止 {{ deadline }}）。",
    )
    L.heading(doc, "复核专家组", 1)
    L.loop_table(
        doc,
        ["专家", "类型", "职责"],
        ["{{ member.name }}", "{{ member.kind }}", "{{ member.role }}"],
        loops="member in panel",
        size=L.Pt(12),
    )
    L.heading(doc, "复核结论", 1)
    L.loop_table(
        doc,
        ["单位", "报告", "相符 / 复核项数", "改进措施", "结论"],
        [
            "{{ c.unit }}",
            "{{ c.report }}",
            "{{ c.matched }}",
            "{{ c.measures }}",
            "{{ c.conclusion }}",
        ],
        loops="c in conclusions",
        size=L.Pt(12),
    )
    L.tag(doc, "{%p for c in conclusions %}")
    L.heading(doc, "{{ c.unit }} · {{ c.conclusion }}", 2)
    L.tag(doc, "{%p if c.summary %}")
    L.para(doc, "{{ c.summary }}")
    L.tag(doc, "{%p endif %}")
    L.tag(doc, "{%p if c.findings %}")
    L.loop_table(
        doc,
        ["诊断要素 / 诊断点", "相符", "意见"],
        ["{{ f.point }}", "{{ f.matches }}", "{{ f.comment }}"],
        loops="f in c.findings",
        widths=[Cm(5.5), Cm(1.6), Cm(8.4)],
    )
    L.tag(doc, "{%p else %}")
    L.para(doc, "{{ c.basis }}")
    L.tag(doc, "{%p endif %}")
    L.tag(doc, "{%p endfor %}")
    L.para(doc)
    L.para(doc, "专家组组长（签字）：{{ chair }}        ____年__月__日", indent=False)
    return doc
