"""Public complaint pages (no login, nothing identifying kept), the discipline office's
oversight of complaints and the supervision request pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from cases.confidential import intake
from cases.confidential.forms import AddInformationForm, TrackForm
from cases.confidential.views import _form_errors_from, _with_challenge

from . import exports, selectors, services
from .capabilities import OVERSEE, SUPERVISE
from .forms import AnonymousComplaintForm, AnswerForm, OversightFilter, RateForm, SuperviseForm


def choose(request):
    """The public entry: complain about the quality work, or report misconduct."""
    return render(request, "complaints/choose.html")


def _limited(request, template, context):
    context["limited"] = True
    return render(request, template, context, status=429)


@intake.confidential_view
def complaint_file(request):
    if request.method == "POST":
        form = AnonymousComplaintForm(request.POST, request.FILES)
        try:
            intake.hit("complaint-file", intake.client_key(request), settings.INTAKE_RATE_FILE)
        except intake.RateLimited:
            challenge = _with_challenge(form)
            return _limited(request, "complaints/file.html", {"form": form, "challenge": challenge})
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
                _form_errors_from(form, exc)
            else:
                # The code is shown in this response only: no redirect, no session copy.
                return render(
                    request, "complaints/filed.html", {"number": case.number, "code": code}
                )
    else:
        form = AnonymousComplaintForm()
    challenge = _with_challenge(form)
    return render(request, "complaints/file.html", {"form": form, "challenge": challenge})


def find_by_code(request, code):
    """Rate-limited per client and per code; the same answer for a wrong or a missing code."""
    intake.hit("complaint-track", intake.client_key(request), settings.INTAKE_RATE_TRACK)
    intake.hit("complaint-code", intake.code_digest(code, "limit")[:32], settings.INTAKE_RATE_CODE)
    return selectors.case_for_code(code)


def _progress_page(request, case, code, add_form=None, rate_form=None, status=200):
    return render(
        request,
        "complaints/track.html",
        {
            "progress": selectors.public_progress(case),
            "add_form": add_form or AddInformationForm(initial={"code": code}),
            "rate_form": rate_form or RateForm(initial={"code": code}),
        },
        status=status,
    )


def _not_found(request):
    """The same page and status as a wrong code on the look-up form."""
    return render(
        request,
        "complaints/track_form.html",
        {"form": TrackForm(), "not_found": _("No complaint matches this code.")},
        status=404,
    )


@intake.confidential_view
def complaint_track(request):
    form = TrackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            case = find_by_code(request, code)
        except intake.RateLimited:
            return _limited(request, "complaints/track_form.html", {"form": form})
        if case is not None:
            return _progress_page(request, case, code)
        form.add_error("code", _("No complaint matches this code."))
    return render(request, "complaints/track_form.html", {"form": form})


@intake.confidential_view
@require_POST
def complaint_add_information(request):
    form = AddInformationForm(request.POST, request.FILES)
    code = request.POST.get("code", "")
    try:
        case = find_by_code(request, code)
    except intake.RateLimited:
        return _limited(request, "complaints/track_form.html", {"form": TrackForm()})
    if case is None:
        return _not_found(request)
    if form.is_valid():
        try:
            services.complaint_add_information(
                case=case, text=form.cleaned_data["text"], uploads=form.cleaned_data["files"]
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Your information was added."))
            return _progress_page(request, case, code)
    return _progress_page(request, case, code, add_form=form, status=400)


@intake.confidential_view
@require_POST
def complaint_rate(request):
    form = RateForm(request.POST)
    try:
        case = find_by_code(request, request.POST.get("code", ""))
    except intake.RateLimited:
        return _limited(request, "complaints/track_form.html", {"form": TrackForm()})
    if case is None:
        return _not_found(request)
    if form.is_valid():
        try:
            case = services.complaint_rate(
                case=case,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Thank you for your rating."))
            return _progress_page(request, case, form.cleaned_data["code"])
    return _progress_page(request, case, request.POST.get("code", ""), rate_form=form, status=400)


# --- oversight (督办) -----------------------------------------------------------------------------


@login_required
def oversight(request):
    access.require(request.user, OVERSEE)
    filters = OversightFilter(request.GET or None)
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
    filters = OversightFilter(request.GET or None)
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
            _form_errors_from(form, exc)
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
                _form_errors_from(form, exc)
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
