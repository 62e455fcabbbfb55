"""Reads of the confidential track. Every list starts from `visible_reports`."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, F, Q, Value
from django.db.models.functions import Length
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.home import Card
from engine import holders

from . import capabilities as caps
from . import intake
from .models import (
    Report,
    ReportAddition,
    ReportGroupObjectPermission,
    ReportUserObjectPermission,
    Status,
)

CODE_PURPOSE = "report"


def visible_reports(user):
    """The office sees every report; anyone else only the reports shared with them."""
    if not access.is_active_user(user):
        return Report.objects.none()
    if access.has_capability(user, caps.REPORT_VIEW):
        return Report.objects.all()
    held = Q(pk__in=holders.held_pks(user, Report))
    direct = ReportUserObjectPermission.objects.filter(
        user=user, permission__codename=caps.OBJECT_VIEW
    ).values("content_object_id")
    via_group = ReportGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=caps.OBJECT_VIEW
    ).values("content_object_id")
    return Report.objects.filter(Q(pk__in=direct) | Q(pk__in=via_group) | held)


def get_report(user, pk, cap: str | None = None) -> Report:
    """404 when the user may not see the report, 403 when they may see it but not do `cap`."""
    report = visible_reports(user).select_related("subject_unit").filter(pk=pk).first()
    if report is None:
        raise Http404
    # whoever holds the report's open step (转办, 代理: engine.holders) may take it
    if cap is None:
        return report
    usual = access.can(user, cap, report)
    if not (holders.may_do(report, user, usual) if cap == caps.REPORT_HANDLE else usual):
        raise access.PermissionDenied
    return report


def people_named_in(text: str):
    """The active people whose full name the text contains (a report's "about whom"): who the
    report is about, as far as names tell; the office corrects the list on the report's page."""
    text = (text or "").strip()
    if not text:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .annotate(name_length=Length("full_name"), text=Value(text, output_field=CharField()))
        .filter(name_length__gte=2, text__contains=F("full_name"))
    )


def shared_with(report: Report):
    """The people the office asked to read the report (one grant each), by name."""
    ids = ReportUserObjectPermission.objects.filter(
        content_object=report, permission__codename=caps.OBJECT_VIEW
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=ids).order_by("full_name", "username")


def report_of_quality_case(case) -> Report | None:
    """The report a quality case was opened from (the report remembers it; the case does not)."""
    return Report.objects.filter(
        quality_case_type=ContentType.objects.get_for_model(case), quality_case_id=str(case.pk)
    ).first()


def quality_case_of(report: Report):
    """The quality case opened from the report, or None."""
    if not report.quality_case_id:
        return None
    return report.quality_case


def can_see_reporter(user) -> bool:
    """Who filed a named report is for the office only, not for people a report is shared with."""
    return access.has_capability(user, caps.REPORT_HANDLE)


def can_view_attachment_of(user, obj) -> bool:
    report = obj.report if isinstance(obj, ReportAddition) else obj
    return visible_reports(user).filter(pk=report.pk).exists()


def can_see_audit(user) -> bool:
    return access.has_capability(user, caps.REPORT_VIEW)


def office_queue(user, *, status: str = "", spam: bool = False, search: str = ""):
    reports = visible_reports(user).filter(is_spam=spam).select_related("subject_unit")
    if status:
        reports = reports.filter(status=status)
    if search:
        reports = reports.filter(Q(number__icontains=search) | Q(about__icontains=search))
    return reports.annotate(addition_count=Count("additions")).order_by("-created_at", "-id")


def report_for_code(code: str) -> Report | None:
    """One indexed equality query on the keyed hash, whatever the input looks like: a wrong code,
    a malformed one and a missing one cost the same and answer the same."""
    return Report.objects.filter(code_hash=intake.code_digest(code, CODE_PURPOSE)).first()


def public_progress(report: Report) -> dict:
    """What the holder of the code may see: stages with dates and the answer, nothing internal."""
    answered = report.status in (Status.ANSWERED, Status.CLOSED)
    return {
        "number": report.number,
        "status": report.status,
        "status_label": report.get_status_display(),
        "stages": [
            {"status": s.status, "label": s.get_status_display(), "at": s.at}
            for s in report.stages.all()
        ],
        "answer": report.answer if answered else "",
        "can_add": report.is_open,
    }


def reports_of(user):
    """The named reports a person filed, for their own "my reports" page."""
    if not access.is_active_user(user):
        return Report.objects.none()
    return Report.objects.filter(reporter=user, is_anonymous=False)


def home_cards(user) -> list[Card]:
    if not access.has_capability(user, caps.REPORT_VIEW):
        return []
    return [
        Card(
            title=str(_("Open reports")),
            counting=visible_reports(user).filter(is_spam=False).exclude(status=Status.CLOSED),
            url=reverse("confidential:office_list"),
            empty_text=str(_("No open reports.")),
        )
    ]
