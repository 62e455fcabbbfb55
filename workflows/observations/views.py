"""Pages of class observation: the phone sheet, an observation (with the teacher's reply and
"open an incident"), the observer's and the teacher's lists, and the quality office's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access as accounts_access
from engine.attachments import attachments_for
from engine.forms import add_service_errors, form_run

from . import access, capabilities, forms, selectors, services
from .models import Duty, DutyQuota, ObservationForm

PAGE_SIZE = 25


def _page(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    openable = access.openable_case_ids(request.user, page.object_list)
    for observation in page.object_list:
        observation.case_openable = observation.case_id in openable
    return page


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
def mine(request):
    accounts_access.require(request.user, capabilities.OBSERVE)
    return render(
        request,
        "observations/list.html",
        {
            "title": _("My class observations"),
            "page": _page(request, selectors.observations_by(request.user)),
            "duties": selectors.duty_rows(observer=request.user),
            "can_observe": True,
        },
    )


@login_required
def scope(request):
    accounts_access.require(request.user, capabilities.VIEW)
    return render(
        request,
        "observations/list.html",
        {
            "title": _("Observations in my units"),
            "page": _page(request, selectors.observations_for(request.user)),
        },
    )


@login_required
def about_me(request):
    accounts_access.require(request.user, capabilities.RECEIVE)
    return render(
        request,
        "observations/list.html",
        {
            "title": _("Observations of my lessons"),
            "page": _page(request, selectors.observations_about(request.user)),
        },
    )


@login_required
def new(request):
    accounts_access.require(request.user, capabilities.OBSERVE)
    version = selectors.current_form()
    if version is None:
        raise Http404
    if request.method == "POST":
        version_id = request.POST.get("version")
        if version_id and version_id.isdigit() and int(version_id) != version.pk:
            # a draft filled on an older version is submitted on the version it used
            version = get_object_or_404(version.form.versions, pk=int(version_id))
    form = forms.ObservationSheet(
        request.POST or None, request.FILES or None, user=request.user, version=version
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                observation, created = services.observation_submit(
                    actor=request.user,
                    client_key=data["client_key"],
                    version=version,
                    course=data["course"],
                    observed_at=data["observed_at"],
                    scores=form.scores(),
                    teacher=data["teacher"],
                    teacher_name=data["teacher_name"],
                    class_name=data["class_name"],
                    place=data["place"],
                    kind=data["kind"],
                    strengths=data["strengths"],
                    suggestions=data["suggestions"],
                    photos=data["photos"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                text = (
                    _("Observation submitted.")
                    if created
                    else _("This observation was already submitted; nothing was saved twice.")
                )
                # the sheet's script goes to the observation: the message shows there too
                messages.success(request, text)
                if _wants_json(request):
                    return JsonResponse(
                        {"url": observation.get_absolute_url(), "created": created, "message": text}
                    )
                return redirect(observation)
        if _wants_json(request):
            return JsonResponse(
                {
                    "message": _("The observation was not saved: correct what is marked."),
                    "errors": {
                        field: [str(e) for e in errors] for field, errors in form.errors.items()
                    },
                },
                status=400,
            )
    return render(request, "observations/sheet.html", {"form": form, "version": version})


@login_required
def detail(request, pk):
    observation = access.get_observation(request.user, pk)
    return _detail_page(request, observation)


def _detail_page(request, observation, *, reply_form=None):
    """The observation's page; a reply sent from it and refused comes back bound (form_run)."""
    return render(
        request,
        "observations/detail.html",
        {
            "observation": observation,
            "scores": observation.scores.select_related("item__section"),
            "photos": attachments_for(observation),
            "readings": services.readings_of(observation),
            "replies": observation.replies.select_related("author"),
            "reply_form": (reply_form or forms.ReplyForm())
            if access.can_reply(request.user, observation)
            else None,
            "can_open_case": access.can_open_case(request.user, observation),
            "case_openable": bool(access.openable_case_ids(request.user, [observation])),
        },
    )


@login_required
@require_POST
def reply(request, pk):
    observation = access.get_observation(request.user, pk)
    access.require(access.can_reply(request.user, observation))
    form = forms.ReplyForm(request.POST)
    if not form_run(
        form,
        lambda d: services.observation_reply(
            actor=request.user, observation=observation, text=d["text"]
        ),
    ):
        return _detail_page(request, observation, reply_form=form)
    messages.success(request, _("Your reply was sent to the observer."))
    return redirect(observation)


@login_required
@require_POST
def open_case(request, pk):
    observation = access.get_observation(request.user, pk)
    try:
        case, created = services.observation_open_case(actor=request.user, observation=observation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(observation)
    if created:
        messages.success(
            request, _("Case %(number)s opened from this observation.") % {"number": case.number}
        )
    else:
        messages.info(
            request, _("This observation is already case %(number)s.") % {"number": case.number}
        )
    return redirect(case)


# --- the quality office --------------------------------------------------------------------------


def _require_manage(user):
    if not access.can_manage(user):
        raise PermissionDenied


@login_required
def duty(request, pk):
    """Where a duty's reminder leads: the observer to their own page, the office to its own."""
    get_object_or_404(Duty, pk=pk)
    if access.can_manage(request.user):
        return redirect("observations:office")
    accounts_access.require(request.user, capabilities.OBSERVE)
    return redirect("observations:mine")


@login_required
def office(request):
    _require_manage(request.user)
    behind_only = request.GET.get("behind") == "1"
    return render(
        request,
        "observations/office.html",
        {
            "duties": selectors.duty_rows(behind_only=behind_only),
            "behind_only": behind_only,
            "page": _page(request, selectors.observations_for(request.user)),
            "forms": ObservationForm.objects.prefetch_related("versions"),
            "quotas": DutyQuota.objects.all(),
        },
    )


@login_required
def form_edit(request, pk):
    _require_manage(request.user)
    observation_form = get_object_or_404(ObservationForm, pk=pk)
    current = observation_form.current_version()
    initial = {}
    if current is not None:
        initial = {
            "rows": forms.FormVersionForm.rows_of(current),
            "course_indicator": current.course_indicator,
            "teacher_indicator": current.teacher_indicator,
        }
    form = forms.FormVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.form_version_save(
                actor=request.user,
                form=observation_form,
                sections=form.sections(),
                course_indicator=form.cleaned_data["course_indicator"],
                teacher_indicator=form.cleaned_data["teacher_indicator"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Version %(n)s of the form saved.") % {"n": version.number})
            return redirect("observations:office")
    return render(
        request,
        "observations/form_edit.html",
        {"form": form, "observation_form": observation_form, "current": current},
    )


@login_required
def quota_edit(request, pk=None):
    _require_manage(request.user)
    quota = get_object_or_404(DutyQuota, pk=pk) if pk else DutyQuota()
    form = forms.QuotaForm(request.POST or None, instance=quota)
    if request.method == "POST" and form.is_valid():
        try:
            services.quota_save(actor=request.user, quota=form.instance)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Duty quota saved."))
            return redirect("observations:office")
    return render(request, "observations/quota_form.html", {"form": form, "quota": quota})
