import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from cases.models import Case
from cases.models import Status as S
from tests.documents import docx_text, official_docx, red_runs, upload_template

from .factories import advance, category, file_case, grade

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue")]


def complaint(cast, **extra):
    return {
        "idempotency_key": str(uuid.uuid4()),
        "title": "课堂秩序混乱",
        "subject_unit": cast.units.rj.pk,
        "description": "学生玩手机。",
        **extra,
    }


def test_api_create_list_detail_and_transitions(cast, client):
    client.force_login(cast.student)
    created = client.post("/api/v1/cases/", complaint(cast), content_type="application/json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == S.SUBMITTED
    assert client.get("/api/v1/cases/").json()["count"] == 1
    assert client.post(f"/api/v1/cases/{pk}/accept/").status_code == 403

    client.force_login(cast.xx_leader)
    assert client.post(f"/api/v1/cases/{pk}/accept/").json()["status"] == S.ACCEPTED
    conflict = client.post(f"/api/v1/cases/{pk}/accept/")
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["code"] == "illegal_transition" and "classify" in body["allowed"]
    bad = client.post(
        f"/api/v1/cases/{pk}/classify/",
        {"category": category().pk, "grade": 999},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "grade" in bad.json()["errors"]
    ok = client.post(
        f"/api/v1/cases/{pk}/classify/",
        {"category": category().pk, "grade": grade().pk},
        content_type="application/json",
    )
    assert ok.json()["status"] == S.CLASSIFIED and ok.json()["grade"] == "一般"
    client.force_login(cast.jd_leader)
    assert client.get(f"/api/v1/cases/{pk}/").json()["code"] == "not_found"
    assert client.post(f"/api/v1/cases/{pk}/accept/").status_code == 404


def test_api_filters(cast, client):
    file_case(cast.teacher, cast.units.rj, title="实训室漏水")
    file_case(cast.teacher, cast.units.rj, title="考试作弊")
    client.force_login(cast.quality_officer)
    assert client.get("/api/v1/cases/?q=漏水").json()["count"] == 1
    assert client.get("/api/v1/cases/?status=accepted").json()["count"] == 0


def test_too_long_text_is_a_form_error_not_truncated(cast, client):
    client.force_login(cast.student)
    response = client.post(
        reverse("cases:file", args=["complaint"]), complaint(cast, title="长" * 121)
    )
    assert response.status_code == 200 and "title" in response.context["form"].errors
    assert not Case.objects.exists()


def test_unknown_unit_and_future_incident_are_form_errors(cast, client):
    client.force_login(cast.supervisor)
    response = client.post(
        reverse("cases:file", args=["report"]),
        complaint(cast, subject_unit=99999, source="observation", occurred_at="2999-01-01T08:00"),
    )
    errors = response.context["form"].errors
    assert "subject_unit" in errors and "occurred_at" in errors
    assert not Case.objects.exists()


def test_upload_checked_by_content_and_size(cast, client, settings):
    client.force_login(cast.supervisor)
    exe = SimpleUploadedFile("photo.png", b"MZ\x90\x00" + b"\x00" * 100, content_type="image/png")
    response = client.post(
        reverse("cases:file", args=["report"]),
        {**complaint(cast, source="inspection"), "files": [exe]},
    )
    assert response.status_code == 200 and "files" in response.context["form"].errors
    settings.MAX_UPLOAD_BYTES = 50
    big = SimpleUploadedFile("a.txt", b"x" * 100, content_type="text/plain")
    response = client.post(
        reverse("cases:file", args=["report"]),
        {**complaint(cast, source="inspection"), "files": [big]},
    )
    assert "files" in response.context["form"].errors
    assert not Case.objects.exists()


def test_past_notice_deadline_is_a_form_error(cast, client):
    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.DETERMINED)
    client.force_login(cast.xx_leader)
    response = client.post(
        reverse("cases:action", args=[case.pk, "issue_notice"]),
        {"kind": "rectification", "facts": "f", "requirements": "r", "due_date": "2020-01-01"},
    )
    assert response.status_code == 200 and "due_date" in response.context["form"].errors
    assert not case.notices.exists()


def test_illegal_step_on_a_page_is_explained(cast, client):
    case = file_case(cast.teacher, cast.units.rj)
    client.force_login(cast.xx_leader)
    response = client.post(
        reverse("cases:action", args=[case.pk, "feedback"]), {"outcome": "x"}, follow=True
    )
    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).status == S.SUBMITTED
    assert list(response.context["messages"])


def test_xlsx_export_is_exactly_the_filter_and_neutralises_formulas(cast, client):
    file_case(cast.teacher, cast.units.rj, title='=HYPERLINK("http://x")')
    file_case(cast.teacher, cast.units.rj, title="另一件")
    file_case(cast.teacher, cast.units.jdyt, title="机电的事")
    client.force_login(cast.xx_leader)
    response = client.get(reverse("cases:export") + "?q=HYPERLINK")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert len(rows) == 2 and rows[1][2].startswith("'=")
    everything = client.get(reverse("cases:export"))
    assert len(list(load_workbook(io.BytesIO(everything.content)).active.values)) == 3


def test_notice_docx_has_the_official_layout_and_receipt(cast, client):
    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.RECTIFYING)
    notice = case.notices.get()
    client.force_login(cast.software_lead)
    response = client.get(reverse("cases:notice_docx", args=[notice.pk]))
    doc = official_docx(response, name_starts=f"整改通知书-{notice.number[:4]}")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert notice.number in text and "整改通知书" in text and "回　执" in text
    assert doc.tables[0].cell(0, 1).text == notice.number


def test_analysis_report_and_dashboard(cast, client):
    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.CLOSED)
    file_case(cast.teacher, cast.units.rj, category=category())
    client.force_login(cast.quality_officer)
    page = client.get(reverse("cases:dashboard"))
    figures = page.context["figures"]
    assert figures["total"] == 2 and figures["rectification_on_time_rate"] == 1.0
    assert figures["satisfaction_mean"] == 5
    response = client.get(reverse("cases:analysis_docx"))
    doc = official_docx(response, name_starts="近三年质量事故分析报告-")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "近三年质量事故分析报告" in text and case.number in text
    pytest.importorskip("matplotlib")
    assert doc.inline_shapes  # charts as images


def test_the_analysis_charts_print_sharp_and_the_offices_template_is_used(
    cast, client, settings, tmp_path
):
    pytest.importorskip("matplotlib")
    settings.MEDIA_ROOT = tmp_path
    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.CLOSED)
    client.force_login(cast.quality_officer)
    doc = official_docx(client.get(reverse("cases:analysis_docx")))
    assert red_runs(doc) == [cast.units.college.name]
    assert [r.cells[0].text for r in doc.tables[0].rows] == ["类别", case.category.parent.name]
    # one chart per month line and per part, each at print resolution (300 dpi or more)
    assert len(doc.inline_shapes) == 4
    for shape in doc.inline_shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        image = doc.part.related_parts[blip.embed].image
        assert image.px_width / shape.width.inches >= 300

    assert upload_template(client, "cases.analysis", "本校分析：{{ total }}件").status_code == 302
    doc = official_docx(client.get(reverse("cases:analysis_docx")))
    assert "本校分析：1件" in docx_text(doc)
    assert doc.inline_shapes  # the charts are still there


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"x"', "1", "null"])
def test_a_json_body_that_is_not_an_object_is_400(cast, login, body):
    response = login(cast.teacher).post("/api/v1/cases/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "parse_error", "message": "JSON 请求体必须是对象。"}


def test_a_submission_token_returns_a_case_only_to_whoever_filed_it(cast, client):
    """A repeated token returns the first case to its reporter (a double submit); someone else
    sending the same token gets a 400 that names the token and nothing of that case, on the API
    and on the filing page."""
    client.force_login(cast.teacher)
    body = complaint(cast, title="实训室设备损坏", description="机房三台电脑无法开机。")
    first = client.post("/api/v1/cases/", body, content_type="application/json")
    assert first.status_code == 201
    again = client.post("/api/v1/cases/", body, content_type="application/json")
    assert again.json()["id"] == first.json()["id"]

    client.force_login(cast.student)
    other = client.post(
        "/api/v1/cases/",
        complaint(cast, idempotency_key=body["idempotency_key"]),
        content_type="application/json",
    )
    assert other.status_code == 400
    assert "idempotency_key" in other.json()["errors"]
    assert "实训室设备损坏" not in other.content.decode()
    page = client.post(
        reverse("cases:file", args=["complaint"]),
        {**complaint(cast, idempotency_key=body["idempotency_key"]), "title": "食堂卫生差"},
    )
    assert page.status_code == 200
    assert "实训室设备损坏" not in page.content.decode()
    assert "提交令牌已使用" in page.content.decode() or page.context["form"].errors
    assert page.context["form"]["title"].value() == "食堂卫生差"
    assert Case.objects.count() == 1
