"""Builders for the confidential track's tests: solved challenges, files with identifying
metadata, and reports filed through the service."""

import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile

from cases.confidential import intake, services
from cases.confidential.models import Subject

GPS_CAMERA = "LeakCam-Model-X9"
DOC_AUTHOR = "Reporter-Author-Qian"
COMMENT_AUTHOR = "Commenter-Qian-Duoduo"
PDF_AUTHOR = "Pdf-Author-Qian"


def challenge_answer(challenge) -> int:
    """Solved as a person would: from the question, which is all the token gives away."""
    return sum(int(n) for n in re.findall(r"\d+", challenge.question))


def solved_challenge() -> dict:
    challenge = intake.new_challenge()
    return {
        "challenge_token": challenge.token,
        "challenge_answer": str(challenge_answer(challenge)),
    }


def jpeg_with_gps(name="IMG_20261123_qianduoduo.jpg") -> SimpleUploadedFile:
    from PIL import Image

    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "LeakCam"  # Make
    exif[0x0110] = GPS_CAMERA  # Model
    exif[0x013B] = DOC_AUTHOR  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (39.0, 54.0, 27.0)
    gps[3] = "E"
    gps[4] = (116.0, 23.0, 17.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def docx_with_author(name="钱多多的材料.docx") -> SimpleUploadedFile:
    import docx

    document = docx.Document()
    document.core_properties.author = DOC_AUTHOR
    document.core_properties.last_modified_by = DOC_AUTHOR
    paragraph = document.add_paragraph("经费使用情况说明")
    document.add_comment(paragraph.runs, text="见附件", author=COMMENT_AUTHOR, initials="QDD")
    out = io.BytesIO()
    document.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def pdf_with_author(name="evidence.pdf") -> SimpleUploadedFile:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": PDF_AUTHOR, "/Creator": PDF_AUTHOR})
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile(name, out.getvalue())


def file_report(actor=None, *, anonymous=True, uploads=(), **fields):
    data = {
        "subject": Subject.FUNDS,
        "about": "某系专项经费",
        "description": "专项经费被挪用于与诊改无关的开支。",
    }
    data.update(fields)
    return services.report_file(actor=actor, anonymous=anonymous, uploads=uploads, **data)
