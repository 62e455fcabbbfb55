"""Every place an uploaded zip-based file is first opened runs the same directory check: a
workbook that would inflate past the limit is refused with that reader's own error, before
openpyxl inflates anything."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from engine import attachments
from engine.imports import ImportFileError, TableReader
from tests.engine import office_files
from workflows.plans import imports as plan_imports
from workflows.review import catalogues


def _bomb_xlsx() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    return office_files.with_part(out.getvalue(), "xl/media/zeros.bin", b"\0" * 3 * 2**20)


READERS = {
    # The roster, readings and calendar imports all read through the engine's TableReader.
    "engine import reader": (
        lambda f: list(TableReader(f, name="名册.xlsx", max_rows=10).rows()),
        ImportFileError,
    ),
    "plan decomposition import": (
        lambda f: plan_imports.parse_workbook(f, plan=None),
        plan_imports.ImportFileError,
    ),
    "review catalogue import": (catalogues.parse_xlsx, ValidationError),
    "attachments and intake": (
        lambda f: attachments.validate_upload(SimpleUploadedFile("表.xlsx", f.read())),
        ValidationError,
    ),
}


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_refuses_an_archive_over_the_limit(settings, reader):
    settings.UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES = 2**20
    read, error = READERS[reader]
    with pytest.raises(error) as err:
        read(io.BytesIO(_bomb_xlsx()))
    assert "解压后超过 1 MB" in str(err.value) or "unpacks to more than 1 MB" in str(err.value)


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_still_reads_a_workbook_under_the_limit(settings, reader):
    """The check is not what refuses an ordinary workbook (it may fail later, on its content)."""
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    read, error = READERS[reader]
    try:
        read(io.BytesIO(out.getvalue()))
    except (error, StopIteration, ValueError, KeyError) as exc:
        assert "解压" not in str(exc) and "unpacks" not in str(exc)
