import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from docx import Document

from accounts.models import AuditEntry
from engine.models import ImportRun
from tests.documents import (
    docx_text,
    download_name,
    official_docx,
    red_runs,
    upload_template,
)
from workflows.review import annual, catalogues
from workflows.review.models import Catalogue, DocumentJob, EvidenceLink

from .factories import (
    filled_report,
    forwarded_report,
    record_findings,
    round_in_review,
    shipped_catalogue,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def eager_celery():
    """Run the job in-process even when REDIS_URL points at a real broker (no worker here)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_annual_report_is_assembled_in_the_background_and_downloaded(
    cast, django_capture_on_commit_callbacks, eager_celery
):
    report = forwarded_report(cast)
    round_, chair = round_in_review(cast, [report])
    record_findings(cast.expert, chair.assignments.get(), matching=4)
    from workflows.review import services

    services.conclusion_sign(actor=cast.expert, round_=round_, report=report)
    office = _client(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        office.post(
            reverse("review:document_jobs"), {"year": round_.review_start.year, "level": ""}
        )
    job = DocumentJob.objects.get()
    status = office.get(reverse("review:document_job_status", args=[job.pk])).json()
    assert status["status"] == "done", status
    assert status["progress"] == 100
    download = office.get(status["download"])
    assert download_name(download).startswith("年度质量报告-")
    doc = official_docx(b"".join(download.streaming_content))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        "组织机构",
        "监测、预警与改进",
        "质量事故",
        "自我诊改",
        "复核结论",
        "处理措施",
    ]
    tables = {t.rows[0].cells[0].text: t for t in doc.tables}
    assert tables["单位"].rows[1].cells[0].text == cast.units.rj.name
    assert doc.inline_shapes, "charts are embedded as images"
    assert _client(cast.teacher).get(reverse("review:document_jobs")).status_code == 403


def test_other_features_register_sections(db):
    seen = []

    def build(context):
        seen.append(context)
        return annual.Section(title="预警", paragraphs=["本年度预警 3 次"])

    annual.register_section(annual.SectionProvider("test.warnings", 30, build))
    try:
        sections = annual.assemble(annual.AssemblyContext(year=2026))
    finally:
        annual._providers.pop("test.warnings")
    assert [s.title for s in sections][1] == "预警"
    assert seen == [annual.AssemblyContext(year=2026)]


def test_level_report_takes_only_level_sections(db):
    titles = [p.key for p in annual.providers_for(annual.AssemblyContext(year=2026, level="major"))]
    assert titles == ["monitoring", "review.self_diagnosis", "review.conclusions"]


def test_catalogue_round_trips_through_xlsx_and_imports_as_a_new_version(cast):
    beijing = shipped_catalogue()
    office = _client(cast.quality_officer)
    content = office.get(reverse("review:catalogue_xlsx", args=[beijing.pk])).content
    data = catalogues.parse_xlsx(io.BytesIO(content))
    assert sum(len(i["elements"]) for i in data["items"]) == 15
    data["version"] = 2
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content))
    for row in wb["meta"].iter_rows():
        if row[0].value == "version":
            row[1].value = 2
    buffer = io.BytesIO()
    wb.save(buffer)
    upload = SimpleUploadedFile("c.xlsx", buffer.getvalue())
    response = office.post(reverse("review:catalogue_list"), {"file": upload, "activate": "on"})
    assert response.status_code == 302
    imported = Catalogue.objects.get(code="beijing-annex1", version=2)
    assert imported.status == Catalogue.Status.ACTIVE
    assert imported.elements.count() == 15
    assert sum(e.points.count() for e in imported.elements.all()) == 38
    run = ImportRun.objects.get(kind="catalogue")
    assert (run.status, run.created, run.result["catalogue_id"]) == ("done", 38, imported.pk)
    # the same version again is refused, and the refusal is on the record too
    upload.seek(0)
    response = office.post(reverse("review:catalogue_list"), {"file": upload})
    assert response.status_code == 200 and "版本" in response.content.decode()
    failed = ImportRun.objects.filter(kind="catalogue").latest("pk")
    assert failed.status == "failed" and "2" in failed.message
    assert AuditEntry.objects.filter(action="review.catalogue.import.run").count() == 2


def _catalogue_upload(office, version: int) -> SimpleUploadedFile:
    from openpyxl import load_workbook

    beijing = shipped_catalogue()
    content = office.get(reverse("review:catalogue_xlsx", args=[beijing.pk])).content
    wb = load_workbook(io.BytesIO(content))
    for row in wb["meta"].iter_rows():
        if row[0].value == "version":
            row[1].value = version
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("c.xlsx", buffer.getvalue())


def test_a_large_catalogue_is_imported_as_a_job(
    cast, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 3
    office = _client(cast.quality_officer)
    upload = _catalogue_upload(office, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(reverse("review:catalogue_list"), {"file": upload})
    run = ImportRun.objects.get(kind="catalogue")
    assert response.url == reverse("engine:import_run", args=[run.pk])
    run.refresh_from_db()
    imported = Catalogue.objects.get(code="beijing-annex1", version=2)
    assert (run.status, run.created, run.result["catalogue_id"]) == ("done", 38, imported.pk)
    assert imported.status == Catalogue.Status.DRAFT
    assert AuditEntry.objects.get(action="review.catalogue.import.run").after["status"] == "done"


def test_a_catalogue_job_failing_part_way_leaves_no_half_catalogue_and_runs_again(
    cast, settings, monkeypatch, eager_celery, django_capture_on_commit_callbacks
):
    from workflows.review.models import CataloguePoint

    settings.IMPORT_INLINE_MAX_ROWS = 3
    office = _client(cast.quality_officer)
    upload = _catalogue_upload(office, 2)
    original, calls = CataloguePoint.objects.bulk_create, []

    def fails_on_the_third_element(objs, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(CataloguePoint.objects, "bulk_create", fails_on_the_third_element)
    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("review:catalogue_list"), {"file": upload})
    run = ImportRun.objects.get(kind="catalogue")
    assert run.status == "failed" and "RuntimeError" in run.message
    assert not Catalogue.objects.filter(version=2).exists()
    assert AuditEntry.objects.get(action="review.catalogue.import.run").after["status"] == "failed"

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("engine:import_retry", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == "done"
    assert Catalogue.objects.get(version=2).elements.count() == 15
    # Run again (the same version): refused, on the record, nothing doubled.
    upload.seek(0)
    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("review:catalogue_list"), {"file": upload})
    last = ImportRun.objects.filter(kind="catalogue").latest("pk")
    assert last.status == "failed" and "2" in last.message
    assert Catalogue.objects.filter(version=2).count() == 1


def test_bad_catalogue_rows_are_named_on_the_record(cast):
    from openpyxl import load_workbook

    office = _client(cast.quality_officer)
    upload = _catalogue_upload(office, 2)
    wb = load_workbook(upload)
    wb["items"].cell(row=3, column=2).value = None  # an item without its title
    buffer = io.BytesIO()
    wb.save(buffer)
    response = office.post(
        reverse("review:catalogue_list"), {"file": SimpleUploadedFile("c.xlsx", buffer.getvalue())}
    )
    assert response.status_code == 200 and "3" in response.content.decode()
    run = ImportRun.objects.get(kind="catalogue")
    assert run.status == "failed" and [e["row"] for e in run.errors] == [3]
    assert not Catalogue.objects.filter(version=2).exists()


def test_a_broken_workbook_is_a_form_error(cast):
    response = _client(cast.quality_officer).post(
        reverse("review:catalogue_list"), {"file": SimpleUploadedFile("c.xlsx", b"not a workbook")}
    )
    assert response.status_code == 200
    assert "xlsx" in response.content.decode()
    assert not Catalogue.objects.exists()


def test_load_command_ships_the_catalogues(db):
    from django.core.management import call_command

    call_command("review_load_catalogues", stdout=io.StringIO())
    call_command("review_load_catalogues", stdout=io.StringIO())
    assert set(
        Catalogue.objects.values_list("code", "elements__catalogue")
        .distinct()
        .values_list("code", flat=True)
    ) == {
        "beijing-annex1",
        "beijing-annex2",
        "xiangyang-36",
        "teacher-personal",
        "student-personal",
    }
    # the personal catalogues are chosen by their level, never offered for a unit's report
    assert set(Catalogue.objects.exclude(person_level="").values_list("code", "person_level")) == {
        ("teacher-personal", "teacher"),
        ("student-personal", "student"),
    }


def test_uploaded_document_is_linked_as_evidence(cast):
    report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
    author = _client(cast.software_member)
    author.post(
        reverse("review:evidence_upload", args=[report.pk]),
        {"title": "考核制度", "file": SimpleUploadedFile("zd.pdf", b"%PDF-1.4")},
    )
    document = report.documents.get()
    row = report.rows.first()
    author.post(
        reverse("review:evidence_link", args=[report.pk]),
        {"source": "documents", "object_id": document.pk, "element": row.element_id},
    )
    link = EvidenceLink.objects.get()
    assert (link.row, link.target, link.label) == (row, document, "考核制度")
    other = filled_report(cast.software_member, cast.units.rj_python, report.catalogue)
    author.post(
        reverse("review:evidence_link", args=[other.pk]),
        {"source": "documents", "object_id": document.pk, "element": other.rows.first().element_id},
    )
    assert EvidenceLink.objects.count() == 1


def test_level_report_job_assembles_the_levels_sections(
    cast, django_capture_on_commit_callbacks, eager_celery
):
    forwarded_report(cast)
    office = _client(cast.quality_officer)
    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        office.post(
            reverse("review:document_jobs"), {"year": timezone.localdate().year, "level": "major"}
        )
    job = DocumentJob.objects.get()
    assert (job.kind, job.status) == (DocumentJob.Kind.LEVEL, DocumentJob.Status.DONE)
    doc = Document(job.file.open("rb"))
    assert "专业层面质量报告" in doc.paragraphs[0].text
    assert [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")] == [
        "监测、预警与改进",
        "自我诊改",
        "复核结论",
    ]


def test_the_annual_report_follows_the_offices_template_and_prints_its_charts_sharp(
    cast, django_capture_on_commit_callbacks, eager_celery
):
    from django.utils import timezone

    forwarded_report(cast)
    office = _client(cast.quality_officer)

    def build(level=""):
        with django_capture_on_commit_callbacks(execute=True):
            office.post(
                reverse("review:document_jobs"),
                {"year": timezone.localdate().year, "level": level},
            )
        job = DocumentJob.objects.latest("pk")
        assert job.status == DocumentJob.Status.DONE, job.message
        return official_docx(job.file.open("rb").read())

    default = build()
    assert red_runs(default) == [cast.units.college.name]
    assert default.inline_shapes
    for shape in default.inline_shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        image = default.part.related_parts[blip.embed].image
        assert image.px_width / shape.width.inches >= 300

    assert upload_template(office, "review.annual", "本校年报：{{ title }}").status_code == 302
    annual_report = docx_text(build())
    assert "本校年报：" in annual_report and "年度质量报告" in annual_report
    # the level reports keep their own template
    assert "本校年报" not in docx_text(build("major"))
