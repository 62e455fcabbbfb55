"""Reads of the review feature. Lists are one query filtered through accounts.access."""

from django.db.models import Count, Q
from django.http import Http404

from accounts import access
from accounts.models import OrgUnit
from engine import holders

from . import capabilities as caps
from .models import (
    Catalogue,
    ReportStatus,
    ReviewAssignment,
    ReviewConclusion,
    ReviewRound,
    SanctionFlag,
    SelfDiagnosisReport,
)

TEACHING_KINDS = (OrgUnit.Kind.DEPARTMENT, OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE)


def authorable_units(user):
    """Units whose reports the user may write: their own subtree; a college-wide role (the
    quality office) writes the college's and the offices' reports, not a department's."""
    q = Q(pk__in=[])
    for g in access.grants(user):
        if caps.REPORT_EDIT not in access.ROLE_CAPS.get(g.role, frozenset()):
            continue
        if g.scope == access.Scope.SUBTREE:
            q |= Q(path__startswith=g.unit_path)
        elif g.scope == access.Scope.COLLEGE:
            q |= ~Q(kind__in=TEACHING_KINDS)
    return OrgUnit.objects.filter(q, is_active=True)


def visible_reports(user):
    """Reports of the user's units, plus, for experts, the published reports assigned to them."""
    if not access.is_active_user(user):
        return SelfDiagnosisReport.objects.none()
    assigned = ReviewAssignment.objects.filter(
        member__user=user, report__published_at__isnull=False
    ).values("report_id")
    # and the reports whose open step the user holds (转办, 代理: engine.holders)
    improving = ReviewConclusion.objects.filter(pk__in=holders.held_pks(user, ReviewConclusion))
    held = Q(pk__in=holders.held_pks(user, SelfDiagnosisReport)) | Q(
        pk__in=improving.values("report_id")
    )
    return SelfDiagnosisReport.objects.filter(
        access.unit_filter(user, caps.REPORT_VIEW, prefix="org_unit__") | Q(pk__in=assigned) | held
    ).select_related("org_unit", "catalogue")


def get_report(user, pk, cap=None) -> SelfDiagnosisReport:
    """404 when the user may not see the report, 403 when they may see it but not do `cap`."""
    report = visible_reports(user).filter(pk=pk).first()
    if report is None and cap is None:
        # whoever a step was handed to (转办, 代理) lands on the report after doing it
        report = SelfDiagnosisReport.objects.filter(pk=pk).first()
        if report is not None and not holders.took_part(report, user):
            report = None
    if report is None:
        raise Http404
    if cap is not None:
        access.require(user, cap, report)
    return report


def report_rows(report):
    return report.rows.select_related("element__item").prefetch_related("evidence")


def active_catalogues():
    return Catalogue.objects.filter(status=Catalogue.Status.ACTIVE, person_level="").annotate(
        element_count=Count("elements")
    )


def rounds_for(user):
    if not access.has_capability(user, caps.ROUND_MANAGE):
        return ReviewRound.objects.none()
    return ReviewRound.objects.select_related("catalogue").annotate(
        report_count=Count("reports", distinct=True)
    )


def expert_assignments(user):
    """What an expert has to review: published reports only."""
    if not access.is_active_user(user):
        return ReviewAssignment.objects.none()
    return ReviewAssignment.objects.filter(
        member__user=user, report__published_at__isnull=False
    ).select_related("member__round", "report__org_unit")


def approvals_waiting(user):
    """Submitted reports the user approves as unit head, and approved ones they forward."""
    from .services import may_approve, may_forward

    candidates = SelfDiagnosisReport.objects.filter(
        access.unit_filter(user, caps.REPORT_APPROVE, prefix="org_unit__")
        | access.unit_filter(user, caps.REPORT_PUBLISH, prefix="org_unit__"),
        status__in=[ReportStatus.SUBMITTED, ReportStatus.APPROVED],
    ).select_related("org_unit")
    return [
        r
        for r in candidates
        if (r.status == ReportStatus.SUBMITTED and may_approve(user, r))
        or (r.status == ReportStatus.APPROVED and may_forward(user, r))
    ]


def conclusions_for(user):
    return ReviewConclusion.objects.filter(
        access.unit_filter(user, caps.CONCLUSION_VIEW, prefix="org_unit__")
    ).select_related("round", "report", "org_unit")


def sanction_flags_for(user):
    return (
        SanctionFlag.objects.filter(
            access.unit_filter(user, caps.CONCLUSION_VIEW, prefix="org_unit__")
            | access.unit_filter(user, caps.REPORT_VIEW, prefix="org_unit__")
        )
        .select_related("org_unit", "conclusion__round")
        .prefetch_related("decisions")
    )


def public_reports():
    """What the public disclosure page shows: published material, nothing else."""
    return (
        SelfDiagnosisReport.objects.filter(published_at__isnull=False)
        .select_related("org_unit", "catalogue")
        .order_by("-published_at")
    )


def unit_review_status(unit):
    return {
        "conclusions": ReviewConclusion.objects.filter(org_unit=unit)
        .select_related("round")
        .order_by("-round__review_start"),
        "flags": SanctionFlag.objects.filter(org_unit=unit).prefetch_related("decisions"),
    }
