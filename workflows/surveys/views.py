"""Pages: the quality office's surveys (distribute, progress, remind, close, results), the
phone-first answering pages (students signed in; graduates and employers by code), and a
teacher's own results."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import access
from cases.confidential.intake import confidential_view
from engine.forms import add_service_errors
from workflows.monitoring.selectors import readings_to_approve

from . import access as survey_access
from . import capabilities as caps
from . import selectors, services
from .forms import InviteForm, SurveyForm, answer_form
from .models import Audience, Group, Status, Survey


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def survey_list(request):
    if not (
        access.has_capability(request.user, caps.MANAGE)
        or access.has_capability(request.user, caps.VIEW_RESULTS)
    ):
        raise PermissionDenied
    surveys = survey_access.visible_surveys(request.user).select_related(
        "questionnaire", "period", "unit"
    )
    page = Paginator(surveys, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/survey_list.html",
        {"page": page, "can_create": access.has_capability(request.user, caps.MANAGE)},
    )


@login_required
def survey_create(request):
    access.require(request.user, caps.MANAGE)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            form.add_error("unit", _("You do not run surveys for this unit."))
        else:
            messages.success(request, _("Survey created. Open it to distribute it."))
            return redirect(survey)
    return render(request, "surveys/survey_form.html", {"form": form})


@login_required
def survey_detail(request, pk):
    survey = survey_access.get_survey(request.user, pk)
    manage = survey_access.can_manage(request.user, survey)
    groups = survey_access.result_groups(request.user, survey)
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "manage": manage,
            "progress": selectors.progress(survey, groups),
            "views": selectors.group_views(survey, groups)
            if survey.status == Status.CLOSED
            else [],
            "invite_form": InviteForm(),
            "codes": request.session.pop(f"survey-codes-{survey.pk}", None),
            "public_url": request.build_absolute_uri(reverse("surveys:invited", args=[survey.pk])),
            # the link to the readings the survey produced, for whoever approves some of them
            "approves_readings": bool(survey.readings_batch)
            and readings_to_approve(request.user).filter(batch=survey.readings_batch).exists(),
        },
    )


def _act(request, pk, action, done):
    survey = survey_access.get_survey(request.user, pk, caps.MANAGE)
    try:
        result = action(actor=request.user, survey=survey)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, done(result))
    return redirect(survey)


@login_required
@require_POST
def survey_open(request, pk):
    return _act(request, pk, services.survey_open, lambda s: _("The survey is open for answers."))


@login_required
@require_POST
def survey_close(request, pk):
    return _act(
        request,
        pk,
        services.survey_close,
        lambda s: _("The survey is closed; its readings await approval."),
    )


@login_required
@require_POST
def survey_remind(request, pk):
    return _act(
        request,
        pk,
        services.survey_remind,
        lambda n: _("A reminder went to %(n)d people who have not answered yet.") % {"n": n},
    )


@login_required
@require_POST
def survey_invite(request, pk):
    survey = survey_access.get_survey(request.user, pk, caps.MANAGE)
    form = InviteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect(survey)
    try:
        codes = services.survey_invite(
            actor=request.user, survey=survey, count=form.cleaned_data["count"]
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        # shown once on the next page, then gone: only the hashes are kept
        request.session[f"survey-codes-{survey.pk}"] = codes
        messages.success(request, _("%(n)d invitation codes made.") % {"n": len(codes)})
    return redirect(survey)


# --- answering ------------------------------------------------------------------------------


@login_required
def mine(request):
    return render(request, "surveys/mine.html", {"groups": selectors.pending_for(request.user)})


@never_cache
@login_required
def answer(request, group_pk):
    group = get_object_or_404(
        Group.objects.select_related("survey", "section", "teacher"), pk=group_pk
    )
    survey = group.survey
    questions = selectors.questions_of(survey)
    form = answer_form(questions, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit(
                user=request.user,
                group=group,
                rows=services.answer_rows(questions, form.cleaned_data),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # No flash message: it would write the person's session in the next transaction.
            return redirect(reverse("surveys:thanks"))
    if request.method == "GET" and not group.eligibilities.filter(user=request.user).exists():
        if survey.status != Status.OPEN or not _was_asked(request.user, group):
            raise Http404
        return render(request, "surveys/answered.html", {"survey": survey, "group": group})
    return render(
        request,
        "surveys/answer.html",
        {"survey": survey, "group": group, "form": form, "sections": _sections(form)},
    )


def _was_asked(user, group: Group) -> bool:
    if group.section_id is not None:
        return group.section.enrolments.filter(student=user).exists()
    return user.memberships.filter(org_unit_id=group.unit_id, role="student").exists()


def _sections(form):
    """The bound fields grouped under their questionnaire section's heading."""
    out = []
    for bound in form:
        title = getattr(bound.field, "section", "")
        if not out or out[-1][0] != title:
            out.append((title, []))
        out[-1][1].append(bound)
    return out


@confidential_view
def invited(request, pk):
    """The public link for graduates and employers: a code and the questions, no sign-in."""
    survey = get_object_or_404(Survey, pk=pk, audience=Audience.INVITATION)
    if survey.status == Status.DRAFT:
        raise Http404
    questions = selectors.questions_of(survey)
    form = answer_form(questions, request.POST or None, with_code=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit_by_code(
                survey=survey,
                code=form.cleaned_data["code"],
                rows=services.answer_rows(questions, form.cleaned_data),
            )
        except ValidationError as exc:
            form.add_error("code" if exc.code == "code" else None, exc)
        else:
            return redirect(reverse("surveys:thanks"))
    return render(
        request,
        "surveys/answer.html",
        {"survey": survey, "form": form, "sections": _sections(form), "public": True},
    )


def thanks(request):
    return render(request, "surveys/thanks.html")


# --- a teacher's results --------------------------------------------------------------------


@login_required
def teaching(request):
    groups = selectors.teacher_groups(request.user)
    by_survey = {}
    for g in groups:
        by_survey.setdefault(g.survey, []).append(g.pk)
    blocks = []
    for survey, ids in by_survey.items():
        views = selectors.group_views(
            survey, Group.objects.filter(pk__in=ids), comments=survey.comments_released
        )
        blocks.append({"survey": survey, "views": views})
    return render(request, "surveys/teaching.html", {"blocks": blocks})
