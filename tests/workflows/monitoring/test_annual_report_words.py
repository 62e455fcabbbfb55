"""The annual quality report's monitoring tables, read in the Word file the quality office
downloads: display names (黄色预警, 改进中, 诊断…), never the stored codes."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import Warning

from .factories import open_improvement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _tables(doc):
    """{first header cell: rows as lists of cell texts} of every table of the document."""
    return {
        t.rows[0].cells[0].text: [[c.text for c in r.cells] for r in t.rows] for t in doc.tables
    }


def test_annual_report_names_warning_levels_statuses_and_stages(
    cast, mon, approved, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.period_open(actor=cast.quality_officer, period=mon.y2026, levels=[Level.MAJOR])
    approved(mon.employment, mon.rj, "80")  # below the red threshold (85)
    warning = Warning.objects.get()
    open_improvement(cast, mon, warning)
    year = warning.raised_at.year

    office = Client()
    office.force_login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("review:document_jobs"), {"year": year, "level": ""})
    page = office.get(reverse("review:document_jobs")).content.decode()
    # a finished job says it is done, not the title of the last section it assembled
    assert "已完成 处理措施" not in page and "已完成" in page
    from workflows.review.models import DocumentJob

    job = DocumentJob.objects.get()  # its id is not 1 once other tests made jobs
    status = office.get(reverse("review:document_job_status", args=[job.pk])).json()
    assert status["status_display"] == "已完成"

    download = office.get(status["download"])
    doc = Document(io.BytesIO(b"".join(download.streaming_content)))
    tables = _tables(doc)
    warnings = next(rows for rows in tables.values() if rows[0][1] == "预警等级")
    assert warnings[1] == ["就业率", "红色预警", "1"], warnings
    assert ["改进中", "1"] in tables["状态"], tables["状态"]
    stages = tables["阶段"]
    assert stages[1:] and all(row[0] in ("目标", "标准", "预警") for row in stages[1:]), stages
    words = " ".join(" ".join(" ".join(r) for r in rows) for rows in tables.values())
    for code in ("red", "yellow", "open", "target", "warn"):
        assert f" {code} " not in f" {words} ", code
