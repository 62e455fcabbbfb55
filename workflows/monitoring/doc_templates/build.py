"""The shipped default template of the improvement ledger (docxtpl tags as text), written by
`manage.py build_doc_templates monitoring.ledger`."""

from docx.shared import Cm

from engine import doc_layout as L

COLUMNS = [
    ("序号", "n", 1.0),
    ("问题来源（预警/诊断发现）", "source", 2.6),
    ("改进事项", "title", 2.4),
    ("原因分析", "cause", 2.6),
    ("改进措施", "measures", 2.8),
    ("责任人", "owner", 1.5),
    ("责任单位", "unit", 1.9),
    ("完成时限", "deadline", 1.9),
    ("状态", "status", 1.3),
    ("佐证材料", "evidence", 2.0),
    ("成效检验", "effect", 2.2),
    ("审核人", "signed_off_by", 1.5),
]


def ledger():
    """改进台账 on A4 landscape: the title, the time of export, one row per improvement."""
    doc = L.document(landscape=True, body_size=L.Pt(14))
    L.running_header(doc)
    L.title(doc, "{{ title }}")
    L.para(doc, "导出时间：{{ exported }}", indent=False, size=L.Pt(12))
    L.loop_table(
        doc,
        [header for header, _, _ in COLUMNS],
        [f"{{{{ row.{key} }}}}" for _, key, _ in COLUMNS],
        loops="row in rows",
        widths=[Cm(width) for _, _, width in COLUMNS],
        size=L.Pt(9),
    )
    return doc
