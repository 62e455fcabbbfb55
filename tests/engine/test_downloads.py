"""Every file the product hands out, walked on the demo college: the browser saves it under a
Chinese name that says what it holds (RFC 5987 `filename*`, with an ASCII fallback), never
`ledger.docx`. A new download route without a row here fails the first test."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from accounts.models import User
from cases import services as case_services
from cases.models import Case, Notice
from engine import attachments
from tests.documents import download_name
from workflows.monitoring.models import Cycle, CycleReport, Period, PeriodKind
from workflows.plans.models import ExportJob
from workflows.review import services as review_services
from workflows.review.models import (
    Catalogue,
    DocumentJob,
    PersonalReport,
    ReviewRound,
    RoundStatus,
    SelfDiagnosisReport,
)

pytestmark = pytest.mark.django_db

TODAY = f"{timezone.localdate():%Y%m%d}"
YEAR = str(timezone.localdate().year)

# Routes that serve a file, and the name each must carry (a regular expression on the name).
DOWNLOADS = {
    "cases/export.xlsx": rf"^案件台账-{TODAY}\.xlsx$",
    "cases/analysis.docx": rf"^近三年质量事故分析报告-{TODAY}\.docx$",
    "cases/notices/<int:pk>/notice.docx": r"^整改通知书-.+质督\(\d{4}\)\d+号-软件技术\.docx$",
    "discipline/complaints/export.xlsx": rf"^投诉监督台账-{TODAY}\.xlsx$",
    "discipline/reports/export.xlsx": rf"^举报台账-{TODAY}\.xlsx$",
    "monitoring/improvements/export.<str:fmt>": rf"^改进台账-示范职业技术学院-{YEAR}\.(docx|xlsx)$",
    "monitoring/overview/<int:period>/appraisal.xlsx": r"^诊改结果-.+\.xlsx$",
    "monitoring/cycles/reports/<int:pk>/download/": r"^专业年度质量报告-软件技术-\d{4}\.docx$",
    "plans/export/<str:what>.<str:fmt>": rf"^.*(任务|目标|标准).*-{TODAY}\.(docx|xlsx)$",
    "plans/exports/<int:pk>/download/": rf"^.*任务.*-{TODAY}\.xlsx$",
    "review/reports/<int:pk>/export.docx": r"^自我诊改报告-软件技术-2026\.docx$",
    "review/reports/<int:pk>/evidence/<int:doc_pk>/": r"^佐证材料-信息工程系-专业调研报告\.txt$",
    "review/rounds/<int:pk>/review-report.docx": r"^复核报告-2026年度专业诊改复核\.docx$",
    "review/catalogues/<int:pk>/export.xlsx": r"^北京.+-v1\.xlsx$",
    "review/documents/<int:pk>/download/": rf"^年度质量报告-{YEAR}\.docx$",
    "review/public/<int:pk>/export.docx": r"^自我诊改报告-示范职业技术学院-2026\.docx$",
    # the offices' Word templates: the one in use (the default here) and a given version
    "documents/templates/<str:kind>/download/": r"^整改_督办通知书（含回执）-模板-默认\.docx$",
    "documents/templates/<str:kind>/v<int:version>/download/": (
        r"^整改_督办通知书（含回执）-模板-默认\.docx$"
    ),
    "review/personal/<int:pk>/export.docx": r"^学生个人发展诊改报告-郑小明-2026\.docx$",
    # a person's own upload keeps the name they gave it
    "files/<int:pk>/": r"^课堂照片说明\.txt$",
}
# Pages around a download that are not files themselves.
PAGES = {"plans/exports/", "plans/exports/<int:pk>/"}
# by its address or by its view's name
LOOKS_LIKE_A_FILE = re.compile(r"(export|download|docx|xlsx|^files/)")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.lookup_str


def test_every_download_route_is_walked():
    routes = {
        route
        for route, view in _routes(get_resolver().url_patterns)
        if LOOKS_LIKE_A_FILE.search(route) or LOOKS_LIKE_A_FILE.search(view.rsplit(".", 1)[-1])
    }
    assert routes - PAGES == set(DOWNLOADS)


def _user(username):
    return User.objects.get(username=username)


def _urls(client, capture):
    """(route, user, url) for every download, on the seeded demo."""
    rj_report = SelfDiagnosisReport.objects.get(org_unit__code="rj", period="2026")
    school_report = SelfDiagnosisReport.objects.get(org_unit__code="college")
    draft = SelfDiagnosisReport.objects.get(org_unit__code="xx")
    personal = PersonalReport.objects.get(person__username="student")
    evidence = review_services.evidence_upload(
        actor=_user("xx_member"),
        report=draft,
        title="专业调研报告",
        file=SimpleUploadedFile("survey.txt", "调研纪要".encode(), content_type="text/plain"),
    )
    case = Case.objects.filter(status="rectifying", accepting_unit__code="xx").first()
    notice = Notice.objects.filter(case=case).first()
    case_services.case_attach(
        actor=case.reporter,
        case=case,
        upload=SimpleUploadedFile(
            "课堂照片说明.txt", "三张照片".encode(), content_type="text/plain"
        ),
    )
    attachment = attachments.attachments_for(case).last()
    with capture(execute=True):
        job = review_services.document_job_create(
            actor=_user("zgb"), kind=DocumentJob.Kind.ANNUAL, year=int(YEAR)
        )
    client.force_login(_user("zgb"))
    with capture(execute=True):
        client.post("/plans/exports/", {"what": "tasks", "fmt": "xlsx"})
    export_job = ExportJob.objects.get()
    rj_cycle = Cycle.objects.filter(subject__subject_unit__code="rj").order_by("pk").first()
    client.force_login(_user("rj_leader"))
    with capture(execute=True):
        client.post(f"/monitoring/cycles/{rj_cycle.pk}/report/")
    cycle_report = CycleReport.objects.get(cycle=rj_cycle)
    in_review = ReviewRound.objects.get(status=RoundStatus.IN_REVIEW)
    period = Period.objects.exclude(kind=PeriodKind.WEEK).order_by("pk").first()
    catalogue = Catalogue.objects.filter(status=Catalogue.Status.ACTIVE).order_by("pk").first()
    return [
        ("cases/export.xlsx", "zgb", "/cases/export.xlsx"),
        ("cases/analysis.docx", "chair", "/cases/analysis.docx"),
        (
            "cases/notices/<int:pk>/notice.docx",
            "xx_leader",
            f"/cases/notices/{notice.pk}/notice.docx",
        ),
        ("discipline/complaints/export.xlsx", "jiwei", "/discipline/complaints/export.xlsx"),
        ("discipline/reports/export.xlsx", "jiwei", "/discipline/reports/export.xlsx"),
        *[
            (
                "monitoring/improvements/export.<str:fmt>",
                "zgb",
                f"/monitoring/improvements/export.{fmt}",
            )
            for fmt in ("xlsx", "docx")
        ],
        (
            "monitoring/overview/<int:period>/appraisal.xlsx",
            "zgb",
            f"/monitoring/overview/{period.pk}/appraisal.xlsx",
        ),
        (
            "monitoring/cycles/reports/<int:pk>/download/",
            "rj_leader",
            f"/monitoring/cycles/reports/{cycle_report.pk}/download/",
        ),
        *[
            ("plans/export/<str:what>.<str:fmt>", "zgb", f"/plans/export/{what}.{fmt}")
            for what in ("tasks", "targets", "standards")
            for fmt in ("xlsx", "docx")
        ],
        ("plans/exports/<int:pk>/download/", "zgb", f"/plans/exports/{export_job.pk}/download/"),
        (
            "review/reports/<int:pk>/export.docx",
            "zgb",
            f"/review/reports/{rj_report.pk}/export.docx",
        ),
        (
            "review/reports/<int:pk>/evidence/<int:doc_pk>/",
            "xx_member",
            f"/review/reports/{draft.pk}/evidence/{evidence.pk}/",
        ),
        (
            "review/rounds/<int:pk>/review-report.docx",
            "zgb",
            f"/review/rounds/{in_review.pk}/review-report.docx",
        ),
        (
            "review/catalogues/<int:pk>/export.xlsx",
            "zgb",
            f"/review/catalogues/{catalogue.pk}/export.xlsx",
        ),
        ("review/documents/<int:pk>/download/", "zgb", f"/review/documents/{job.pk}/download/"),
        (
            "review/public/<int:pk>/export.docx",
            None,
            f"/review/public/{school_report.pk}/export.docx",
        ),
        ("files/<int:pk>/", case.reporter.username, f"/files/{attachment.pk}/"),
        (
            "documents/templates/<str:kind>/download/",
            "zgb",
            "/documents/templates/cases.notice/download/",
        ),
        (
            "documents/templates/<str:kind>/v<int:version>/download/",
            "zgb",
            "/documents/templates/cases.notice/v0/download/",
        ),
        (
            "review/personal/<int:pk>/export.docx",
            "student",
            f"/review/personal/{personal.pk}/export.docx",
        ),
    ]


def test_every_download_is_named_for_what_it_holds(
    seeded, client, django_capture_on_commit_callbacks
):
    walked, wrong = set(), []
    for route, username, url in _urls(client, django_capture_on_commit_callbacks):
        client.logout()
        if username:
            client.force_login(_user(username))
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        header = response["Content-Disposition"]
        name = download_name(response)
        walked.add(route)
        if not (
            re.search(DOWNLOADS[route], name)
            and re.search(r"[\u4e00-\u9fff]", name)
            and 'filename="' in header  # the ASCII fallback for old clients
        ):
            wrong.append((url, name))
    assert wrong == []
    assert walked == set(DOWNLOADS)
