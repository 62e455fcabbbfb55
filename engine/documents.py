"""Word and Excel files as the college hands them on: A4 pages with the official margins, and
downloads named for what they hold.

python-docx starts from US Letter with one-inch margins; every document the product writes starts
here instead. The margins are those of the national layout for official documents (GB/T
9704-2012: top 37 mm, bottom 35 mm, left 28 mm, right 26 mm); wide tables turn the page to
landscape and keep the same margins, turned with it.
"""

import re
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Mm

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"docx": DOCX, "xlsx": XLSX}

A4_WIDTH, A4_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}


def new_document(*, landscape: bool = False) -> Document:
    doc = Document()
    for section in doc.sections:
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = A4_HEIGHT, A4_WIDTH
            # Turned with the page: the binding edge (left in portrait) is now at the top.
            section.top_margin, section.bottom_margin = MARGINS["left"], MARGINS["right"]
            section.left_margin, section.right_margin = MARGINS["top"], MARGINS["bottom"]
        else:
            section.orientation = WD_ORIENT.PORTRAIT
            section.page_width, section.page_height = A4_WIDTH, A4_HEIGHT
            section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
            section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    return doc


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def file_name(*parts, ext: str) -> str:
    """“改进台账-软件技术-2026.docx”: the parts that are there, joined, safe on every system."""
    stem = "-".join(_UNSAFE.sub("_", str(p)).strip() for p in parts if p not in (None, ""))
    return f"{stem}.{ext}"


def _disposition(filename: str) -> str:
    # RFC 6266: an ASCII fallback for old clients, the UTF-8 name for everyone else.
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# Every download the product serves is named and typed here (tests/engine/test_downloads.py walks
# them all): a person's browser saves it under a name that says what it is.
def download(content: bytes, filename: str, content_type: str | None = None) -> HttpResponse:
    ext = filename.rsplit(".", 1)[-1]
    response = HttpResponse(content, content_type=content_type or CONTENT_TYPES[ext])
    response["Content-Disposition"] = _disposition(filename)
    return response


def download_file(fileobj, filename: str, content_type: str | None = None) -> FileResponse:
    ext = filename.rsplit(".", 1)[-1]
    response = FileResponse(fileobj, content_type=content_type or CONTENT_TYPES.get(ext))
    response["Content-Disposition"] = _disposition(filename)
    return response
