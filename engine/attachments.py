"""Validated uploads: size limit, type allow-list by content, sanitised names, permission-checked
downloads, optional metadata stripping (engine/cleaning.py) for people who must stay
unidentifiable."""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from . import archives, cleaning, filestore
from .models import Attachment

# mime -> extensions a file of that content may carry
ALLOWED = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {".xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {".pptx"},
    "application/x-ole-storage": {".doc", ".xls", ".ppt"},
    "text/plain": {".txt", ".csv", ".md"},
}
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def sniff(data: bytes) -> str | None:
    """The type of a file judged by its bytes, or None when it is not one we accept."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" not in names:
            return None
        for prefix, mime in _OOXML.items():
            if any(n.startswith(prefix) for n in names):
                return mime
        return None
    if b"\x00" in data[:8192]:
        return None
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError:
        try:
            data[:65536].decode("gb18030")
        except UnicodeDecodeError:
            return None
    return "text/plain"


def clean_filename(name: str) -> str:
    """Keep letters (Chinese too), digits, dot, dash, underscore; no paths or control chars."""
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    stem, ext = os.path.splitext(name)
    stem = re.sub(r"[^\w\-. ]+", "_", stem, flags=re.UNICODE).strip(" ._") or "file"
    ext = re.sub(r"[^\w.]+", "", ext.lower())[:10]
    return f"{stem[:150]}{ext}"


def _read(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.MAX_UPLOAD_BYTES // 2**20}
        )
    upload.seek(0)
    data = upload.read(settings.MAX_UPLOAD_BYTES + 1)
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.MAX_UPLOAD_BYTES // 2**20}
        )
    if not data:
        raise ValidationError(_("The file is empty."))
    return data


def validate_upload(upload) -> str:
    """Check size and type by content, and that the extension fits; returns the mime. A zip-based
    file is judged by its directory before anything in it is inflated."""
    data = _read(upload)
    if data.startswith(b"PK\x03\x04"):
        archives.check_archive(upload)
    mime = sniff(data)
    ext = os.path.splitext(clean_filename(upload.name))[1]
    if mime is None:
        raise ValidationError(_("This type of file is not accepted."))
    if ext not in ALLOWED[mime]:
        raise ValidationError(
            _("The file's content does not match its extension “%(ext)s”.") % {"ext": ext}
        )
    upload.seek(0)
    return mime


def _digest(file) -> tuple[str, int]:
    file.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(archives.CHUNK):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size


@transaction.atomic
def attach(
    *, actor, obj, upload, strip_metadata: bool = False, strict: bool = False, name: str = ""
) -> Attachment:
    """Store a validated upload for `obj`. strip_metadata: through the engine's cleaner
    (engine/cleaning.py); strict: refuse what it cannot clean. `name` replaces the upload's own
    name (which may itself identify its author). The file is removed again if the transaction
    rolls back."""
    mime = validate_upload(upload)
    content = cleaning.clean(upload, mime, strict=strict) if strip_metadata else upload
    digest, size = _digest(content)
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        original_name=clean_filename(name or upload.name),
        size=size,
        mime=mime,
        sha256=digest,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    filestore.save(attachment.file, digest, File(content))
    attachment.save()
    return attachment


_ACCESS: dict[type, Callable] = {}


def register_access(model, can_view: Callable) -> None:
    """The owning app says who may download attachments of its objects."""
    _ACCESS[model] = can_view


def can_download(user, attachment: Attachment) -> bool:
    check = _ACCESS.get(attachment.content_type.model_class())
    obj = attachment.obj
    return bool(check and obj is not None and check(user, obj))


def attachments_for(obj):
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("created_at")
