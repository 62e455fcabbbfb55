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
import tempfile
import zipfile
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
# Binary parts with nothing of the author in them: vector pictures and (obfuscated) fonts.
HARMLESS_EXT = (".emf", ".wmf", ".odttf", ".fntdata", ".ttf", ".otf")

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
VML_NS = "urn:schemas-microsoft-com:vml"
OFFICE_NS = "urn:schemas-microsoft-com:office:office"
# Attributes that hold a person (comment and revision authors, co-authoring ids, the user who
# shared a workbook) and the time they acted.
PERSON_ATTRS = {
    "author",
    "initials",
    "userid",
    "providerid",
    "displayname",
    "lastmodifiedby",
    "username",
}
# Elements dropped with their content: revision-session ids, the template the document was
# made from (a path under the author's profile), a workbook's last saved folder, document
# variables (free-form), an SVG's metadata block.
DROP_ELEMENTS = {"rsids", "attachedTemplate", "absPath", "docVars"}
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
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError) as exc:
            raise _unreadable("office") from exc
    elif mime == "application/pdf":
        out.write(clean_pdf(file.read(settings.MAX_UPLOAD_BYTES + 1)))
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
    except (OSError, ValueError, SyntaxError, KeyError, Image.DecompressionBombError) as exc:
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
        for page in writer.pages:
            page.pop("/Metadata", None)
            page.pop("/PieceInfo", None)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except ValidationError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise _unreadable("pdf") from exc


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
            elif ext in XML_EXT or name == "[Content_Types].xml":
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
            elif ext in HARMLESS_EXT or not strict:
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


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(text: str) -> str:
    return (
        _escape_text(text)
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def _local(name: str) -> str:
    return name.rpartition(":")[2]


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
        self.namespaces: list[dict[str, str]] = [{}]
        self.skip = 0  # depth inside an element being dropped
        self.person_text = 0
        self.pending: list[str] = []
        self.size = 0

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
        self.flush()

    def doctype(self, *args):
        raise _unreadable("office")

    def emit(self, text: str) -> None:
        self.pending.append(text)

    def flush(self) -> None:
        if self.pending:
            self.write("".join(self.pending).encode("utf-8"))
            self.pending = []

    def _uri(self, qname: str, attribute: bool = False) -> str | None:
        prefix = qname.partition(":")[0] if ":" in qname else ("" if not attribute else None)
        if prefix is None:
            return None
        for scope in reversed(self.namespaces):
            if prefix in scope:
                return scope[prefix]
        return None

    def start(self, name: str, attributes: list[str]) -> None:
        pairs = list(zip(attributes[::2], attributes[1::2], strict=True))
        scope = {}
        for key, value in pairs:
            if key == "xmlns":
                scope[""] = value
            elif key.startswith("xmlns:"):
                scope[key[6:]] = value
        self.namespaces.append(scope)
        if self.skip or self._drop_element(name, pairs):
            self.skip += 1
            return
        local = _local(name)
        if local in PERSON_TEXT and not pairs:
            self.person_text += 1
        kept = self._attributes(name, local, pairs)
        self.emit("<" + name + "".join(f' {k}="{_escape_attr(v)}"' for k, v in kept) + ">")

    def end(self, name: str) -> None:
        self.namespaces.pop()
        if self.skip:
            self.skip -= 1
            return
        if _local(name) in PERSON_TEXT and self.person_text:
            self.person_text -= 1
        self.emit(f"</{name}>")

    def text(self, data: str) -> None:
        if self.skip or self.person_text:
            return
        self.emit(_escape_text(data))

    def _drop_element(self, name: str, pairs) -> bool:
        local = _local(name)
        if local in self.drop_elements:
            return True
        attrs = dict(pairs)
        if self.content_types and local == "Override":
            return attrs.get("PartName", "").lstrip("/") in self.dropped
        if self.rels_source is not None and local == "Relationship":
            rel_type = attrs.get("Type", "")
            target = attrs.get("Target", "")
            external = attrs.get("TargetMode", "").lower() == "external"
            gone = rel_type.endswith("/attachedTemplate") or (
                not external and _resolve(self.rels_source, target) in self.dropped
            )
            if gone:
                self.removed_ids.add(attrs.get("Id", ""))
            return gone
        return False

    def _attributes(self, name: str, local: str, pairs):
        has_person = any(_local(k).lower() in PERSON_ATTRS for k, _v in pairs)
        element_uri = self._uri(name)
        kept = []
        for key, value in pairs:
            key_local = _local(key)
            lower = key_local.lower()
            if key_local.startswith("rsid"):
                continue  # revision-session ids tie edits to one machine and session
            if lower in PERSON_ATTRS:
                value = ""
            elif lower == "date" and has_person:
                continue
            elif local in ("cNvPr", "docPr"):
                if key_local in ("descr", "title"):
                    continue  # the picture's original file name or the author's caption
                if key_local == "name":
                    value = f"图片 {dict(pairs).get('id', '')}".strip()
            elif local in ("cmAuthor", "author") and key_local == "name":
                value = ""
            elif self._dropped_attribute(key, key_local, value, element_uri):
                continue
            elif (
                self.rels_source is not None
                and key == "Target"
                and dict(pairs).get("TargetMode", "").lower() == "external"
                and not value.lower().startswith(WEB_SCHEMES)
            ):
                # A linked file, template or workbook: its path names the author's folders.
                value = NEUTRAL_TARGET
            kept.append((key, value))
        return kept

    def _dropped_attribute(self, key: str, key_local: str, value: str, element_uri) -> bool:
        attribute_uri = self._uri(key, attribute=True)
        # A VML picture's title and alternative text: its original file name.
        if key_local in ("title", "alt") and (element_uri == VML_NS or attribute_uri == OFFICE_NS):
            return True
        # A reference to a relationship that was removed with its part.
        return attribute_uri == REL_NS and value in self.removed_ids
