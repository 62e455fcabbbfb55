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
