"""Office files that carry their author's identity everywhere an outside probe found it (and
everywhere mat2 looks): core, app and custom properties, custom XML, embedded pictures with EXIF
and their file names, the template path, comment and people lists, revision-session ids,
printer settings, thumbnails, linked files. Each planted value is unique, so a test can search
the cleaned bytes for it."""

from __future__ import annotations

import io
import re
import struct
import zipfile

ARTIST = "Artist-Zhang-San"
CAMERA = "ZhangCam-Model-Z7"
PICTURE_NAME = "evidence_zhangsan.jpg"
TEMPLATE_PATH = r"C:\Users\zhangsan\AppData\Roaming\Microsoft\Templates\Normal.dotm"
APP_TEMPLATE = "zhangsan-template.dotm"
COMPANY = "Zhangsan-Company-Ltd"
MANAGER = "Zhangsan-Manager"
AUTHOR = "Author-Zhang-San"
CATEGORY = "Category-Zhangsan"
CONTENT_STATUS = "Status-Zhangsan"
IDENTIFIER = "Identifier-Zhangsan"
CUSTOM_PROPERTY = "ZHANGSAN-PC"
CUSTOM_XML = "CustomXml-Zhangsan"
PERSON = "People-Zhangsan"
PERSON_ID = "zhangsan@corp.example.cn"
COMMENT_AUTHOR = "Comment-Zhang-San"
PRINTER = "Printer-Zhangsan-Office"
LINKED_FILE = "file:///C:/Users/zhangsan/Pictures/linked.jpg"
RSID = "00ZS1234"
WORKBOOK_PATH = "C:\\Users\\zhangsan\\Documents\\"
SHARED_BY = "Share-Zhangsan"
KEPT_LINK = "https://example.org/evidence"

DOCX_SECRETS = [
    ARTIST,
    CAMERA,
    PICTURE_NAME,
    "evidence_zhangsan",
    "zhangsan\\AppData",
    APP_TEMPLATE,
    COMPANY,
    MANAGER,
    AUTHOR,
    CATEGORY,
    CONTENT_STATUS,
    IDENTIFIER,
    CUSTOM_PROPERTY,
    CUSTOM_XML,
    PERSON,
    PERSON_ID,
    COMMENT_AUTHOR,
    PRINTER,
    LINKED_FILE,
    RSID,
]
XLSX_SECRETS = [ARTIST, CAMERA, PICTURE_NAME, AUTHOR, COMMENT_AUTHOR, WORKBOOK_PATH, SHARED_BY]

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_R = "http://schemas.openxmlformats.org/package/2006/relationships"


def jpeg_with_exif(color=(30, 120, 200), size=(40, 30)) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "ZhangCam"  # Make
    exif[0x0110] = CAMERA  # Model
    exif[0x013B] = ARTIST  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (39.0, 54.0, 27.0)
    gps[3], gps[4] = "E", (116.0, 23.0, 17.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=ARTIST.encode())
    return out.getvalue()


def _rewrite(data: bytes, changes: dict, add: dict) -> bytes:
    """A copy of a zip with parts changed (name -> function of bytes) and parts added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename in changes:
                content = changes[info.filename](content)
            target.writestr(info.filename, content)
        for name, content in add.items():
            target.writestr(name, content)
    return out.getvalue()


def _insert_before(closing: bytes, extra: bytes):
    return lambda content: content.replace(closing, extra + closing, 1)


def _relationship(rid, rel_type, target, external=False) -> bytes:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{R}/{rel_type}" Target="{target}"{mode}/>'.encode()


def docx_with_identity() -> bytes:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.author = props.last_modified_by = AUTHOR
    props.category, props.content_status, props.identifier = CATEGORY, CONTENT_STATUS, IDENTIFIER
    paragraph = document.add_paragraph("经费使用情况说明")
    document.add_comment(paragraph.runs, text="见附件", author=COMMENT_AUTHOR, initials="ZS")
    document.add_picture(io.BytesIO(jpeg_with_exif()))
    document.add_paragraph("链接：")
    out = io.BytesIO()
    document.save(out)

    def document_xml(content: bytes) -> bytes:
        content = re.sub(
            rb'(<pic:cNvPr id="\d+" name=")[^"]*"', rb"\1" + PICTURE_NAME.encode() + b'"', content
        )
        content = re.sub(
            rb"(<wp:docPr [^>]*?)(/?>)", rb'\1 descr="' + PICTURE_NAME.encode() + rb'"\2', content
        )
        content = content.replace(
            b"<w:p>", f'<w:p w:rsidR="{RSID}" w:rsidRDefault="{RSID}">'.encode(), 1
        )
        hyperlink = (
            b'<w:p><w:hyperlink r:id="rIdLink"><w:r><w:t>evidence</w:t></w:r></w:hyperlink></w:p>'
        )
        return content.replace(b"<w:sectPr", hyperlink + b"<w:sectPr", 1)

    def settings_xml(content: bytes) -> bytes:
        content = re.sub(
            rb"(<w:settings [^>]*>)",
            rb'\1<w:attachedTemplate r:id="rIdTpl"/>',
            content,
            count=1,
        )
        return content.replace(
            b"</w:settings>",
            f'<w:rsids><w:rsidRoot w:val="{RSID}"/><w:rsid w:val="{RSID}"/></w:rsids>'
            "</w:settings>".encode(),
        )

    def app_xml(content: bytes) -> bytes:
        content = re.sub(
            rb"<Template>[^<]*</Template>", f"<Template>{APP_TEMPLATE}</Template>".encode(), content
        )
        return content.replace(
            b"</Properties>",
            f"<Company>{COMPANY}</Company><Manager>{MANAGER}</Manager></Properties>".encode(),
        )

    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
        ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Machine">'
        f"<vt:lpwstr>{CUSTOM_PROPERTY}</vt:lpwstr></property></Properties>"
    )
    people = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
        f'<w15:person w15:author="{PERSON}"><w15:presenceInfo w15:providerId="AD" '
        f'w15:userId="{PERSON_ID}"/></w15:person></w15:people>'
    )
    settings_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="{PACKAGE_R}">'
        + _relationship(
            "rIdTpl", "attachedTemplate", f"file:///{TEMPLATE_PATH}", external=True
        ).decode()
        + "</Relationships>"
    )
    overrides = (
        b'<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.custom-properties+xml"/><Override PartName="/word/people.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml"/>'
        b'<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.'
        b'wordprocessingml.printerSettings"/>'
    )
    return _rewrite(
        out.getvalue(),
        {
            "word/document.xml": document_xml,
            "word/settings.xml": settings_xml,
            "docProps/app.xml": app_xml,
            "customXml/item1.xml": lambda c: f"<data>{CUSTOM_XML}</data>".encode(),
            "docProps/thumbnail.jpeg": lambda c: jpeg_with_exif(),
            "[Content_Types].xml": _insert_before(b"</Types>", overrides),
            "_rels/.rels": _insert_before(
                b"</Relationships>",
                _relationship("rIdCustom", "custom-properties", "docProps/custom.xml"),
            ),
            "word/_rels/document.xml.rels": _insert_before(
                b"</Relationships>",
                _relationship("rIdPeople", "people", "people.xml")
                + _relationship("rIdLinked", "image", LINKED_FILE, external=True)
                + _relationship("rIdLink", "hyperlink", KEPT_LINK, external=True),
            ),
        },
        {
            "docProps/custom.xml": custom,
            "word/people.xml": people,
            "word/_rels/settings.xml.rels": settings_rels,
            "word/printerSettings/printerSettings1.bin": PRINTER.encode("utf-16-le") + b"\0" * 64,
        },
    )


def xlsx_with_identity() -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image as SheetImage

    workbook = Workbook()
    workbook.properties.creator = workbook.properties.lastModifiedBy = AUTHOR
    sheet = workbook.active
    sheet["A1"] = "经费"
    sheet["A1"].comment = Comment("见附件", COMMENT_AUTHOR)
    sheet.add_image(SheetImage(io.BytesIO(jpeg_with_exif())), "C3")
    out = io.BytesIO()
    workbook.save(out)

    def workbook_xml(content: bytes) -> bytes:
        plant = (
            f'<fileSharing userName="{SHARED_BY}"/>'
            '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/'
            '2006"><mc:Choice Requires="x15"><x15ac:absPath xmlns:x15ac="http://schemas.microsoft.'
            f'com/office/spreadsheetml/2010/11/ac" url="{WORKBOOK_PATH}"/></mc:Choice>'
            "</mc:AlternateContent>"
        ).encode()
        return re.sub(
            rb"(<workbook [^>]*>)", rb"\1" + plant.replace(b"\\", b"\\\\"), content, count=1
        )

    def drawing_xml(content: bytes) -> bytes:
        return re.sub(
            rb'(<cNvPr id="\d+" name=")[^"]*"', rb"\1" + PICTURE_NAME.encode() + b'"', content
        )

    return _rewrite(
        out.getvalue(),
        {"xl/workbook.xml": workbook_xml, "xl/drawings/drawing1.xml": drawing_xml},
        {},
    )


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    return _rewrite(data, {}, {name: content})


def zip_bomb_docx(path, megabytes: int = 512) -> None:
    """A small .docx (about 0.5 MB) holding a part that inflates to `megabytes` MB of zeros."""
    import docx

    base = io.BytesIO()
    docx.Document().save(base)
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info))
        zeros = b"\0" * 2**20
        with out.open("word/media/zeros.bin", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(zeros)


def corrupt_docx() -> bytes:
    """A .docx whose directory is fine but whose document part does not inflate."""
    import docx

    base = io.BytesIO()
    docx.Document().save(base)
    data = bytearray(base.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    offset = info.header_offset
    name_length, extra_length = struct.unpack("<HH", bytes(data[offset + 26 : offset + 30]))
    start = offset + 30 + name_length + extra_length
    for i in range(start + 10, start + min(info.compress_size, 200)):
        data[i] ^= 0x5A
    return bytes(data)
