"""Official documents from Word templates the offices own: the quality office downloads the
notice template, changes it in Word, uploads it, and the next notice uses it; a broken template
is refused with the place of the error and the one in use stays."""

import io

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from cases.models import Status as S
from engine import doc_templates
from engine.models import DocumentTemplate
from tests.cases.factories import advance, file_case
from tests.documents import docx_text, edited, official_docx, red_runs

pytestmark = pytest.mark.django_db
PAGE = "/documents/templates/"


def named(content: bytes, name="notice.docx"):
    f = io.BytesIO(content)
    f.name = name
    return f


def notice_text(cast, client, notice):
    client.force_login(cast.software_lead)
    response = client.get(reverse("cases:notice_docx", args=[notice.pk]))
    doc = official_docx(response)
    return "\n".join(p.text for p in doc.paragraphs)


def test_the_office_uploads_its_own_notice_template_and_the_next_notice_uses_it(
    cast, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.RECTIFYING)
    notice = case.notices.get()
    assert "学院红头测试" not in notice_text(cast, client, notice)

    client.force_login(cast.quality_officer)
    page = client.get(PAGE).content.decode()
    assert "整改" in page
    default = client.get(reverse("engine:document_template_download", args=["cases.notice"]))
    assert default.status_code == 200
    answer = client.post(
        PAGE,
        {
            "kind": "cases.notice",
            "note": "红头",
            "file": named(edited(default.content, "学院红头测试：{{ issuer }}")),
        },
    )
    assert answer.status_code == 302
    template = DocumentTemplate.objects.get()
    assert template.version == 1 and template.uploaded_by == cast.quality_officer
    assert AuditEntry.objects.filter(action="engine.template.upload").exists()

    text = notice_text(cast, client, notice)
    assert f"学院红头测试：{notice.issuer_unit.name}" in text
    assert notice.number in text  # the rest of the layout is still filled

    client.force_login(cast.quality_officer)
    client.post(PAGE, {"kind": "cases.notice", "action": "default"})
    assert "学院红头测试" not in notice_text(cast, client, notice)


@pytest.mark.parametrize(
    "tag,expected",
    [
        ("{{ issuer ", "模板标记有误"),
        ("{% for line in %}", "模板标记有误"),
        ("{{ no_such_field }}", "没有的字段"),
    ],
)
def test_a_broken_template_is_refused_with_the_place_and_the_old_one_stays(
    cast, client, settings, tmp_path, tag, expected
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.quality_officer)
    default = client.get(reverse("engine:document_template_download", args=["cases.notice"]))
    refused = client.post(
        PAGE,
        {"kind": "cases.notice", "file": named(edited(default.content, f"签发人：{tag}"))},
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert expected in page
    if expected == "模板标记有误":
        assert "签发人" in page  # the place: the text around the broken tag
    assert not DocumentTemplate.objects.exists()


def test_a_file_that_is_not_a_word_file_is_refused(cast, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.quality_officer)
    refused = client.post(PAGE, {"kind": "cases.notice", "file": named(b"%PDF-1.4", "a.docx")})
    assert refused.status_code == 400
    assert "不是 Word" in refused.content.decode()
    assert not DocumentTemplate.objects.exists()


def test_only_the_owning_offices_see_and_change_templates(cast, client):
    client.force_login(cast.teacher)
    assert client.get(PAGE).status_code == 403
    assert (
        client.get(reverse("engine:document_template_download", args=["cases.notice"])).status_code
        == 404
    )
    client.force_login(cast.quality_officer)
    assert (
        client.get(reverse("engine:document_template_download", args=["no.such"])).status_code
        == 404
    )


@pytest.mark.parametrize("kind", sorted(doc_templates.KINDS))
def test_every_shipped_default_passes_its_check_and_fills_the_official_layout(kind, cast):
    entry = doc_templates.KINDS[kind]
    content = entry.default.read_bytes()
    doc_templates.check(kind, content)
    doc = official_docx(doc_templates.render(kind, entry.sample()))
    text = docx_text(doc)
    assert "{{" not in text and "{%" not in text, text  # every tag was a tag
    if entry.build is not None:  # the notice's default was crafted before the build scripts
        assert cast.units.college.name in red_runs(doc)  # the 版头


@pytest.mark.parametrize(
    "kind", sorted(k for k, entry in doc_templates.KINDS.items() if entry.required)
)
def test_a_template_that_leaves_out_the_documents_data_is_refused(kind, cast, client):
    from docx import Document

    doc = Document(io.BytesIO(doc_templates.KINDS[kind].default.read_bytes()))
    body = doc.element.body
    for block in list(body.iterchildren()):  # an office kept only its letterhead
        if not block.tag.endswith("sectPr"):
            body.remove(block)
    doc.add_paragraph("{{ college }}")
    out = io.BytesIO()
    doc.save(out)
    client.force_login(cast.quality_officer)
    f = io.BytesIO(out.getvalue())
    f.name = "t.docx"
    refused = client.post(PAGE, {"kind": kind, "file": f})
    assert refused.status_code == 400
    assert "模板缺少文档必需的字段" in refused.content.decode()
    assert not DocumentTemplate.objects.exists()


def test_text_that_word_cannot_hold_is_dropped_and_line_breaks_stay(cast):
    from workflows.monitoring.exports import ledger_sample

    sample = ledger_sample()
    sample["title"] = "台账\x0b\x01标题\r"
    sample["rows"][0]["measures"] = "第一步\n第二步"
    doc = official_docx(doc_templates.render("monitoring.ledger", sample))
    assert doc.paragraphs[0].text == "台账标题"
    assert doc.tables[0].rows[1].cells[4].text == "第一步\n第二步"
