"""The shared intake pieces: codes, challenge, rate limits and upload cleaning."""

import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.confidential import intake
from engine import attachments
from tests.cases.confidential.factories import (
    COMMENT_AUTHOR,
    DOC_AUTHOR,
    GPS_CAMERA,
    PDF_AUTHOR,
    docx_with_author,
    file_report,
    jpeg_with_gps,
    pdf_with_author,
    solved_challenge,
)


def test_tracking_codes_are_random_grouped_and_carry_at_least_80_bits():
    codes = {intake.new_tracking_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"([A-HJ-NP-Z2-9]{4}-){4}[A-HJ-NP-Z2-9]{4}", code)
    bits = intake.CODE_SYMBOLS * (len(intake.CODE_ALPHABET).bit_length() - 1)
    assert bits >= 80


def test_code_digest_ignores_grouping_and_case_but_not_content():
    code = "ABCD-EFGH-JKLM-NPQR-STUV"
    assert intake.code_digest(code, "report") == intake.code_digest(
        "abcd efgh jklm npqr stuv", "report"
    )
    assert intake.code_digest(code, "report") != intake.code_digest(
        "ABCD-EFGH-JKLM-NPQR-STUW", "report"
    )
    assert intake.code_digest(code, "report") != intake.code_digest(code, "complaint")


def test_only_a_keyed_hash_of_the_code_is_stored(cast):
    report, code = file_report()
    assert report.code_hash == intake.code_digest(code, "report")
    stored = " ".join(str(v) for v in type(report).objects.values_list().get(pk=report.pk))
    assert intake.normalize_code(code) not in intake.normalize_code(stored)
    assert code not in stored


def test_challenge_accepts_the_right_answer_once(db):
    answer = solved_challenge()
    intake.check_challenge(answer["challenge_token"], answer["challenge_answer"])
    with pytest.raises(ValidationError):
        intake.check_challenge(answer["challenge_token"], answer["challenge_answer"])


def test_challenge_rejects_wrong_forged_and_expired_answers(db, settings):
    answer = solved_challenge()
    with pytest.raises(ValidationError):
        intake.check_challenge(answer["challenge_token"], int(answer["challenge_answer"]) + 1)
    with pytest.raises(ValidationError):
        intake.check_challenge(answer["challenge_token"] + "x", answer["challenge_answer"])
    settings.INTAKE_CHALLENGE_MAX_AGE = -1
    with pytest.raises(ValidationError):
        intake.check_challenge(answer["challenge_token"], answer["challenge_answer"])


def test_rate_limit_counts_per_key(db):
    for _ in range(3):
        intake.hit("t", "client-a", "3/h")
    with pytest.raises(intake.RateLimited):
        intake.hit("t", "client-a", "3/h")
    intake.hit("t", "client-b", "3/h")


def test_client_key_is_a_hash_not_the_address(rf):
    request = rf.get("/", REMOTE_ADDR="203.0.113.77")
    key = intake.client_key(request)
    assert "203" not in key and len(key) == 32
    assert key == intake.client_key(rf.get("/", REMOTE_ADDR="203.0.113.77"))
    assert key != intake.client_key(rf.get("/", REMOTE_ADDR="203.0.113.78"))


def _stored(report):
    attachment = attachments.attachments_for(report).get()
    with attachment.file.open("rb") as f:
        return attachment, f.read()


def test_jpeg_loses_exif_and_gps_and_its_camera_file_name(cast):
    upload = jpeg_with_gps()
    assert GPS_CAMERA.encode() in upload.read()
    report, _code = file_report(uploads=[upload])
    attachment, data = _stored(report)
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
        assert image.size == (32, 24)
    assert GPS_CAMERA.encode() not in data and DOC_AUTHOR.encode() not in data
    assert attachment.original_name == "evidence-1.jpg" and attachment.uploaded_by is None


def test_docx_loses_author_and_comment_authors(cast):
    report, _code = file_report(uploads=[docx_with_author()])
    attachment, data = _stored(report)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist())
    assert DOC_AUTHOR.encode() not in everything
    assert COMMENT_AUTHOR.encode() not in everything and b"QDD" not in everything
    import docx

    document = docx.Document(io.BytesIO(data))
    assert document.paragraphs[0].text == "经费使用情况说明"
    assert attachment.original_name == "evidence-1.docx"


def test_pdf_loses_its_author(cast):
    report, _code = file_report(uploads=[pdf_with_author()])
    _attachment, data = _stored(report)
    assert PDF_AUTHOR.encode() not in data
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_old_office_files_are_refused_because_they_cannot_be_cleaned(cast):
    ole = SimpleUploadedFile("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(ValidationError) as err:
        file_report(uploads=[ole])
    assert ".docx" in str(err.value)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"MZ\x90\x00 this is a windows executable"),
        ("notes.txt", b"\x89PNG\r\n\x1a\n not really text"),
        ("broken.jpg", b"\xff\xd8\xff\xe0 truncated jpeg"),
        ("empty.pdf", b""),
    ],
)
def test_disguised_broken_or_empty_files_are_refused_and_nothing_is_saved(cast, name, content):
    from cases.confidential.models import Report

    with pytest.raises(ValidationError):
        file_report(uploads=[SimpleUploadedFile(name, content)])
    assert not Report.objects.exists()


def test_oversized_file_is_refused(cast, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    from cases.confidential.models import Report

    with pytest.raises(ValidationError) as err:
        file_report(uploads=[SimpleUploadedFile("big.txt", b"a" * 2000)])
    assert "MB" in str(err.value)
    assert not Report.objects.exists()
