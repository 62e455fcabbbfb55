"""The one metadata cleaner every upload path uses: what could name or locate the author of an
image, a PDF or an Office Open XML file (.docx/.xlsx/.pptx) is removed before it is stored.

Office files are walked part by part, never unpacked whole: XML parts go through a streaming
filter (expat), pictures are re-encoded from their pixels, and what cannot be cleaned is refused
(`strict`, for people who must stay unidentifiable) or kept as given. The list of parts and
fields follows mat2 (libmat2/office.py), see README "Uploads and metadata"."""

from __future__ import annotations

import io
import posixpath
import re
import struct
import tempfile
import zipfile
import zlib
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import archives

OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE = "application/x-ole-storage"
IMAGES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
SPOOL_BYTES = 8 * 1024 * 1024

# Parts dropped whole (after mat2's files_to_omit): custom properties and custom XML (free-form,
# often a user or machine name), thumbnails (a picture with its own metadata), printer settings
# (printer and server names), the list of people who commented, building-block glossaries,
# sensitivity labels (the organisation's tenant id), deleted parts.
DROP_PARTS = re.compile(
    r"^(\[trash\]/|customXml/|docProps/custom\.xml$|docProps/thumbnail\.|"
    r"(word|ppt|xl)/printerSettings/|(word|ppt|xl)/people\.xml$|(word|ppt|xl)/glossary/|"
    r"(word|ppt|xl)/webSettings\.xml$|docMetadata/LabelInfo\.xml$)",
    re.I,
)
CORE_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    b'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.'
    b'org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>'
)
APP_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-'
    b'properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"</Properties>"
)
XML_EXT = (".xml", ".rels", ".vml", ".svg")
PICTURE_EXT = (".png", ".jpg", ".jpeg", ".jpe", ".gif", ".tif", ".tiff", ".webp", ".bmp")
OFFICE_EXT = (".docx", ".xlsx", ".pptx", ".docm", ".xlsm", ".pptm")
# Binary parts with nothing of the author in them: Windows metafiles (vector pictures whose
# bitmaps are DIBs, which carry no EXIF; kept, as dropping them would break the drawings they
# are) and (obfuscated) fonts. An enhanced metafile's header has one free text, its description,
# which Office fills with the program and often the source file's name: it is blanked.
HARMLESS_EXT = (".wmf", ".odttf", ".fntdata", ".ttf", ".otf")
EMF_EXT = ".emf"

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
VML_NS = "urn:schemas-microsoft-com:vml"
OFFICE_NS = "urn:schemas-microsoft-com:office:office"
# Attributes that hold a person (comment and revision authors, co-authoring ids, the user who
# shared a workbook) and the time they acted.
PERSON_ATTRS = {
    "author",
    "initials",
    "userId",
    "providerId",
    "displayName",
    "lastModifiedBy",
    "userName",
}
# What makes an element worth a closer look (the rest is copied as parsed).
WATCHED_ATTRS = PERSON_ATTRS | {"date", "title", "alt", "Target"}
SPECIAL_ELEMENTS = {"cNvPr", "docPr", "cmAuthor", "author", "Relationship"}
# Elements dropped with their content, besides w:rsid* ones (revision-session ids tie edits to
# one machine and session): the template the document was made from (a path under the author's
# profile), a workbook's last saved folder, document variables (free-form).
DROP_ELEMENTS = {"attachedTemplate", "absPath", "docVars"}
SVG_DROP_ELEMENTS = {"metadata"}
# Elements whose text is a person: Excel's comment author list.
PERSON_TEXT = {"author"}
WEB_SCHEMES = ("http://", "https://", "mailto:")
NEUTRAL_TARGET = "about:blank"


class Uncleanable(ValidationError):
    pass


def _unreadable(kind: str) -> ValidationError:
    messages = {
        "office": _("The document could not be read."),
        "image": _("The image could not be read."),
        "pdf": _("The PDF file could not be read."),
    }
    return ValidationError(messages[kind], code="unreadable")


# --- entry point ----------------------------------------------------------------------------------


def check_cleanable(mime: str) -> None:
    """Refuse before anything is stored what cannot be cleaned at all."""
    if mime == OLE:
        raise Uncleanable(
            _(
                "Old Office files (.doc/.xls/.ppt) can carry the author's name and cannot be "
                "cleaned. Please save the file as .docx/.xlsx/.pptx or PDF."
            ),
            code="uncleanable",
        )


def clean(file, mime: str, *, strict: bool = False):
    """A cleaned copy of `file` (a readable, seekable binary file) as a file positioned at 0.

    strict: refuse what cannot be cleaned (old Office files, embedded objects of unknown kinds)
    instead of keeping it as given."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open
    file.seek(0)
    if mime in IMAGES:
        out.write(clean_image(file.read(settings.MAX_UPLOAD_BYTES + 1)))
    elif mime in OOXML:
        try:
            with zipfile.ZipFile(file) as archive:
                _clean_package(archive, out, archives.Budget(), strict=strict, depth=0)
        except (ValidationError, MemoryError):
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            KeyError,
            OSError,
            ValueError,
            RuntimeError,
            EOFError,
        ) as exc:
            raise _unreadable("office") from exc
    elif mime == "application/pdf":
        data = file.read(settings.MAX_UPLOAD_BYTES + 1)
        try:
            out.write(clean_pdf(data))
        except ValidationError:
            if strict:
                raise
            # Best effort: a PDF pypdf cannot rewrite (damaged, encrypted) is kept as given.
            out.write(data)
    else:
        if strict:
            check_cleanable(mime)
        while chunk := file.read(archives.CHUNK):
            out.write(chunk)
    out.seek(0)
    return out


# --- images ---------------------------------------------------------------------------------------


def clean_image(data: bytes) -> bytes:
    """The pixels only, in the same format: EXIF (GPS, camera, artist), XMP, ICC profile,
    comments and text chunks stay behind. The orientation kept in EXIF is applied first."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > settings.UPLOAD_IMAGE_MAX_PIXELS:
                raise ValidationError(
                    _("The image has more than %(mp)d million pixels.")
                    % {"mp": settings.UPLOAD_IMAGE_MAX_PIXELS // 1_000_000},
                    code="image_too_large",
                )
            fmt = image.format
            image.load()
            upright = ImageOps.exif_transpose(image)
            clean = Image.new(upright.mode, upright.size)
            if upright.mode == "P" and upright.getpalette():
                clean.putpalette(upright.getpalette())
            clean.paste(upright)
            out = io.BytesIO()
            options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
            clean.save(out, format=fmt, **options)
            return out.getvalue()
    except ValidationError:
        raise
    except (
        OSError,
        ValueError,
        SyntaxError,
        KeyError,
        zlib.error,
        Image.DecompressionBombError,
    ) as exc:
        raise _unreadable("image") from exc


# --- PDF ------------------------------------------------------------------------------------------


def clean_pdf(data: bytes) -> bytes:
    """Without the document information dictionary and XMP metadata (document and pages)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError(_("Encrypted PDF files are not accepted."), code="encrypted")
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        writer._root_object.pop("/Metadata", None)
        seen: set[int] = set()
        for page in writer.pages:
            page.pop("/Metadata", None)
            page.pop("/PieceInfo", None)
            _clean_pdf_pictures(page.get("/Resources"), seen)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except ValidationError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise _unreadable("pdf") from exc


# JPEG segments that describe the picture's making, not its pixels: EXIF and XMP (APP1: camera,
# GPS, artist, software), Photoshop/IPTC (APP13: author, caption), vendor blocks (APP3–APP12,
# APP15) and comments. JFIF (APP0), the ICC profile (APP2) and Adobe's colour transform (APP14)
# stay: without them colours change.
JPEG_DROP = {0xE1, *range(0xE3, 0xEE), 0xEF, 0xFE}
JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def strip_jpeg_metadata(data: bytes) -> bytes:
    """The JPEG without its metadata segments, the compressed pixels untouched (lossless). A
    stream that does not parse as JPEG segments is returned as it is (the decoder will judge)."""
    if data[:2] != b"\xff\xd8":
        return data
    kept, i = [data[:2]], 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return data
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is the picture
            kept.append(data[i:])
            return b"".join(kept)
        if marker in JPEG_STANDALONE:
            kept.append(data[i : i + 2])
            i += 2
            continue
        end = i + 2 + int.from_bytes(data[i + 2 : i + 4], "big")
        if marker not in JPEG_DROP:
            kept.append(data[i:end])
        i = end
    return data


def _clean_pdf_pictures(resources, seen: set[int]) -> None:
    """JPEG pictures (DCTDecode) carry their camera's EXIF into a PDF: strip it from every
    picture a page or its forms draw. pypdf has no public way to set the raw data of a stream
    that is not Flate-encoded; `_data` is its one attribute for it (tests/engine/test_cleaning.py
    fails if that changes)."""
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if resources is not None else None
    if xobjects is None:
        return
    for ref in xobjects.get_object().values():
        xobject = ref.get_object()
        if id(xobject) in seen:
            continue
        seen.add(id(xobject))
        if xobject.get("/Subtype") == "/Form":
            _clean_pdf_pictures(xobject.get("/Resources"), seen)
        elif xobject.get("/Subtype") == "/Image" and xobject.get("/Filter") in (
            "/DCTDecode",
            ["/DCTDecode"],
        ):
            xobject._data = strip_jpeg_metadata(xobject._data)


def blank_emf_description(data: bytes) -> bytes:
    """The enhanced metafile with its header's description (UTF-16 text: the program and the
    picture's name) overwritten by zeros in place, so no offset moves. Data that is not an EMF
    header is returned as it is."""
    if len(data) < 88 or data[40:44] != b" EMF":
        return data
    count, offset = struct.unpack_from("<II", data, 60)
    end = offset + 2 * count
    if not count or offset < 88 or end > len(data):
        return data
    return data[:offset] + bytes(end - offset) + data[end:]


# --- Office Open XML ------------------------------------------------------------------------------


def _ext(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def _rels_source(rels_name: str) -> str:
    """'word/_rels/document.xml.rels' -> 'word/document.xml'; '_rels/.rels' -> ''."""
    folder, base = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")]).lstrip("/")


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target)).lstrip("/")


def _clean_package(archive, out, budget, *, strict: bool, depth: int) -> None:
    archives.check_directory(archive, budget)
    infos = [i for i in archive.infolist() if not i.is_dir()]
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _unreadable("office")
    dropped = {n for n in names if DROP_PARTS.match(n)}
    # Relationship parts first: what they drop decides which r:id attributes the other parts
    # must lose, so that no part points at a relationship that is gone.
    rels_out: dict[str, bytes] = {}
    removed_ids: dict[str, set[str]] = {}
    for info in infos:
        if info.filename in dropped or not info.filename.endswith(".rels"):
            continue
        source = _rels_source(info.filename)
        removed = removed_ids.setdefault(source, set())
        buffer = io.BytesIO()
        XmlFilter(buffer.write, rels_source=source, dropped=dropped, removed_ids=removed).run(
            archives.iter_member(archive, info, budget)
        )
        rels_out[info.filename] = buffer.getvalue()
    order = sorted(infos, key=lambda i: i.filename != "[Content_Types].xml")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in order:
            name = info.filename
            if name in dropped:
                continue
            # No original timestamps, comments or extra fields travel with the parts.
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            ext = _ext(name)
            if name in rels_out:
                target.writestr(entry, rels_out[name])
            elif name.lower() == "docprops/core.xml":
                target.writestr(entry, CORE_XML)
            elif name.lower() == "docprops/app.xml":
                target.writestr(entry, APP_XML)
            elif (ext in XML_EXT or name == "[Content_Types].xml") and _needs_filter(
                archive, info, removed_ids.get(name, set())
            ):
                with target.open(entry, "w") as member:
                    XmlFilter(
                        member.write,
                        dropped=dropped,
                        removed_ids=removed_ids.get(name, set()),
                        content_types=name == "[Content_Types].xml",
                        svg=ext == ".svg",
                    ).run(archives.iter_member(archive, info, budget))
            elif ext in PICTURE_EXT:
                data = archives.read_member(archive, info, budget)
                target.writestr(entry, clean_image(data))
            elif ext == EMF_EXT:
                data = archives.read_member(archive, info, budget)
                target.writestr(entry, blank_emf_description(data))
            elif ext in OFFICE_EXT and depth == 0:
                with (
                    tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as inner,
                    tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as cleaned,
                ):
                    for chunk in archives.iter_member(archive, info, budget):
                        inner.write(chunk)
                    inner.seek(0)
                    with zipfile.ZipFile(inner) as nested:
                        _clean_package(nested, cleaned, budget, strict=strict, depth=1)
                    cleaned.seek(0)
                    with target.open(entry, "w") as member:
                        while chunk := cleaned.read(archives.CHUNK):
                            member.write(chunk)
            elif ext in XML_EXT or ext in HARMLESS_EXT or not strict:
                with target.open(entry, "w") as member:
                    for chunk in archives.iter_member(archive, info, budget):
                        member.write(chunk)
            else:
                raise Uncleanable(
                    _(
                        "The document contains an embedded object (%(kind)s) that cannot be "
                        "cleaned of its author's details. Please remove it, or send the "
                        "document as PDF."
                    )
                    % {"kind": ext or posixpath.basename(name)},
                    code="uncleanable",
                )


_TEXT_SPECIAL = re.compile(r"[&<>]")
_ATTR_SPECIAL = re.compile(r'[&<>"\n\r\t]')
# Anything the XML filter would change or drop; a part without any of these (most of a
# workbook's sheets) is copied as it is, without parsing it.
_WATCHED = re.compile(
    rb"rsid|author|initials|userId|providerId|displayName|lastModifiedBy|userName|cNvPr|docPr|"
    rb"title|alt=|absPath|docVars|attachedTemplate|<!|<\?(?!xml[ ?])|\x00"
)
_OVERLAP = 32


def _needs_filter(archive, info, removed_ids: set[str]) -> bool:
    """Scan a part for anything the filter acts on. Reading it twice costs little next to
    parsing it; the directory check already bounded what it can inflate to."""
    if removed_ids or info.filename == "[Content_Types].xml" or _ext(info.filename) == ".svg":
        return True
    tail = b""
    with archive.open(info) as member:
        while chunk := member.read(archives.CHUNK):
            if _WATCHED.search(tail + chunk):
                return True
            tail = chunk[-_OVERLAP:]
    return False


def _escape_text(text: str) -> str:
    if not _TEXT_SPECIAL.search(text):
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(text: str) -> str:
    if not _ATTR_SPECIAL.search(text):
        return text
    return (
        _escape_text(text)
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


class XmlFilter:
    """Re-serialises one XML part as it is parsed, chunk by chunk, leaving out what names or
    locates a person. Prefixes and namespace declarations are kept exactly (Office relies on
    mc:Ignorable naming them); comments, processing instructions and DTDs do not survive (a DTD
    is refused: no Office part has one, and entities are how XML bombs work)."""

    def __init__(
        self,
        write,
        *,
        dropped: set[str],
        removed_ids: set[str],
        rels_source: str | None = None,
        content_types: bool = False,
        svg: bool = False,
    ):
        self.write = write
        self.dropped = dropped
        self.removed_ids = removed_ids
        self.rels_source = rels_source
        self.content_types = content_types
        self.drop_elements = DROP_ELEMENTS | (SVG_DROP_ELEMENTS if svg else set())
        self.namespaces: list[dict[str, str] | None] = [None]
        self.skip = 0  # depth inside an element being dropped
        self.person_text = 0
        self.pending: list[str] = []
        self.open_tag = False  # the last thing emitted is a start tag: an empty element closes it

    def run(self, chunks) -> None:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.ordered_attributes = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.doctype
        self.emit('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n')
        try:
            for chunk in chunks:
                parser.Parse(chunk, False)
                self.flush()
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise _unreadable("office") from exc
        self.open_tag = False
        self.flush()

    def doctype(self, *args):
        raise _unreadable("office")

    def emit(self, text: str) -> None:
        self.pending.append(text)
        self.open_tag = False

    def flush(self) -> None:
        # A start tag still open stays behind: its element may turn out empty.
        held = [self.pending.pop()] if self.open_tag and self.pending else []
        if self.pending:
            self.write("".join(self.pending).encode("utf-8"))
        self.pending = held

    def _uri(self, qname: str, attribute: bool = False) -> str | None:
        if ":" in qname:
            prefix = qname.partition(":")[0]
        elif attribute:
            return None  # unprefixed attributes are in no namespace
        else:
            prefix = ""
        for scope in reversed(self.namespaces):
            if scope and prefix in scope:
                return scope[prefix]
        return None

    def start(self, name: str, attributes: list[str]) -> None:
        scope = None
        for i in range(0, len(attributes), 2):
            key = attributes[i]
            if key.startswith("xmlns") and (len(key) == 5 or key[5] == ":"):
                scope = scope or {}
                scope[key[6:]] = attributes[i + 1]
        self.namespaces.append(scope)
        if self.skip:
            self.skip += 1
            return
        local = name.rpartition(":")[2]
        if (
            local in self.drop_elements
            or local.startswith("rsid")
            or (local in ("Override", "Relationship") and self._drop_entry(local, attributes))
        ):
            self.skip += 1
            return
        if local in PERSON_TEXT and not attributes:
            self.person_text += 1
        parts = ["<", name]
        for key, value in self._attributes(name, local, attributes):
            parts.append(f' {key}="{_escape_attr(value)}"')
        parts.append(">")
        self.emit("".join(parts))
        self.open_tag = True

    def end(self, name: str) -> None:
        self.namespaces.pop()
        if self.skip:
            self.skip -= 1
            return
        if self.person_text and name.rpartition(":")[2] in PERSON_TEXT:
            self.person_text -= 1
        if self.open_tag:
            self.pending[-1] = self.pending[-1][:-1] + "/>"
            self.open_tag = False
        else:
            self.emit(f"</{name}>")

    def text(self, data: str) -> None:
        if self.skip or self.person_text:
            return
        self.emit(_escape_text(data))

    def _drop_entry(self, local: str, attributes: list[str]) -> bool:
        attrs = dict(zip(attributes[::2], attributes[1::2], strict=True))
        if self.content_types and local == "Override":
            return attrs.get("PartName", "").lstrip("/") in self.dropped
        if self.rels_source is not None and local == "Relationship":
            target = attrs.get("Target", "")
            external = attrs.get("TargetMode", "").lower() == "external"
            gone = attrs.get("Type", "").endswith("/attachedTemplate") or (
                not external and _resolve(self.rels_source, target) in self.dropped
            )
            if gone:
                self.removed_ids.add(attrs.get("Id", ""))
            return gone
        return False

    def _attributes(self, name: str, local: str, attributes: list[str]):
        keys = [k.rpartition(":")[2] for k in attributes[::2]]
        values = attributes[1::2]
        if (
            local not in SPECIAL_ELEMENTS
            and not any(k in WATCHED_ATTRS or k.startswith("rsid") for k in keys)
            and not (self.removed_ids and any(v in self.removed_ids for v in values))
        ):
            return zip(attributes[::2], values, strict=True)  # nothing to change: fast path
        has_person = any(k in PERSON_ATTRS for k in keys)
        kept = []
        for key, key_local, value in zip(attributes[::2], keys, values, strict=True):
            if key_local.startswith("rsid"):
                continue  # revision-session ids tie edits to one machine and session
            if key_local in PERSON_ATTRS:
                value = ""
            elif key_local == "date" and has_person:
                continue
            elif local in ("cNvPr", "docPr") and key_local in ("descr", "title"):
                continue  # the picture's original file name or the author's caption
            elif local in ("cNvPr", "docPr") and key_local == "name":
                number = dict(zip(keys, values, strict=True)).get("id", "")
                value = f"图片 {number}".strip()
            elif local in ("cmAuthor", "author") and key_local == "name":
                value = ""
            elif self._dropped_attribute(name, key, key_local, value):
                continue
            elif local == "Relationship" and key == "Target" and self._local_path(keys, values):
                # A linked file, template or workbook: its path names the author's folders.
                value = NEUTRAL_TARGET
            kept.append((key, value))
        return kept

    def _local_path(self, keys, values) -> bool:
        attrs = dict(zip(keys, values, strict=True))
        return (
            self.rels_source is not None
            and attrs.get("TargetMode", "").lower() == "external"
            and not attrs.get("Target", "").lower().startswith(WEB_SCHEMES)
        )

    def _dropped_attribute(self, name: str, key: str, key_local: str, value: str) -> bool:
        # A VML picture's title and alternative text: its original file name.
        if key_local in ("title", "alt") and (
            self._uri(name) == VML_NS or self._uri(key, attribute=True) == OFFICE_NS
        ):
            return True
        # A reference to a relationship that was removed with its part.
        return value in self.removed_ids and self._uri(key, attribute=True) == REL_NS
