"""The shipped default templates of the plans tables (seed 附件1, 表4, 表5; docxtpl tags as text),
written by `manage.py build_doc_templates plans.tasks plans.targets plans.standards`. The first
column is merged over each run of rows that share it ({% vm %}), as in the seed's tables."""

from docx.shared import Cm

from engine import doc_layout as L

from ..exports import TABLES


def _table(what: str, *, landscape: bool, widths):
    _kind, keys, headers = TABLES[what]
    doc = L.document(landscape=landscape, body_size=L.Pt(14))
    L.running_header(doc)
    L.title(doc, "{{ title }}")
    cells = ["{% vm %}{{ group.name }}"] + [f"{{{{ row.{key} }}}}" for key in keys[1:]]
    L.loop_table(
        doc,
        headers,
        cells,
        loops=["group in groups", "row in group.rows"],
        widths=[Cm(w) for w in widths],
        size=L.Pt(9),
    )
    L.para(doc, "导出日期：{{ exported }}", indent=False, size=L.Pt(12))
    return doc


def tasks():
    return _table("tasks", landscape=True, widths=[2.4, 5.0, 4.2, 2.6, 2.6, 2.4, 1.8, 2.8])


def targets():
    return _table(
        "targets",
        landscape=True,
        widths=[1.4, 1.8, 2.6, 3.4, 2.6, 1.2, 1.4, 2.6, 2.0, 2.4, 1.4],
    )


def standards():
    return _table("standards", landscape=False, widths=[1.6, 3.0, 3.0, 4.6, 2.4, 1.4])
