import datetime

from django.utils import timezone

from workflows.review import catalogues, services
from workflows.review.models import Catalogue, PanelMember


def shipped_catalogue(name="beijing-annex1", status=Catalogue.Status.ACTIVE):
    return catalogues.load_data(catalogues.shipped()[name], status=status)


def synthetic_catalogue(elements, code="synthetic", **fields):
    data = {
        "code": code,
        "name": f"{elements} elements",
        "items": [
            {
                "number": "1",
                "title": "项目",
                "elements": [
                    {"number": f"1.{i}", "title": f"要素{i}", "points": []}
                    for i in range(1, elements + 1)
                ],
            }
        ],
        **fields,
    }
    return catalogues.load_data(data, status=Catalogue.Status.ACTIVE)


GOOD_ROW = {
    "achievements": "目标基本达成，建成质量保证机构。",
    "problems": "问题：制度执行不到位，考核标准不细；原因：人员不足，培训缺少。",
    "measures": "补充人员，细化考核标准，每学期培训两次。",
    "effects": "考核覆盖率由六成提高到九成。",
}


def filled_report(actor, unit, catalogue, period="2026", level=""):
    report = services.report_create(
        actor=actor,
        org_unit=unit,
        catalogue=catalogue,
        period=period,
        title=f"{unit.name}自我诊改报告",
        level=level,
    )
    rows = {row.element_id: dict(GOOD_ROW) for row in report.rows.all()}
    services.report_save_draft(
        actor=actor, report=report, overview="本年度开展了自我诊改工作。", rows=rows
    )
    return report


def forwarded_report(cast, unit=None, catalogue=None, period="2026"):
    """A report of 软件技术 by its team, approved by its team leader and forwarded by the
    department head (the approver may not also forward it: separation of duties)."""
    unit = unit or cast.units.rj
    catalogue = catalogue or shipped_catalogue()
    report = filled_report(cast.software_member, unit, catalogue, period)
    services.report_submit(actor=cast.software_member, report=report)
    services.report_approve(actor=cast.software_lead, report=report)
    services.report_forward(actor=cast.xx_leader, report=report)
    report.refresh_from_db()
    return report


def round_in_review(cast, reports, name="2026 复核", start=None):
    """A round whose material was published in time and whose disclosure period is over."""
    start = start or timezone.localdate() + datetime.timedelta(days=40)
    catalogue = reports[0].catalogue
    round_ = services.round_create(
        actor=cast.quality_officer,
        name=name,
        catalogue=catalogue,
        review_start=start,
        review_end=start + datetime.timedelta(days=5),
    )
    for report in reports:
        services.round_add_report(actor=cast.quality_officer, round_=round_, report=report)
    chair = services.panel_add(
        actor=cast.quality_officer,
        round_=round_,
        user=cast.expert,
        kind=PanelMember.Kind.EXTERNAL,
        declaration="与被复核单位无利益关系",
        is_chair=True,
    )
    for report in reports:
        services.assignment_create(actor=cast.quality_officer, member=chair, report=report)
    services.round_publish(actor=cast.quality_officer, round_=round_)
    services.round_start(actor=cast.quality_officer, round_=round_, today=start)
    round_.refresh_from_db()
    return round_, chair


def record_findings(expert, assignment, matching, strong=True):
    """The expert finds the first `matching` elements matching, the rest not."""
    catalogue = assignment.member.round.catalogue
    targets = services._review_targets(catalogue)
    findings = [
        {
            "element": e.pk,
            "point": p.pk if p else None,
            "matches": i < matching,
            "comment": "" if i < matching else "自评偏高",
        }
        for i, (e, p) in enumerate(targets)
    ]
    return services.findings_save(
        actor=expert,
        assignment=assignment,
        findings=findings,
        measures_strong=strong,
        submit=True,
    )
