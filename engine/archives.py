"""Zip-based uploads (Office files, workbooks to import) judged by their central directory before
a byte is decompressed: how many entries, how large they claim to be in all, and how far each one
inflates. Members are then read in chunks against a running budget, so a directory that lies
about sizes cannot make a worker inflate more than the settings allow."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHUNK = 64 * 1024
# Small parts may compress extremely well (an empty sheet, a run of spaces) without being a
# threat; the ratio only says something about a part that inflates to more than this.
RATIO_FROM_BYTES = 1024 * 1024


class ArchiveRefused(ValidationError):
    """The archive is too large, too many-membered or too compressed to open."""


def _refused() -> ArchiveRefused:
    return ArchiveRefused(
        _(
            "The file unpacks to more than %(mb)d MB or holds more than %(count)d parts "
            "(a document normally does not); it was not opened. Please save it again or send "
            "it as PDF."
        )
        % {
            "mb": settings.UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES // 2**20,
            "count": settings.UPLOAD_ZIP_MAX_ENTRIES,
        },
        code="archive_too_large",
    )


class Budget:
    """Bytes and entries still allowed to be inflated for one upload, shared by nested
    packages (a workbook embedded in a document counts against the document's budget)."""

    def __init__(self):
        self.bytes = settings.UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES
        self.entries = settings.UPLOAD_ZIP_MAX_ENTRIES

    def spend(self, size: int) -> None:
        self.bytes -= size
        if self.bytes < 0:
            raise _refused()


def check_directory(archive: zipfile.ZipFile, budget: Budget | None = None) -> Budget:
    """Refuse from the central directory alone: entry count, claimed total size, per-part
    compression ratio. Nothing is decompressed."""
    budget = budget or Budget()
    infos = archive.infolist()
    budget.entries -= len(infos)
    if budget.entries < 0:
        raise _refused()
    if sum(i.file_size for i in infos) > budget.bytes:
        raise _refused()
    for info in infos:
        if (
            info.file_size > RATIO_FROM_BYTES
            and info.file_size > settings.UPLOAD_ZIP_MAX_RATIO * max(info.compress_size, 1)
        ):
            raise _refused()
    return budget


def check_archive(file, *, error: type[Exception] = ValidationError) -> None:
    """The one check every upload path runs where it first opens a zip-based file (attachments,
    the anonymous intake, every .xlsx import). `error` is the caller's own exception type for
    a file it cannot use; the file is left at position 0."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            check_directory(archive)
    except ArchiveRefused as exc:
        raise (exc if error is ValidationError else error(exc.messages[0])) from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # Not a zip at all: the caller's own reader says what is wrong with it.
        pass
    finally:
        file.seek(0)


def iter_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> Iterator[bytes]:
    """A member's content in chunks, each counted against the budget as it is inflated."""
    with archive.open(info) as member:
        while chunk := member.read(CHUNK):
            budget.spend(len(chunk))
            yield chunk


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    """A member whole, for parts that must be seen at once (an image to re-encode)."""
    return b"".join(iter_member(archive, info, budget))
