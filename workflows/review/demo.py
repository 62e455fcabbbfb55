"""Demo activity for the review: self-diagnosis reports in every state of their writing, a round
whose material is on public display and a round under review with the external expert assigned.
Through the services as the demo people; running it twice changes nothing."""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import OrgUnit, User

from . import services
from .models import (
    Catalogue,
    PanelMember,
    ReviewAssignment,
    ReviewRound,
    SelfDiagnosisReport,
)

PERIOD = "2026"
CATALOGUE = "beijing-annex1"
IN_REVIEW = "2026年度专业诊改复核"
IN_DISCLOSURE = "2026年度学校诊改复核"
CONCLUDED = "2025年度专业诊改复核"

ROW = {
    "achievements": "年度目标基本达成，建成质量保证工作组并按月开展自查。",
    "problems": "问题：部分制度执行不到位，考核标准不够细化；原因：专职人员不足，培训偏少。",
    "measures": "补充专职人员，细化考核标准，每学期组织两次专题培训。",
    "effects": "考核覆盖率由六成提高到九成，学生评教满意度提高五个百分点。",
}


def _report(author, unit, catalogue, period=PERIOD) -> SelfDiagnosisReport:
    existing = SelfDiagnosisReport.objects.filter(
        org_unit=unit, period=period, catalogue=catalogue, level=""
    ).first()
    if existing is not None:
        return existing
    report = services.report_create(
        actor=author,
        org_unit=unit,
        catalogue=catalogue,
        period=period,
        title=f"{unit.name}{period}年度自我诊改报告",
    )
    services.report_save_draft(
        actor=author,
        report=report,
        overview="本年度对照诊改要素逐项开展了自我诊断与改进。",
        rows={row.element_id: dict(ROW) for row in report.rows.all()},
    )
    return report


def _forwarded(author, approver, forwarder, unit, catalogue, period=PERIOD):
    report = _report(author, unit, catalogue, period)
    if report.status == "draft":
        services.report_submit(actor=author, report=report)
        services.report_approve(actor=approver, report=report)
        services.report_forward(actor=forwarder, report=report)
    return SelfDiagnosisReport.objects.get(pk=report.pk)


def _round(officer, expert, name, catalogue, report, start) -> ReviewRound:
    round_ = ReviewRound.objects.filter(name=name).first()
    if round_ is not None:
        return round_
    round_ = services.round_create(
        actor=officer,
        name=name,
        catalogue=catalogue,
        review_start=start,
        review_end=start + datetime.timedelta(days=5),
    )
    services.round_add_report(actor=officer, round_=round_, report=report)
    chair = services.panel_add(
        actor=officer,
        round_=round_,
        user=expert,
        kind=PanelMember.Kind.EXTERNAL,
        declaration="与被复核单位无任何利益关系",
        is_chair=True,
    )
    services.assignment_create(actor=officer, member=chair, report=report)
    services.round_publish(actor=officer, round_=round_)
    return ReviewRound.objects.get(pk=round_.pk)


def _concluded(officer, expert, report, catalogue) -> None:
    """Last year's review of the major, concluded 待改进: its improvement period waits in the
    major's inbox (ConclusionFlow) until this year's conclusion."""
    if ReviewRound.objects.filter(name=CONCLUDED).exists():
        return
    start = timezone.localdate() + datetime.timedelta(days=45)
    round_ = _round(officer, expert, CONCLUDED, catalogue, report, start)
    services.round_start(actor=officer, round_=round_, today=round_.review_start)
    assignment = ReviewAssignment.objects.get(member__round=round_, report=report)
    services.findings_save(
        actor=expert,
        assignment=assignment,
        findings=[
            {
                "element": element.pk,
                "point": point.pk if point else None,
                "matches": i % 3 == 0,
                "comment": "" if i % 3 == 0 else "自评偏高，佐证材料不足",
            }
            for i, (element, point) in enumerate(services._review_targets(catalogue))
        ],
        measures_strong=False,
        measures_comment="改进措施针对性不强，缺少可检验的目标值。",
        submit=True,
    )
    services.conclusion_sign(actor=expert, round_=round_, report=report)
    # The rules let a round start only after its material was public in time, so it was run with
    # dates ahead; last year's round shows last year's dates (a concluded round dated ahead reads
    # as an error).
    year = datetime.timedelta(days=365)
    ReviewRound.objects.filter(pk=round_.pk).update(
        review_start=F("review_start") - year,
        review_end=F("review_end") - year,
        disclosure_deadline=F("disclosure_deadline") - year,
        published_at=F("published_at") - year,
    )
    # and so does its report: written, approved, forwarded and made public before that review
    # (公示于 this year read as material published after its own review)
    SelfDiagnosisReport.objects.filter(pk=report.pk).update(
        submitted_at=F("submitted_at") - year,
        approved_at=F("approved_at") - year,
        forwarded_at=F("forwarded_at") - year,
        published_at=F("published_at") - year,
    )


def seed() -> dict:
    catalogue = Catalogue.objects.filter(code=CATALOGUE, status=Catalogue.Status.ACTIVE).first()
    people = {u.username: u for u in User.objects.filter(username__in=PEOPLE)}
    if catalogue is None or set(people) != set(PEOPLE):
        raise ValueError("load the catalogues and the demo college first")
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=["college", "rj", "wl", "xx"])}
    officer, expert = people["zgb"], people["expert"]
    with transaction.atomic():
        # the team of 软件技术 writes, its leader approves, the department forwards
        major = _forwarded(
            people["rj_member"], people["rj_leader"], people["xx_leader"], units["rj"], catalogue
        )
        review = _round(
            officer,
            expert,
            IN_REVIEW,
            catalogue,
            major,
            timezone.localdate() + datetime.timedelta(days=40),
        )
    if review.status == "disclosed":
        # The disclosure period (REVIEW_DISCLOSURE_DAYS) has not run in a seed that took a
        # second: the start is given the review's own first day as "today", as on that day.
        services.round_start(actor=officer, round_=review, today=review.review_start)
    with transaction.atomic():
        last_year = _forwarded(
            people["rj_member"],
            people["rj_leader"],
            people["xx_leader"],
            units["rj"],
            catalogue,
            period="2025",
        )
        _concluded(officer, expert, last_year, catalogue)
    with transaction.atomic():
        # the college's report: written by the quality office, approved by the chair
        school = _forwarded(officer, people["chair"], officer, units["college"], catalogue)
        _round(
            officer,
            expert,
            IN_DISCLOSURE,
            catalogue,
            school,
            timezone.localdate() + datetime.timedelta(days=60),
        )
        # a department's report still a draft, a major's report waiting for its leader
        _report(people["xx_member"], units["xx"], catalogue)
        submitted = _report(people["xx_leader"], units["wl"], catalogue)
        if submitted.status == "draft":
            services.report_submit(actor=people["xx_leader"], report=submitted)
    return {
        "rounds": ReviewRound.objects.count(),
        "reports": SelfDiagnosisReport.objects.count(),
    }


PEOPLE = ["zgb", "expert", "chair", "rj_member", "rj_leader", "xx_leader", "xx_member"]
