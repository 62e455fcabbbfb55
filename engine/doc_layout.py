"""The bricks of the shipped default Word templates (engine/doc_templates.py), laid out after
GB/T 9704-2012: A4 with the standard margins (engine.documents), body in 仿宋_GB2312 三号,
first-level headings in 黑体 and second-level in 楷体_GB2312, titles in 方正小标宋简体, the
college's name in red over a red rule as the 版头, page numbers “— 1 —” at the foot,.

Each document's build script (`build.py` beside its default .docx) writes the default from these
with docxtpl tags as text; `manage.py build_doc_templates` runs them. Tables with a variable
number of rows are one template row between `{%tr for %}` and `{%tr endfor %}` rows.
"""

from __future__ import annotations

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from . import documents

BODY_FONT = "仿宋_GB2312"
HEADING_FONTS = {1: "黑体", 2: "楷体_GB2312", 3: BODY_FONT}
TITLE_FONT = "方正小标宋简体"
RED = RGBColor(0xC0, 0x00, 0x00)
BLACK = RGBColor(0, 0, 0)
SIZE_3 = Pt(16)  # 三号: body and headings
SIZE_2 = Pt(22)  # 二号: the title
TABLE_SIZE = Pt(10.5)  # 五号: text in wide tables


def _font(target, name: str):
    """Latin and CJK text both in `name` (python-docx's font.name sets the Latin one only)."""
    target.font.name = name
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:eastAsia"), name)


def document(*, landscape: bool = False, body_size=SIZE_3):
    doc = documents.new_document(landscape=landscape)
    normal = doc.styles["Normal"]
    _font(normal, BODY_FONT)
    normal.font.size = body_size
    normal.paragraph_format.space_after = Pt(0)
    for level, name in HEADING_FONTS.items():
        style = doc.styles[f"Heading {level}"]
        _font(style, name)
        style.font.size = body_size
        style.font.bold = level == 3
        style.font.italic = False
        style.font.color.rgb = BLACK
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.space_after = Pt(0)
        if level > 1:
            style.paragraph_format.first_line_indent = Pt(32)
    _page_numbers(doc)
    return doc


def _page_numbers(doc):
    for section in doc.sections:
        p = section.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run("— ")
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        p._p.append(field)
        p.add_run(" —")


def _rule(paragraph, *, side: str, color: str, size: int):
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    for key, value in {
        "w:val": "single",
        "w:sz": str(size),
        "w:space": "1",
        "w:color": color,
    }.items():
        line.set(qn(key), value)
    borders.append(line)


def para(
    doc, text: str = "", *, indent=True, align=None, font=None, size=None, bold=False, color=None
):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    elif indent:
        p.paragraph_format.first_line_indent = Pt(32)
    if text:
        run = p.add_run(text)
        run.bold = bold
        if font:
            _font(run, font)
        if size:
            run.font.size = size
        if color is not None:
            run.font.color.rgb = color
    return p


def tag(doc, text: str):
    """A paragraph holding only a docxtpl tag ({%p ... %}); it disappears when rendered."""
    return doc.add_paragraph(text)


def red_header(doc, text: str = "{{ college }}"):
    """版头: the issuing body's name in red, centred, over a red rule."""
    p = para(doc, text, align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=Pt(26), color=RED)
    _rule(p, side="bottom", color="C00000", size=18)
    return p


def running_header(doc, text: str = "{{ college }}"):
    """The college's name in red at the head of every page, over a red rule: the 版头 of long
    tables, whose first line stays their title."""
    for section in doc.sections:
        p = section.header.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        _font(run, TITLE_FONT)
        run.font.size = Pt(18)
        run.font.color.rgb = RED
        _rule(p, side="bottom", color="C00000", size=12)


def title(doc, text: str):
    p = para(doc, text, align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=SIZE_2)
    p.paragraph_format.space_before = Pt(12)
    p.paragraph_format.space_after = Pt(12)
    return p


def heading(doc, text: str, level: int = 1):
    return doc.add_paragraph(text, style=f"Heading {level}")


def loop_table(doc, headers, cells, *, loops, widths=None, size=TABLE_SIZE):
    """A header row repeated on every page, then the row `cells` once per item of the loops
    (outer first, e.g. ["item in items", "row in item.rows"])."""
    loops = [loops] if isinstance(loops, str) else list(loops)
    table = doc.add_table(rows=2 + 2 * len(loops), cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header, *rest = table.rows
    body = rest[len(loops)]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for row, loop in zip(rest[: len(loops)], loops, strict=True):
        row.cells[0].text = f"{{%tr for {loop} %}}"
    for row in rest[len(loops) + 1 :]:
        row.cells[0].text = "{%tr endfor %}"
    for i, text in enumerate(headers):
        cell = header.cells[i]
        cell.text = text
        _font(cell.paragraphs[0].runs[0], "黑体")
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, text in enumerate(cells):
        body.cells[i].text = text
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = size
    if widths:
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width
    return table


def column_table(doc, *, headers: str, rows: str, size=TABLE_SIZE):
    """A table whose columns are looped too ({%tc for %}): the header row from the list
    `headers`, then one row per list in `rows`; docxtpl shares the width among the columns."""
    table = doc.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header, opening, body, closing = table.rows
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for row, value in ((header, "heading"), (body, "cell")):
        row.cells[0].text = f"{{%tc for {value} in {headers if row is header else 'row'} %}}"
        row.cells[1].text = f"{{{{ {value} }}}}"
        row.cells[2].text = "{%tc endfor %}"
    opening.cells[0].text = f"{{%tr for row in {rows} %}}"
    closing.cells[0].text = "{%tr endfor %}"
    # The whole text width, shared by however many columns come: no cell keeps a width of its
    # own, or each looped copy would claim a third of the page.
    tbl_width = table._tbl.tblPr.find(qn("w:tblW"))
    tbl_width.set(qn("w:type"), "pct")
    tbl_width.set(qn("w:w"), "5000")
    for row in table.rows:
        for cell in row.cells:
            tc_pr = cell._tc.tcPr
            if tc_pr is not None:
                cell._tc.remove(tc_pr)
            for run in cell.paragraphs[0].runs:
                run.font.size = size
    for run in header.cells[1].paragraphs[0].runs:
        _font(run, "黑体")
    return table
