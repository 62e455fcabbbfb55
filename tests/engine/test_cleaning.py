"""The engine's one cleaner (engine/cleaning.py) and the zip checks in front of it
(engine/archives.py): every identity item planted in an Office file is gone, the file still
opens, and archives that inflate too far are refused before they are read."""

import io
import posixpath
import re
import struct
import zipfile

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from engine import archives, cleaning
from tests.engine import office_files as of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _clean(data: bytes, mime=DOCX, strict=True) -> bytes:
    return cleaning.clean(io.BytesIO(data), mime, strict=strict).read()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _found(parts: dict[str, bytes], value: str) -> list[str]:
    needles = (value.encode(), value.encode("utf-16-le"), value.replace("\\", "\\\\").encode())
    return [name for name, content in parts.items() if any(n in content for n in needles)]


@pytest.fixture(scope="module")
def docx_planted():
    return of.docx_with_identity()


@pytest.fixture(scope="module")
def docx_clean(docx_planted):
    return _clean(docx_planted)


@pytest.mark.parametrize("value", of.DOCX_SECRETS)
def test_docx_keeps_nothing_planted(docx_planted, docx_clean, value):
    assert _found(_parts(docx_planted), value), "the sample must carry it"
    assert not _found(_parts(docx_clean), value)


@pytest.mark.parametrize("value", of.XLSX_SECRETS)
def test_xlsx_keeps_nothing_planted(value):
    planted = of.xlsx_with_identity()
    assert _found(_parts(planted), value), "the sample must carry it"
    assert not _found(_parts(_clean(planted, XLSX)), value)


# What mat2 (libmat2/office.py) removes from Office files, each a case.
MAT2_CASES = {
    "custom properties": lambda p: "docProps/custom.xml" not in p,
    "custom XML": lambda p: not any(n.startswith("customXml/") for n in p),
    "thumbnail": lambda p: not any(n.startswith("docProps/thumbnail") for n in p),
    "printer settings": lambda p: not any("printerSettings" in n for n in p),
    "people list": lambda p: "word/people.xml" not in p,
    "web settings": lambda p: "word/webSettings.xml" not in p,
    "revision session ids": lambda p: not any(re.search(rb"rsid", c) for c in p.values()),
    "attached template": lambda p: b"attachedTemplate" not in b"".join(p.values()),
    "core properties emptied": lambda p: (
        b"<dc:" not in p["docProps/core.xml"]
        and b"<cp:" not in p["docProps/core.xml"].split(b">", 2)[2]
    ),
    "app properties emptied": lambda p: (
        b"<Template>" not in p["docProps/app.xml"] and b"<Company>" not in p["docProps/app.xml"]
    ),
    "comment authors": lambda p: (
        b'w:author=""' in p["word/comments.xml"]
        and b'w:initials=""' in p["word/comments.xml"]
        and b"w:date" not in p["word/comments.xml"]
    ),
    "picture names": lambda p: (
        b'name="\xe5\x9b\xbe\xe7\x89\x87' in p["word/document.xml"]
        and b"descr=" not in p["word/document.xml"]
    ),
    "linked files": lambda p: b"about:blank" in p["word/_rels/document.xml.rels"],
    "no zip timestamps": lambda p: True,
}


@pytest.mark.parametrize("case", MAT2_CASES)
def test_docx_loses_what_mat2_removes(docx_planted, docx_clean, case):
    assert not MAT2_CASES[case](_parts(docx_planted)) or case == "no zip timestamps"
    assert MAT2_CASES[case](_parts(docx_clean))


def test_cleaned_parts_carry_no_timestamps_or_comments(docx_clean):
    with zipfile.ZipFile(io.BytesIO(docx_clean)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert not archive.comment and not any(i.extra for i in archive.infolist())


def test_cleaned_package_has_no_dangling_references(docx_clean):
    parts = _parts(docx_clean)
    types = parts["[Content_Types].xml"].decode()
    for part_name in re.findall(r'PartName="/([^"]+)"', types):
        assert part_name in parts, part_name
    for name, content in parts.items():
        if not name.endswith(".rels"):
            continue
        folder, base = posixpath.split(name)
        source = posixpath.join(posixpath.dirname(folder), base[:-5])
        for target, mode in re.findall(
            r'Target="([^"]*)"(?: TargetMode="(\w+)")?', content.decode()
        ):
            if mode != "External":
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
                assert resolved.lstrip("/") in parts, (name, target)
    assert of.KEPT_LINK.encode() in parts["word/_rels/document.xml.rels"]


def test_cleaned_docx_still_opens_with_its_text_picture_link_and_comment(docx_clean):
    import docx

    document = docx.Document(io.BytesIO(docx_clean))
    assert [p.text for p in document.paragraphs if p.text][:1] == ["经费使用情况说明"]
    assert len(document.inline_shapes) == 1
    assert any(c.text == "见附件" for c in document.comments)
    assert document.core_properties.author == ""


def test_cleaned_xlsx_still_opens_with_its_cells_comment_and_picture():
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(_clean(of.xlsx_with_identity(), XLSX)))
    cell = workbook.active["A1"]
    assert cell.value == "经费" and cell.comment.text == "见附件"
    assert of.COMMENT_AUTHOR not in str(cell.comment.author)
    assert len(workbook.active._images) == 1
    assert workbook.properties.creator != of.AUTHOR  # openpyxl fills in its own name


@pytest.mark.parametrize("builder", [of.docx_with_identity, of.xlsx_with_identity])
def test_embedded_pictures_are_re_encoded_without_metadata(builder):
    mime = DOCX if builder is of.docx_with_identity else XLSX
    pictures = {n: c for n, c in _parts(_clean(builder(), mime)).items() if "/media/" in n}
    assert pictures
    for content in pictures.values():
        with Image.open(io.BytesIO(content)) as image:
            assert not image.getexif()
            assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
            assert image.size == (40, 30)


def test_picture_orientation_is_applied_before_exif_goes():
    image = Image.new("RGB", (40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    with Image.open(io.BytesIO(cleaning.clean_image(out.getvalue()))) as cleaned:
        assert cleaned.size == (20, 40) and not cleaned.getexif()


def test_embedded_workbook_is_cleaned_too():
    data = of.with_part(
        of.docx_with_identity(),
        "word/embeddings/Microsoft_Excel_Worksheet1.xlsx",
        of.xlsx_with_identity(),
    )
    parts = _parts(_clean(data))
    inner = _parts(parts["word/embeddings/Microsoft_Excel_Worksheet1.xlsx"])
    for value in of.XLSX_SECRETS:
        assert not _found(inner, value)


def test_object_that_cannot_be_cleaned_is_refused_when_strict_and_kept_otherwise():
    data = of.with_part(of.docx_with_identity(), "word/embeddings/oleObject1.bin", b"\xd0\xcf" * 9)
    with pytest.raises(cleaning.Uncleanable) as err:
        _clean(data, strict=True)
    assert ".bin" in err.value.messages[0]
    assert "word/embeddings/oleObject1.bin" in _parts(_clean(data, strict=False))


def _emf(description: str) -> bytes:
    """An enhanced metafile: its 88-byte header with a description, and the end-of-file record."""
    text = description.encode("utf-16-le")
    size = 88 + len(text)
    header = struct.pack(
        "<II4i4i4sIIIHHIII2i2i",
        1,  # EMR_HEADER
        size,
        *(0, 0, 10, 10),
        *(0, 0, 100, 100),
        b" EMF",
        0x10000,
        size + 20,
        2,
        1,
        0,
        len(description),
        88,
        0,
        *(1024, 768),
        *(320, 240),
    )
    assert len(header) == 88
    return header + text + struct.pack("<IIIII", 14, 20, 0, 0, 20)


def test_emf_description_is_blanked_in_place_and_wmf_kept():
    emf = _emf("Microsoft Office\0C:\\Users\\zhangsan\\evidence.png\0\0")
    data = of.with_part(of.docx_with_identity(), "word/media/image9.emf", emf)
    data = of.with_part(data, "word/media/image8.wmf", b"\xd7\xcd\xc6\x9a" + b"\0" * 40)
    parts = _parts(_clean(data, strict=True))
    cleaned = parts["word/media/image9.emf"]
    assert len(cleaned) == len(emf) and cleaned[:88] == emf[:88]
    assert "zhangsan".encode("utf-16-le") not in cleaned and cleaned.endswith(emf[-20:])
    assert parts["word/media/image8.wmf"].startswith(b"\xd7\xcd\xc6\x9a")
    assert cleaning.blank_emf_description(b"not an emf") == b"not an emf"


def test_pictures_inside_a_pdf_lose_their_exif_and_comments_losslessly():
    from pypdf import PdfReader

    picture = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = "zhangsan"  # Artist
    exif[0x0131] = "Camera App 1.0"  # Software
    pdf = io.BytesIO()
    picture.save(pdf, "PDF", exif=exif.tobytes(), comment=b"taken by lisi")
    assert b"zhangsan" in pdf.getvalue() and b"lisi" in pdf.getvalue()
    cleaned = cleaning.clean_pdf(pdf.getvalue())
    for secret in (b"zhangsan", b"lisi", b"Camera App", b"Exif"):
        assert secret not in cleaned
    before = PdfReader(io.BytesIO(pdf.getvalue())).pages[0].images[0]
    after = PdfReader(io.BytesIO(cleaned)).pages[0].images[0]
    assert after.image.size == (40, 30)
    assert after.image.tobytes() == before.image.tobytes()  # the same pixels: not re-encoded


def test_jpeg_strip_keeps_colour_segments_and_leaves_what_does_not_parse():
    data = of.jpeg_with_exif()
    stripped = cleaning.strip_jpeg_metadata(data)
    assert b"Exif" in data and b"Exif" not in stripped
    with Image.open(io.BytesIO(stripped)) as image:
        assert not image.getexif() and image.size == (40, 30)
    adobe = b"\xff\xd8\xff\xee\x00\x0eAdobe\x00d\x00\x00\x00\x00\x01" + b"\xff\xda" + b"xx"
    assert cleaning.strip_jpeg_metadata(adobe) == adobe
    assert cleaning.strip_jpeg_metadata(b"\xff\xd8garbage") == b"\xff\xd8garbage"


def test_old_office_files_are_refused_only_when_strict():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    with pytest.raises(cleaning.Uncleanable):
        cleaning.clean(io.BytesIO(ole), cleaning.OLE, strict=True)
    assert cleaning.clean(io.BytesIO(ole), cleaning.OLE).read() == ole


def test_pdf_that_cannot_be_rewritten_is_refused_only_when_strict():
    damaged = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    with pytest.raises(ValidationError):
        cleaning.clean(io.BytesIO(damaged), "application/pdf", strict=True)
    assert cleaning.clean(io.BytesIO(damaged), "application/pdf").read() == damaged


def test_xml_with_a_dtd_is_refused_not_expanded():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><d>&b;</d>'
    )
    data = of.with_part(of.docx_with_identity(), "word/laughs.xml", laughs)
    with pytest.raises(ValidationError):
        _clean(data)


def test_large_picture_is_refused_before_its_pixels_are_decoded(settings):
    settings.UPLOAD_IMAGE_MAX_PIXELS = 1000
    with pytest.raises(ValidationError) as err:
        cleaning.clean_image(of.jpeg_with_exif())
    assert err.value.code == "image_too_large"


# --- the zip checks ------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_directory_check_refuses_too_many_entries(settings):
    settings.UPLOAD_ZIP_MAX_ENTRIES = 50
    data = _zip({f"word/part{i}.xml": b"<a/>" for i in range(51)})
    with pytest.raises(archives.ArchiveRefused):
        archives.check_archive(io.BytesIO(data))


def test_directory_check_refuses_too_much_in_all(settings):
    settings.UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES = 100_000
    data = _zip({f"word/part{i}.xml": bytes(range(256)) * 100 for i in range(5)})
    with pytest.raises(archives.ArchiveRefused):
        archives.check_archive(io.BytesIO(data))


def test_directory_check_refuses_a_part_that_inflates_too_far(settings):
    settings.UPLOAD_ZIP_MAX_RATIO = 100
    data = _zip({"word/media/zeros.bin": b"\0" * 3 * 2**20})
    assert len(data) < 2**20 / 100
    with pytest.raises(archives.ArchiveRefused):
        archives.check_archive(io.BytesIO(data))


def test_other_errors_use_the_callers_exception_type(settings):
    settings.UPLOAD_ZIP_MAX_ENTRIES = 1

    class ImportProblem(Exception):
        pass

    with pytest.raises(ImportProblem):
        archives.check_archive(io.BytesIO(_zip({"a": b"", "b": b""})), error=ImportProblem)
    archives.check_archive(io.BytesIO(b"not a zip at all"), error=ImportProblem)


def test_a_directory_that_lies_about_sizes_does_not_inflate_more(settings):
    """The central directory claims 1 KB for a part holding 2 MB: reading stops at the claimed
    size and the file is refused as unreadable, never inflated whole."""
    data = bytearray(of.with_part(of.docx_with_identity(), "word/media/zeros.xml", b" " * 2**21))
    position = bytes(data).rfind(b"word/media/zeros.xml")  # its central directory entry
    entry = bytes(data).rfind(b"PK\x01\x02", 0, position)
    struct.pack_into("<I", data, entry + 24, 1024)
    with pytest.raises(ValidationError) as err:
        _clean(bytes(data))
    assert err.value.code in ("unreadable", "archive_too_large")


def test_the_running_budget_stops_reading_once_spent(settings):
    settings.UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES = 10_000
    data = _zip({"a.bin": bytes(range(256)) * 200})
    budget = archives.Budget()
    budget.bytes = 1000  # as if the directory check had been passed with less
    with zipfile.ZipFile(io.BytesIO(data)) as archive, pytest.raises(archives.ArchiveRefused):
        archives.read_member(archive, archive.infolist()[0], budget)


# --- the XML filter on parts the samples above do not have (PowerPoint, VML) --------------------


def _filter(xml: str, **options) -> str:
    out = io.BytesIO()
    options.setdefault("dropped", set())
    options.setdefault("removed_ids", set())
    cleaning.XmlFilter(out.write, **options).run([xml.encode()])
    return out.getvalue().decode()


def test_powerpoint_comment_authors_and_shape_names_are_blanked():
    authors = _filter(
        '<p:cmAuthorLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
        '<p:cmAuthor id="1" name="Zhang San" initials="ZS" lastIdx="1" clrIdx="0"/>'
        "</p:cmAuthorLst>"
    )
    assert "Zhang" not in authors and 'name=""' in authors and 'lastIdx="1"' in authors
    slide = _filter(
        '<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
        '<p:cNvPr id="4" name="zhangsan_photo.png" descr="拍摄于张三家" title="t"/></p:sld>'
    )
    assert "zhangsan" not in slide and "张三" not in slide
    assert 'name="图片 4"' in slide and "descr" not in slide


def test_vml_picture_titles_are_dropped():
    vml = _filter(
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:'
        'office"><v:shape alt="zhangsan.jpg"><v:imagedata o:title="zhangsan" o:relid="rId1"/>'
        "</v:shape></xml>"
    )
    assert "zhangsan" not in vml and 'o:relid="rId1"' in vml


def test_references_to_removed_relationships_are_dropped_and_text_is_kept_escaped():
    sheet = _filter(
        '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<c t="inlineStr"><is><t>A &amp; B &lt; "C"</t></is></c>'
        '<pageSetup r:id="rId9" orientation="landscape"/></worksheet>',
        removed_ids={"rId9"},
    )
    assert "rId9" not in sheet and 'orientation="landscape"' in sheet
    assert 'A &amp; B &lt; "C"' in sheet


def test_excel_comment_author_list_is_emptied():
    comments = _filter(
        '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors>'
        "<author>Zhang San</author></authors><commentList/></comments>"
    )
    assert "Zhang" not in comments and "<author/>" in comments
