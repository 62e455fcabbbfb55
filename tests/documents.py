"""What every Word file and download the product hands out must be: A4 in the official layout,
named for what it holds."""

import io
from urllib.parse import unquote

from docx import Document

# Millimetres: Word stores lengths in twips, so 210 mm comes back as 209.99-something.
OFFICIAL = {"top": 37, "bottom": 35, "left": 28, "right": 26}


def download_name(response) -> str:
    header = response["Content-Disposition"]
    assert header.startswith("attachment;"), header
    return unquote(header.split("filename*=UTF-8''", 1)[1])


def official_docx(response_or_bytes, *, name_starts: str | None = None):
    """The document, after checking its pages are A4 with the official margins (turned with a
    landscape page) and, for a response, that its file name starts as it should."""
    if name_starts is not None:
        assert download_name(response_or_bytes).startswith(name_starts)
        assert download_name(response_or_bytes).endswith(".docx")
    content = getattr(response_or_bytes, "content", response_or_bytes)
    doc = Document(io.BytesIO(content))
    for section in doc.sections:
        landscape = section.page_width > section.page_height
        size = (round(section.page_width.mm), round(section.page_height.mm))
        assert size == ((297, 210) if landscape else (210, 297)), size
        margins = tuple(
            round(getattr(section, f"{side}_margin").mm)
            for side in ("top", "bottom", "left", "right")
        )
        if landscape:
            expected = (OFFICIAL["left"], OFFICIAL["right"], OFFICIAL["top"], OFFICIAL["bottom"])
        else:
            expected = (OFFICIAL["top"], OFFICIAL["bottom"], OFFICIAL["left"], OFFICIAL["right"])
        assert margins == expected, margins
    return doc


TEMPLATES_PAGE = "/documents/templates/"


def docx_text(doc) -> str:
    """Every paragraph of the body, its tables and the page headers, one line each."""
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    for section in doc.sections:
        lines.extend(p.text for p in section.header.paragraphs)
    return "\n".join(lines)


def red_runs(doc) -> list[str]:
    """The text set in red, body and page headers: where the college's 版头 is."""
    paragraphs = list(doc.paragraphs)
    for section in doc.sections:
        paragraphs.extend(section.header.paragraphs)
    return [
        run.text
        for p in paragraphs
        for run in p.runs
        if run.font.color is not None and str(run.font.color.rgb) == "C00000"
    ]


def edited(template_bytes: bytes, extra: str) -> bytes:
    """What an office does in Word: the template with one more paragraph at the end."""
    doc = Document(io.BytesIO(template_bytes))
    doc.add_paragraph(extra)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def upload_template(client, kind: str, extra: str):
    """The office downloads the template of `kind` in use, adds `extra` in Word and uploads it."""
    from django.urls import reverse

    default = client.get(reverse("engine:document_template_download", args=[kind]))
    assert default.status_code == 200, default.status_code
    f = io.BytesIO(edited(default.content, extra))
    f.name = f"{kind}.docx"
    return client.post(TEMPLATES_PAGE, {"kind": kind, "note": "本校版式", "file": f})
