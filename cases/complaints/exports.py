"""The oversight list as .xlsx: what the discipline office sees, never the complainants."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from cases.exports import safe_cell
from engine import documents


def _date(value):
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


def oversight_xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.title = _("Complaints")[:31]
    sheet.append(
        [
            _("Case number"),
            _("Title"),
            _("Accepting body"),
            _("Unit concerned"),
            _("Status"),
            _("Filed at"),
            _("Next deadline"),
            _("Overdue steps"),
            _("Escalation level"),
            _("Supervision requests"),
            _("Outcome"),
            _("Satisfaction"),
            _("Closed at"),
        ]
    )
    for row in rows:
        case = row["case"]
        sheet.append(
            [
                safe_cell(case.number),
                safe_cell(case.title),
                safe_cell(str(case.accepting_unit)),
                safe_cell(str(case.subject_unit)),
                case.get_status_display(),
                _date(case.created_at),
                _date(row["next_due"]),
                len(row["overdue"]),
                row["escalation"],
                row["supervisions"],
                safe_cell(case.outcome),
                case.satisfaction or "",
                _date(case.closed_at),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return documents.download(
        out.getvalue(),
        documents.file_name("投诉监督台账", f"{timezone.localdate():%Y%m%d}", ext="xlsx"),
    )
