"""The office's register of reports as .xlsx."""

import io

from django.urls import reverse
from openpyxl import load_workbook

from tests.cases.confidential.factories import file_report


def test_register_escapes_formulas_and_keeps_script_text_inert(cast, login):
    file_report(
        cast.teacher, anonymous=False, about='=HYPERLINK("http://x")', contact="13900001111"
    )
    file_report(about="<script>alert(1)</script>", subject_unit=cast.units.xx)
    response = login(cast.discipline_officer).get(reverse("confidential:office_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert '\'=HYPERLINK("http://x")' in cells
    assert "<script>alert(1)</script>" in cells and "信息工程系" in cells
    text = " ".join(str(c) for c in cells)
    assert cast.teacher.full_name not in text and "13900001111" not in text


def test_register_is_for_the_office_only(cast, login):
    file_report()
    for person in (cast.quality_officer, cast.sysadmin, cast.committee_member):
        assert login(person).get(reverse("confidential:office_export")).status_code == 403
