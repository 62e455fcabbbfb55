"""PDF copies for the archive (engine.pdf): every Word download also comes as a PDF where the
server has LibreOffice, through the one middleware; without it the pages offer the .docx only."""

import io
import os
import shutil
from urllib.parse import unquote

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.workflows.review.factories import GOOD_ROW, forwarded_report

pytestmark = pytest.mark.django_db

# CI installs LibreOffice (.ci/run): there the test runs, or fails.
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice is not installed here",
)


@needs_soffice
def test_the_report_page_offers_a_pdf_and_it_holds_the_report(cast, login):
    report = forwarded_report(cast)
    client = login(cast.software_lead)
    page = client.get(reverse("review:report_detail", args=[report.pk])).content.decode()
    docx_url = reverse("review:report_docx", args=[report.pk])
    assert f'href="{docx_url}?format=pdf"' in page

    response = client.get(docx_url, {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    name = unquote(response["Content-Disposition"].split("UTF-8''", 1)[1])
    assert name.startswith("自我诊改报告-") and name.endswith(".pdf")
    pdf = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "诊断要素" in text and GOOD_ROW["problems"][:8] in text
    width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
    # A4 in points (the annex's wide table turns the page)
    assert sorted((round(width), round(height))) == [595, 842]


def test_without_libreoffice_only_the_docx_is_offered_and_a_pdf_asked_for_says_why(
    cast, login, settings
):
    settings.SOFFICE = "/nonexistent/soffice"
    report = forwarded_report(cast)
    client = login(cast.software_lead)
    page = client.get(reverse("review:report_detail", args=[report.pk])).content.decode()
    assert "format=pdf" not in page
    response = client.get(reverse("review:report_docx", args=[report.pk]), {"format": "pdf"})
    assert response.status_code == 503
    assert "LibreOffice" in response.content.decode()
    assert client.get(reverse("review:report_docx", args=[report.pk])).status_code == 200


def test_a_pdf_is_asked_only_of_word_files(cast, login, settings):
    settings.SOFFICE = "/nonexistent/soffice"
    client = login(cast.quality_officer)
    response = client.get(
        reverse("monitoring:improvement_export", args=["xlsx"]), {"format": "pdf"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
