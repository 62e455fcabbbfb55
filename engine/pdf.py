"""PDF copies of the Word documents for archiving (issue 17): LibreOffice headless converts the
.docx a download would have served. One mechanism for every Word download: `PdfMiddleware` turns
any response carrying a .docx into its PDF when the request asks `?format=pdf`, so each export
(built on the request or by a background job) gets its PDF without a view of its own.

Where the machine has no LibreOffice (`SOFFICE` unset and no `soffice` on the PATH) the pages
offer the .docx only, and a PDF asked for anyway gets a page that says so (503)."""

import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from .documents import DOCX, download

PDF = "application/pdf"


class PdfFailed(Exception):
    pass


def soffice() -> str | None:
    named = settings.SOFFICE
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("soffice")


def available() -> bool:
    return soffice() is not None


def docx_to_pdf(content: bytes) -> bytes:
    """The PDF of a .docx, converted by a LibreOffice of its own (a private profile directory:
    two conversions at once would otherwise share one profile and the second would fail)."""
    binary = soffice()
    if binary is None:
        raise PdfFailed(_("LibreOffice is not installed on this server."))
    with tempfile.TemporaryDirectory(prefix="zg-pdf-") as tmp:
        work = Path(tmp)
        source = work / "document.docx"
        source.write_bytes(content)
        try:
            subprocess.run(  # noqa: S603 - a fixed binary and arguments, no shell
                [
                    binary,
                    f"-env:UserInstallation=file://{work / 'profile'}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(work),
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=settings.PDF_TIMEOUT,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise PdfFailed(_("The PDF could not be made from this document.")) from exc
        pdf = work / "document.pdf"
        if not pdf.exists():
            raise PdfFailed(_("The PDF could not be made from this document."))
        return pdf.read_bytes()


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
        if hasattr(response, "close"):
            response.close()
        return content
    return response.content


def _pdf_name(response) -> str:
    name = getattr(response, "filename", "") or ""
    disposition = response.get("Content-Disposition", "")
    if not name and "filename*=UTF-8''" in disposition:
        from urllib.parse import unquote

        name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    stem = name[:-5] if name.lower().endswith(".docx") else (name or "document")
    return f"{stem}.pdf"


class PdfMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.GET.get("format") != "pdf" or response.status_code != 200:
            return response
        if not response.get("Content-Type", "").startswith(DOCX):
            return response
        name = _pdf_name(response)
        try:
            pdf = docx_to_pdf(_body(response))
        except PdfFailed as exc:
            return render(request, "engine/pdf_unavailable.html", {"reason": str(exc)}, status=503)
        return download(pdf, name, PDF)
