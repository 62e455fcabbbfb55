"""Public complaint pages (no login, nothing identifying kept), the discipline office's
oversight of complaints and the supervision request pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import access
from cases.confidential import intake, tracking
from cases.confidential.forms import TrackForm
from cases.confidential.views import _with_challenge

from . import exports, selectors, services
from .capabilities import OVERSEE, SUPERVISE
from .forms import AnonymousComplaintForm, AnswerForm, OversightFilter, RateForm, SuperviseForm


def choose(request):
    """The public entry: complain about the quality work, or report misconduct."""
    return render(request, "complaints/choose.html")


@intake.confidential_view
def complaint_file(request):
    if request.method == "POST":
        form = AnonymousComplaintForm(request.POST, request.FILES)
        try:
            intake.hit("complaint-file", intake.client_key(request), settings.INTAKE_RATE_FILE)
        except intake.RateLimited:
            challenge = _with_challenge(form)
            return tracking.limited(
                request, "complaints/file.html", {"form": form, "challenge": challenge}
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                case, code = services.complaint_file_anonymous(
                    title=data["title"],
                    description=data["description"],
                    subject_unit=data["subject_unit"],
                    uploads=data["files"],
                )
            except ValidationError as exc:
                tracking.form_errors_from(form, exc)
            else:
                # The code is shown in this response only: no redirect, no session copy.
                return render(
                    request, "complaints/filed.html", {"number": case.number, "code": code}
                )
    else:
        form = AnonymousComplaintForm()
    challenge = _with_challenge(form)
    return render(request, "complaints/file.html", {"form": form, "challenge": challenge})


class ComplaintCode(tracking.CodeHolder):
    scope = "complaint"
    not_found_message = gettext_lazy("No complaint matches this code.")

    def find_by_code(self, code):
        return selectors.case_for_code(code)

    def public_progress(self, case):
        return selectors.public_progress(case)

    def add_information(self, case, *, text, uploads):
        services.complaint_add_information(case=case, text=text, uploads=uploads)


class ComplaintPage(ComplaintCode):
    template_name = "complaints/track.html"
    form_template_name = "complaints/track_form.html"

    def progress_context(self, case, code, add_form=None, rate_form=None):
        context = super().progress_context(case, code, add_form=add_form)
        context["rate_form"] = rate_form or RateForm(initial={"code": code})
        return context

    def not_found(self, code):
        """The same page and status as a wrong code on the look-up form."""
        return render(
            self.request,
            self.form_template_name,
            {"form": TrackForm(), "not_found": self.not_found_message},
            status=404,
        )


class ComplaintTrackPage(ComplaintPage, tracking.TrackPage):
    pass


class ComplaintAddInformationPage(ComplaintPage, tracking.AddInformationPage):
    pass


class ComplaintRatePage(ComplaintPage, tracking.CodeActionPage):
    def act(self, case, code):
        form = RateForm(self.request.POST)
        if form.is_valid():
            try:
                case = services.complaint_rate(
                    case=case,
                    satisfaction=form.cleaned_data["satisfaction"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                tracking.form_errors_from(form, exc)
            else:
                messages.success(self.request, _("Thank you for your rating."))
                return self.progress_page(case, form.cleaned_data["code"])
        return self.progress_page(case, code, rate_form=form, status=400)


complaint_track = ComplaintTrackPage.as_view()
complaint_add_information = ComplaintAddInformationPage.as_view()
complaint_rate = ComplaintRatePage.as_view()


# --- oversight (督办) -----------------------------------------------------------------------------


@login_required
def oversight(request):
    access.require(request.user, OVERSEE)
    filters = OversightFilter.read(request)
    cases = selectors.oversight_cases(request.user, **filters.params())
    page = Paginator(cases, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/oversight.html",
        {
            "filters": filters,
            "page": page,
            "rows": selectors.oversight_rows(page.object_list),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def oversight_export(request):
    access.require(request.user, OVERSEE)
    filters = OversightFilter.read(request)
    cases = selectors.oversight_cases(request.user, **filters.params())
    return exports.oversight_xlsx(selectors.oversight_rows(cases))


@login_required
def oversight_detail(request, pk):
    case = selectors.get_oversight_case(request.user, pk)
    row = selectors.oversight_rows([case])[0]
    return render(
        request,
        "complaints/oversight_detail.html",
        {
            "case": case,
            "row": row,
            "progress": selectors.public_progress(case),
            "supervisions": selectors.supervisions_of(case),
            "timeline": selectors.case_timeline(case),
            "may_supervise": access.has_capability(request.user, SUPERVISE),
            "form": SuperviseForm(),
        },
    )


@login_required
@require_POST
def supervise(request, pk):
    access.require(request.user, SUPERVISE)
    case = selectors.get_oversight_case(request.user, pk)
    form = SuperviseForm(request.POST)
    if form.is_valid():
        try:
            services.supervision_issue(
                actor=request.user,
                case=case,
                request=form.cleaned_data["request"],
                working_days=form.cleaned_data["working_days"],
            )
        except ValidationError as exc:
            tracking.form_errors_from(form, exc)
        else:
            messages.success(request, _("The supervision request was sent."))
            return redirect("complaints:oversight_detail", pk=case.pk)
    return render(
        request,
        "complaints/oversight_detail.html",
        {
            "case": case,
            "row": selectors.oversight_rows([case])[0],
            "progress": selectors.public_progress(case),
            "supervisions": selectors.supervisions_of(case),
            "timeline": selectors.case_timeline(case),
            "may_supervise": True,
            "form": form,
        },
        status=400,
    )


@login_required
def supervision_detail(request, pk):
    supervision = selectors.get_supervision(request.user, pk)
    may_answer = selectors.may_answer(request.user, supervision)
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_answer:
            raise access.PermissionDenied
        if form.is_valid():
            try:
                services.supervision_answer(
                    actor=request.user, supervision=supervision, answer=form.cleaned_data["answer"]
                )
            except ValidationError as exc:
                tracking.form_errors_from(form, exc)
            else:
                messages.success(request, _("Your answer was sent."))
                return redirect(supervision)
        status = 400
    return render(
        request,
        "complaints/supervision.html",
        {"supervision": supervision, "may_answer": may_answer, "form": form},
        status=status,
    )
