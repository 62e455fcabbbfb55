"""The workflow as people click it: author, head, office, expert, chair, committee, public."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.documents import (
    TEMPLATES_PAGE,
    docx_text,
    official_docx,
    red_runs,
    upload_template,
)
from workflows.review.conclusions import Conclusion
from workflows.review.models import (
    ReportStatus,
    ReviewConclusion,
    RoundStatus,
    SanctionDecision,
    SelfDiagnosisReport,
)

from .factories import (
    GOOD_ROW,
    filled_report,
    forwarded_report,
    record_findings,
    round_in_review,
    shipped_catalogue,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def login():
    """A separate browser per person, so several people can act in one test."""

    def _login(user):
        client = Client()
        client.force_login(user)
        return client

    return _login


def _row_post(report, overrides=None):
    data = {"overview": "本年度开展了自我诊改工作。"}
    for row in report.rows.all():
        values = {**GOOD_ROW, **((overrides or {}).get(row.element_id, {}))}
        for name, value in values.items():
            data[f"row-{row.element_id}-{name}"] = value
    return data


def test_author_writes_submits_and_head_approves_through_the_pages(cast, login):
    catalogue = shipped_catalogue()
    client = login(cast.software_member)
    response = client.post(
        reverse("review:report_list"),
        {
            "org_unit": cast.units.rj.pk,
            "catalogue": catalogue.pk,
            "period": "2026",
            "title": "软件技术专业自我诊改报告",
        },
    )
    report = SelfDiagnosisReport.objects.get()
    assert response.url == reverse("review:report_edit", args=[report.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert "data-limits" in page.content.decode()

    first = report.rows.first()
    too_long = {first.element_id: {"measures": "措" * 201}}
    response = client.post(response.url, {**_row_post(report, too_long), "action": "submit"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "201" in body and "200" in body
    first.refresh_from_db()
    assert first.measures == "措" * 201  # nothing typed is lost
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT

    response = client.post(
        reverse("review:report_edit", args=[report.pk]), {**_row_post(report), "action": "submit"}
    )
    assert response.url == reverse("review:report_detail", args=[report.pk])
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    head = login(cast.software_lead)
    home = head.get(reverse("home")).content.decode()
    assert "待审核或报送的自我诊改报告" in home
    approved = head.post(reverse("review:report_action", args=[report.pk, "approve"]), follow=True)
    assert "自我诊改报告已审核通过。" in approved.content.decode()
    # the approver does not also forward (separation of duties): the department head does
    forwarded = login(cast.xx_leader).post(
        reverse("review:report_action", args=[report.pk, "forward"]), follow=True
    )
    assert "自我诊改报告已报送质量管理办公室。" in forwarded.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.FORWARDED


def test_autosave_keeps_over_limit_text(cast, login):
    report = forwarded_report(cast)  # a separate draft below
    draft = SelfDiagnosisReport.objects.create(
        catalogue=report.catalogue,
        org_unit=cast.units.rj,
        period="2027",
        title="草稿",
        author=cast.software_member,
    )
    draft.rows.create(element=report.catalogue.elements.first())
    element = report.catalogue.elements.first()
    client = login(cast.software_member)
    response = client.post(
        reverse("review:report_edit", args=[draft.pk]),
        {"overview": "概" * 600, f"row-{element.pk}-problems": "问" * 700},
        HTTP_X_AUTOSAVE="1",
    )
    assert response.json() == {"saved": True}
    draft.refresh_from_db()
    assert draft.overview == "概" * 600
    assert draft.rows.get().problems == "问" * 700


def test_other_units_reports_are_invisible(cast, login):
    report = forwarded_report(cast)
    assert (
        login(cast.jd_leader).get(reverse("review:report_detail", args=[report.pk])).status_code
        == 404
    )
    assert (
        login(cast.xx_leader).get(reverse("review:report_detail", args=[report.pk])).status_code
        == 200
    )


def test_expert_sees_only_assigned_reports_from_publication_on(cast, login):
    report = forwarded_report(cast)
    start = timezone.localdate() + datetime.timedelta(days=40)
    office = login(cast.quality_officer)
    office.post(
        reverse("review:round_list"),
        {
            "name": "2026 复核",
            "catalogue": report.catalogue.pk,
            "review_start": start,
            "review_end": start,
        },
    )
    from workflows.review.models import ReviewRound

    round_ = ReviewRound.objects.get()
    round_url = reverse("review:round_detail", args=[round_.pk])
    office.post(round_url, {"step": "add", "report": report.pk})
    office.post(
        round_url,
        {
            "step": "panel",
            "user": cast.expert.pk,
            "kind": "external",
            "is_chair": "on",
            "declaration": "无利益冲突",
        },
    )
    member = round_.panel.get()
    office.post(round_url, {"step": "assign", "member": member.pk, "report": report.pk})
    assignment = member.assignments.get()

    expert = login(cast.expert)
    assert expert.get(reverse("review:assignment_detail", args=[assignment.pk])).status_code == 404
    assert expert.get(reverse("review:report_detail", args=[report.pk])).status_code == 404

    office.post(round_url, {"step": "publish"})
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DISCLOSED
    assert expert.get(reverse("review:assignment_detail", args=[assignment.pk])).status_code == 200
    # 我的复核任务 does not list as 待完成 what cannot be done before the review opens (the inbox
    # and the home card count nothing yet): it says from when
    row = expert.get(reverse("review:my_assignments")).content.decode()
    assert f"{start:%Y-%m-%d} 起可填写" in row and "待完成" not in row
    other = forwarded_report(cast, unit=cast.units.rj_python, catalogue=report.catalogue)
    assert expert.get(reverse("review:report_detail", args=[other.pk])).status_code == 404

    response = office.post(round_url, {"step": "start"})
    assert "disclosure period" in response.content.decode() or "公示期" in response.content.decode()
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DISCLOSED


def test_conflicting_assignment_is_refused_on_the_page(cast, login):
    report = forwarded_report(cast)
    start = timezone.localdate() + datetime.timedelta(days=40)
    office = login(cast.quality_officer)
    office.post(
        reverse("review:round_list"),
        {"name": "r", "catalogue": report.catalogue.pk, "review_start": start, "review_end": start},
    )
    from workflows.review.models import ReviewRound

    round_ = ReviewRound.objects.get()
    url = reverse("review:round_detail", args=[round_.pk])
    office.post(url, {"step": "add", "report": report.pk})
    office.post(
        url,
        {
            "step": "panel",
            "user": cast.xx_leader.pk,
            "kind": "internal",
            "declaration": "信息工程系主任",
        },
    )
    response = office.post(
        url, {"step": "assign", "member": round_.panel.get().pk, "report": report.pk}
    )
    assert response.status_code == 200
    assert not round_.panel.get().assignments.exists()
    assert (
        "Conflict of interest" in response.content.decode()
        or "利益冲突" in response.content.decode()
    )


def test_expert_records_findings_and_chair_signs_through_the_pages(cast, login):
    report = forwarded_report(cast)
    round_, chair = round_in_review(cast, [report])
    assignment = chair.assignments.get()
    expert = login(cast.expert)
    url = reverse("review:assignment_detail", args=[assignment.pk])
    elements = list(report.catalogue.elements_in_order())
    data = {"action": "submit", "measures_strong": "yes"}
    for i, element in enumerate(elements):
        data[f"match-{element.pk}-0"] = "yes" if i < 12 else "no"
    # a mismatch says what does not match: it becomes the unit's improvement item
    page = expert.post(url, data, follow=True).content.decode()
    assignment.refresh_from_db()
    assert assignment.submitted_at is None
    assert "请说明以下各项不相符之处：" in page and str(elements[12]) in page
    for element in elements[12:]:
        data[f"comment-{element.pk}-0"] = "自评偏高，佐证不足"
    expert.post(url, data)
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None

    sign_url = reverse("review:conclusion_sign", args=[round_.pk, report.pk])
    assert login(cast.quality_officer).get(sign_url).status_code == 403
    page = expert.get(sign_url)
    assert page.status_code == 200
    expert.post(
        sign_url,
        {
            **{f"match-{e.pk}-0": ("yes" if i < 12 else "no") for i, e in enumerate(elements)},
            "measures_strong": "yes",
            "summary": "总体符合",
        },
    )
    conclusion = ReviewConclusion.objects.get()
    assert conclusion.conclusion == Conclusion.EFFECTIVE
    assert (conclusion.matched, conclusion.total) == (12, 15)

    committee = login(cast.committee_member).get(reverse("review:committee")).content.decode()
    assert cast.units.rj.name in committee
    assert login(cast.teacher).get(reverse("review:committee")).status_code == 403


def test_sanction_flag_shows_and_is_decided_with_committee_approval(cast, login):
    report = forwarded_report(cast)
    round_, chair = round_in_review(cast, [report])
    record_findings(cast.expert, chair.assignments.get(), matching=3)
    from workflows.review import services

    services.conclusion_sign(actor=cast.expert, round_=round_, report=report)
    lead = login(cast.software_lead)
    status_url = reverse("review:unit_status", args=[cast.units.rj.pk])
    assert "⚑" in lead.get(status_url).content.decode()
    assert f'href="{status_url}"' in lead.get(reverse("home")).content.decode()
    assert status_url not in login(cast.jd_leader).get(reverse("home")).content.decode()
    unit_page = lead.get(reverse("accounts:unit_detail", args=[cast.units.rj.pk])).content.decode()
    assert "列入处罚名单" in unit_page
    assert f'href="{status_url}"' in unit_page
    office_view = login(cast.quality_officer).get(
        reverse("accounts:unit_detail", args=[cast.units.rj.pk])
    )
    assert f'href="{status_url}"' in office_view.content.decode()
    office = login(cast.quality_officer)
    flag = ReviewConclusion.objects.get().sanction_flag
    proposed = office.post(
        reverse("review:committee"),
        {"flag": flag.pk, "measure": "funds", "detail": "减少专项经费 20%"},
        follow=True,
    )
    assert "处理措施已提交委员会审定。" in proposed.content.decode()
    decision = SanctionDecision.objects.get()
    office.post(reverse("review:committee"), {"decision": decision.pk})
    decision.refresh_from_db()
    assert decision.approved_at is None
    approved = login(cast.chair).post(
        reverse("review:committee"), {"decision": decision.pk}, follow=True
    )
    assert "处理措施已批准。" in approved.content.decode()
    decision.refresh_from_db()
    assert decision.approved_by == cast.chair


def test_public_page_shows_published_material_only_without_login(cast, client):
    published = forwarded_report(cast)
    from workflows.review import services

    services.report_publish(actor=cast.quality_officer, report=published)
    hidden = forwarded_report(cast, unit=cast.units.rj_python, catalogue=published.catalogue)
    body = client.get(reverse("review:public_list")).content.decode()
    assert published.title in body
    assert hidden.title not in body
    assert client.get(reverse("review:public_report", args=[published.pk])).status_code == 200
    assert client.get(reverse("review:public_report", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("review:report_list")).status_code == 302


def test_report_docx_has_the_annex2_table(cast, login):
    report = forwarded_report(cast)
    response = login(cast.software_lead).get(reverse("review:report_docx", args=[report.pk]))
    doc = official_docx(response, name_starts=f"自我诊改报告-{report.org_unit.name}-")
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == [
        "诊断项目",
        "诊断要素",
        "自我诊断意见",
        "改进措施",
        "改进成效",
    ]
    assert len(table.rows) == 1 + 15
    # item 1 has four elements: its cell is merged over rows 1-4
    assert table.cell(1, 0).text == table.cell(4, 0).text == "1 体系总体构架"
    assert table.cell(1, 0)._tc is table.cell(4, 0)._tc
    assert table.cell(5, 0).text == "2 专业质量保证"
    assert table.cell(1, 1).text == "1.1 质量保证理念"
    assert GOOD_ROW["problems"] in table.cell(1, 2).text
    assert any("签字" in p.text for p in doc.paragraphs)
    notes = [p.text for p in doc.paragraphs]
    assert "诊改报告备注" in notes
    assert any("总体不超过 500 字" in p for p in notes)


def test_the_quality_office_uploads_its_annex2_template_and_the_next_report_uses_it(
    cast, login, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    from workflows.review import exports

    report = forwarded_report(cast)
    # an uploaded template is tried with the sample: it must offer every field the report has
    assert set(exports.self_diagnosis_sample()) == set(exports.self_diagnosis_context(report))
    url = reverse("review:report_docx", args=[report.pk])
    default = official_docx(login(cast.software_lead).get(url))
    assert red_runs(default) == [cast.units.college.name]  # the red 版头 of the default
    assert "本校版式" not in docx_text(default)

    answer = upload_template(
        login(cast.quality_officer), "review.self_diagnosis", "本校版式：{{ unit }}"
    )
    assert answer.status_code == 302

    doc = official_docx(login(cast.software_lead).get(url))
    assert f"本校版式：{report.org_unit.name}" in docx_text(doc)
    assert len(doc.tables[0].rows) == 1 + 15  # the rest of the template is still filled
    # a unit may not replace the college's template
    refused = login(cast.software_lead).post(TEMPLATES_PAGE, {"kind": "review.self_diagnosis"})
    assert refused.status_code == 403


def test_review_report_docx_lists_conclusions_and_findings(cast, login):
    report = forwarded_report(cast)
    round_, chair = round_in_review(cast, [report])
    record_findings(cast.expert, chair.assignments.get(), matching=10)
    from workflows.review import services

    services.conclusion_sign(actor=cast.expert, round_=round_, report=report)
    response = login(cast.quality_officer).get(reverse("review:round_docx", args=[round_.pk]))
    doc = official_docx(response, name_starts=f"复核报告-{round_.name}")
    summary = doc.tables[1]
    assert summary.rows[1].cells[0].text == cast.units.rj.name
    assert summary.rows[1].cells[2].text == "10 / 15"
    assert summary.rows[1].cells[4].text == "待改进"
    findings = doc.tables[2]
    assert len(findings.rows) == 1 + 15
    assert [r.cells[1].text for r in findings.rows[1:]].count("否") == 5


def test_the_next_review_report_follows_the_quality_offices_template(
    cast, login, settings, tmp_path
):
    from workflows.review import exports, services

    settings.MEDIA_ROOT = tmp_path
    report = forwarded_report(cast)
    round_, chair = round_in_review(cast, [report])
    record_findings(cast.expert, chair.assignments.get(), matching=10)
    services.conclusion_sign(actor=cast.expert, round_=round_, report=report)
    assert set(exports.review_report_sample()) == set(exports.review_report_context(round_))
    office = login(cast.quality_officer)
    url = reverse("review:round_docx", args=[round_.pk])
    default = official_docx(office.get(url))
    assert red_runs(default) == [cast.units.college.name]
    assert "专家组组长（签字）：" in docx_text(default)

    answer = upload_template(office, "review.review_report", "本校复核：{{ conclusions|length }}份")
    assert answer.status_code == 302
    doc = official_docx(office.get(url))
    assert "本校复核：1份" in docx_text(doc)
    assert len(doc.tables[2].rows) == 1 + 15


def test_late_publication_warns_the_organiser_and_the_start_is_refused(cast, login):
    from django.conf import settings

    from workflows.review import services

    report = forwarded_report(cast)
    start = timezone.localdate() + datetime.timedelta(days=10)
    office = login(cast.quality_officer)
    # Planned in time (the create form refuses a start whose deadline has passed), published late.
    round_ = services.round_create(
        actor=cast.quality_officer,
        name="迟公示",
        catalogue=report.catalogue,
        review_start=start,
        review_end=start,
        today=start - datetime.timedelta(days=settings.REVIEW_DISCLOSURE_DAYS),
    )
    url = reverse("review:round_detail", args=[round_.pk])
    office.post(url, {"step": "add", "report": report.pk})
    office.post(
        url,
        {
            "step": "panel",
            "user": cast.expert.pk,
            "kind": "external",
            "is_chair": "on",
            "declaration": "无",
        },
    )
    page = office.post(url, {"step": "publish"}, follow=True).content.decode()
    assert "公示晚于截止日期" in page
    page = office.post(url, {"step": "start"}).content.decode()
    assert "晚于截止日期" in page
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DISCLOSED
    listed = ReviewConclusion.objects.get()
    assert listed.conclusion == Conclusion.NEEDS_IMPROVEMENT
    assert "待改进" in login(cast.chair).get(reverse("review:committee")).content.decode()


def test_every_page_renders_in_chinese_for_the_people_who_use_it(cast, login):
    report = forwarded_report(cast)
    round_, chair = round_in_review(cast, [report])
    office = login(cast.quality_officer)
    for name, args, text in [
        ("review:report_list", [], "自我诊改报告"),
        ("review:round_list", [], "新建复核批次"),
        ("review:round_detail", [round_.pk], "复核专家组"),
        ("review:catalogue_list", [], "导入参考表新版本"),
        ("review:document_jobs", [], "年度质量报告"),
        ("review:committee", [], "复核结论"),
        ("review:report_detail", [report.pk], "导出 Word"),
    ]:
        response = office.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert text in response.content.decode(), name
    expert = login(cast.expert)
    page = expert.get(reverse("review:my_assignments")).content.decode()
    assert "汇总并签署" in page
    assert reverse("review:assignment_detail", args=[chair.assignments.get().pk]) in page
    nav = login(cast.teacher).get(reverse("home")).content.decode()
    assert reverse("review:round_list") not in nav


def test_the_unit_writes_the_draft_together_and_its_author_submits_it(cast, login):
    """The progress line names the author for 撰写并提交: a co-author (the team leader) saves
    the draft but is not offered the submission, and a crafted one only saves."""
    report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
    edit = reverse("review:report_edit", args=[report.pk])
    lead = login(cast.software_lead)
    page = lead.get(edit).content.decode()
    assert 'value="submit"' not in page and f"由{cast.software_member}提交" in page
    response = lead.post(edit, {**_row_post(report), "action": "submit"}, follow=True)
    assert "草稿已保存；报告由撰写人提交。" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.overview == "本年度开展了自我诊改工作。"

    author = login(cast.software_member)
    assert 'value="submit"' in author.get(edit).content.decode()
    author.post(edit, {**_row_post(report), "action": "submit"})
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
