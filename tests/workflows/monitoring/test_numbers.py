"""A reading is written as people write numbers wherever it is shown: 80, 98.3, 96 — never a
Decimal's own 8E+1 (its normalized str) nor 98.3000 beside 96 (its four stored places)."""

import io

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from tests.workflows.monitoring.factories import open_improvement
from workflows.monitoring import services

pytestmark = pytest.mark.django_db


def test_the_approver_reads_plain_numbers(cast, mon, client):
    for subject, value in ((mon.rj, "98.3"), (mon.wl, "96")):
        services.reading_submit(
            actor=cast.xx_member,
            indicator=mon.employment,
            subject=subject,
            period=mon.y2026,
            value=value,
        )
    client.force_login(cast.xx_leader)
    page = client.get(reverse("monitoring:approvals")).content.decode()
    assert "<td>98.3</td>" in page and "<td>96</td>" in page
    assert "98.3000" not in page and "96.0000" not in page


def test_the_ledger_exports_write_the_warning_value_plainly(cast, mon, approved, client):
    approved(mon.employment, mon.rj, 80)
    warning = mon.rj.warnings.get()
    open_improvement(cast, mon, warning)
    client.force_login(cast.quality_officer)
    xlsx = client.get(reverse("monitoring:improvement_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    docx = client.get(reverse("monitoring:improvement_export", args=["docx"]))
    document = Document(io.BytesIO(docx.content))
    text = " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    for exported in (cells, text):
        assert "就业率（红色预警，80）" in exported
        assert "E+" not in exported
