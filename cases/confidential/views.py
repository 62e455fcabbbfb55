"""Public intake pages (no login, nothing identifying kept) and the discipline office's pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import access
from engine import documents, holders
from engine.attachments import attachments_for
from engine.forms import form_run
from engine.text import sentences

from . import capabilities as caps
from . import exports, intake, selectors, services, tracking
from .forms import (
    AccusedForm,
    AdvanceForm,
    NoteForm,
    OfficeFilter,
    OpenCaseForm,
    ReportForm,
    ShareForm,
    TrackForm,
)
from .models import Status


def _with_challenge(form):
    challenge = intake.new_challenge()
    form.data = form.data.copy() if form.is_bound else form.data
    if form.is_bound:
        form.data["challenge_token"] = challenge.token
        form.data["challenge_answer"] = ""
    else:
        form.initial["challenge_token"] = challenge.token
    return challenge


# --- public ---------------------------------------------------------------------------------------


@intake.confidential_view
def report_file(request):
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, user=user)
        try:
            intake.hit("report-file", intake.client_key(request), settings.INTAKE_RATE_FILE)
        except intake.RateLimited:
            challenge = _with_challenge(form)
            return tracking.limited(
                request, "confidential/file.html", {"form": form, "challenge": challenge}
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                report, code = services.report_file(
                    actor=user,
                    subject=data["subject"],
                    about=data["about"],
                    description=data["description"],
                    subject_unit=data["subject_unit"],
                    contact=data["contact"],
                    anonymous=not data.get("named"),
                    uploads=data["files"],
                )
            except ValidationError as exc:
                tracking.form_errors_from(form, exc)
            else:
                # The code is shown in this response only: no redirect, no session copy.
                return render(
                    request, "confidential/filed.html", {"number": report.number, "code": code}
                )
    else:
        form = ReportForm(user=user)
    challenge = _with_challenge(form)
    return render(request, "confidential/file.html", {"form": form, "challenge": challenge})


class ReportCode(tracking.CodeHolder):
    scope = "report"
    not_found_message = gettext_lazy("No report matches this code.")

    def find_by_code(self, code):
        return selectors.report_for_code(code)

    def public_progress(self, report):
        return selectors.public_progress(report)

    def add_information(self, report, *, text, uploads):
        services.report_add_information(report=report, text=text, uploads=uploads)


class ReportTrackPage(ReportCode, tracking.TrackPage):
    template_name = "confidential/track.html"
    form_template_name = "confidential/track_form.html"


class ReportAddInformationPage(ReportCode, tracking.AddInformationPage):
    template_name = "confidential/track.html"
    form_template_name = "confidential/track_form.html"

    def not_found(self, code):
        track = TrackForm(data={"code": code})
        track.is_valid()
        track.add_error(None, self.not_found_message)
        return render(self.request, self.form_template_name, {"form": track}, status=404)


report_track = ReportTrackPage.as_view()
report_add_information = ReportAddInformationPage.as_view()


@login_required
@intake.confidential_view
def my_reports(request):
    reports = selectors.reports_of(request.user).prefetch_related("stages")
    return render(
        request,
        "confidential/mine.html",
        {"items": [selectors.public_progress(r) for r in reports]},
    )


# --- the discipline office ------------------------------------------------------------------------


@login_required
def office_list(request):
    filters = OfficeFilter.read(request).params()
    reports = selectors.office_queue(request.user, **filters)
    page = Paginator(reports, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "confidential/office_list.html",
        {
            "page": page,
            "status": filters["status"],
            "spam": filters["spam"],
            "q": filters["search"],
            "statuses": Status.choices,
            "is_office": selectors.can_see_audit(request.user),
        },
    )


@login_required
def office_export(request):
    """The filtered queue as .xlsx, for the office only."""
    access.require(request.user, caps.REPORT_VIEW)
    reports = selectors.office_queue(request.user, **OfficeFilter.read(request).params())
    return documents.download(
        exports.reports_xlsx(reports),
        documents.file_name("举报台账", f"{timezone.localdate():%Y%m%d}", ext="xlsx"),
    )


@login_required
def office_detail(request, pk):
    return _detail_page(request, selectors.get_report(request.user, pk))


def _detail_page(
    request, report, *, note_form=None, share_form=None, accused_form=None, status=200
):
    """The office's page of a report; a form sent from it and refused comes back bound."""
    can_handle = selectors.can_see_reporter(request.user)
    # whoever holds the open step (转办, 代理) takes it, and sees no more than the step needs
    may_step = not can_handle and holders.may_act(report, request.user)
    # a step handed on (转办) is its holder's: the office's buttons wait for it
    may_advance = may_step or holders.may_do(report, request.user, can_handle)
    additions = list(report.additions.all())
    return render(
        request,
        "confidential/office_detail.html",
        {
            "report": report,
            "show_reporter": can_handle,
            "can_handle": can_handle,
            "may_step": may_step,
            "actions": services.allowed_actions(report) if may_advance else [],
            "text_actions": {a for a, s in services.STEPS.items() if s.text_field},
            "notes": report.notes.select_related("author"),
            "additions": [(a, attachments_for(a)) for a in additions],
            "files": attachments_for(report),
            "note_form": note_form or NoteForm(),
            "share_form": (share_form or ShareForm()) if can_handle else None,
            "shared_with": selectors.shared_with(report) if can_handle else [],
            "accused_form": (accused_form or AccusedForm()) if can_handle else None,
            "accused": report.accused.order_by("full_name", "username") if can_handle else [],
            "quality_case": selectors.quality_case_of(report) if can_handle else None,
            "hooks_ready": services.hooks.open_quality_case is not None,
        },
        status=status,
    )


def _back(report):
    return redirect("confidential:office_detail", pk=report.pk)


@login_required
@require_POST
def office_advance(request, pk):
    report = selectors.get_report(request.user, pk, caps.REPORT_HANDLE)
    form = AdvanceForm(request.POST)
    if form.is_valid():
        try:
            services.report_advance(
                actor=request.user,
                report=report,
                action=form.cleaned_data["action"],
                text=form.cleaned_data["text"],
            )
        except services.IllegalTransition:
            messages.error(request, _("This step is not possible in the report's current stage."))
        except ValidationError as exc:
            messages.error(request, sentences(exc.messages))
        else:
            messages.success(request, _("The report moved on."))
    else:
        messages.error(request, _("The text is too long."))
    return _back(report)


@login_required
@require_POST
def office_spam(request, pk):
    report = selectors.get_report(request.user, pk, caps.REPORT_HANDLE)
    try:
        services.report_mark_spam(
            actor=request.user, report=report, spam=request.POST.get("spam") == "1"
        )
    except ValidationError as exc:
        messages.error(request, sentences(exc.messages))
    return _back(report)


@login_required
@require_POST
def office_note(request, pk):
    report = selectors.get_report(request.user, pk)
    form = NoteForm(request.POST)
    if not form_run(
        form,
        lambda d: services.report_add_note(actor=request.user, report=report, text=d["text"]),
    ):
        return _detail_page(request, report, note_form=form)
    return _back(report)


def _person_list_post(request, report, form, *, add, remove, form_name, done):
    """The office's two lists of people on a report (who may read it, whom it is about): a
    person removed by their own button, or added by username; a refused addition shows the
    page again with the error under the input, which keeps what was typed."""
    if request.POST.get("remove_person", "").isdigit():
        person = get_object_or_404(get_user_model(), pk=request.POST["remove_person"])
        remove(actor=request.user, report=report, user=person)
        messages.success(request, done)
        return _back(report)
    if form.is_valid():
        try:
            add(actor=request.user, report=report, user=form.cleaned_data["username"])
        except ValidationError as exc:
            form.add_error("username", exc.messages)
        else:
            messages.success(request, done)
            return _back(report)
    return _detail_page(request, report, **{form_name: form}, status=400)


@login_required
@require_POST
def office_share(request, pk):
    report = selectors.get_report(request.user, pk, caps.REPORT_GRANT)
    return _person_list_post(
        request,
        report,
        ShareForm(request.POST),
        add=services.report_share,
        remove=services.report_unshare,
        form_name="share_form",
        done=_("Access updated."),
    )


@login_required
@require_POST
def office_accused(request, pk):
    report = selectors.get_report(request.user, pk, caps.REPORT_HANDLE)
    return _person_list_post(
        request,
        report,
        AccusedForm(request.POST),
        add=services.report_add_accused,
        remove=services.report_remove_accused,
        form_name="accused_form",
        done=_("The persons reported on were updated."),
    )


@login_required
def office_open_case(request, pk):
    report = selectors.get_report(request.user, pk, caps.REPORT_HANDLE)
    if services.hooks.open_quality_case is None:
        raise Http404
    form = OpenCaseForm(
        request.POST or None,
        initial={"title": report.about, "org_unit": report.subject_unit},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_open_quality_case(
                actor=request.user, report=report, **form.cleaned_data
            )
        except ValidationError as exc:
            tracking.form_errors_from(form, exc)
        else:
            messages.success(request, _("A quality case was opened."))
            return _back(report)
    return render(
        request,
        "confidential/open_case.html",
        {"report": report, "form": form, "accused": report.accused.order_by("full_name")},
    )
