"""The office's register of reports (举报登记表) as .xlsx. No reporter column: the register is
what the office may hand to someone it shares a report with."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

_FORMULA_START = ("=", "+", "-", "@")


def safe_cell(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def reports_xlsx(reports) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = pgettext("confidential report", "Reports")[:31]
    headers = [
        _("Number"),
        pgettext("confidential report", "Filed at"),
        _("What it is about"),
        _("About whom or what"),
        _("Unit concerned"),
        _("Stage"),
        _("Spam"),
    ]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for report in reports:
        sheet.append(
            [
                safe_cell(report.number),
                timezone.localtime(report.created_at).strftime("%Y-%m-%d %H:%M"),
                str(report.get_subject_display()),
                safe_cell(report.about),
                safe_cell(report.subject_unit.name if report.subject_unit else ""),
                str(report.get_status_display()),
                _("Yes") if report.is_spam else "",
            ]
        )
    for column, width in zip("ABCDEFG", (18, 18, 24, 40, 20, 20, 8), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        row[3].alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
