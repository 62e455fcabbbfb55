from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts import access as accounts_access
from engine.attachments import attachments_for
from engine.deadlines import deadline_rows
from engine.forms import add_service_errors

from . import access, duties, exports, flows, forms, selectors, services
from .access import get_case, get_notice, person_display, reporter_display
from .models import Case
from .models import Status as S
from .origins import origins_of
from .permissions import CaseCap

PAGE_SIZE = 25


@login_required
def case_list(request):
    accounts_access.require(request.user, CaseCap.FILE)
    form = forms.CaseFilterForm.read(request)
    qs = selectors.case_list(request.user, form.to_filter())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "title": _("Cases"),
            "can_report": accounts_access.has_capability(request.user, CaseCap.REPORT),
        },
    )


@login_required
def case_export(request):
    accounts_access.require(request.user, CaseCap.FILE)
    form = forms.CaseFilterForm.read(request)
    return exports.case_list_xlsx(request.user, selectors.case_list(request.user, form.to_filter()))


@login_required
def inbox(request):
    page = Paginator(selectors.inbox_cases(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for case in page.object_list:
        case.task_title = case.task_node.task_title
        case.task_url = case.task_node.reverse("execute", args=[case.task_process_id, case.task_id])
    return render(
        request, "cases/case_list.html", {"page": page, "title": _("Cases waiting for me")}
    )


FILE_KINDS = {"complaint": Case.Kind.COMPLAINT, "report": Case.Kind.REPORT}


@login_required
def case_file(request, kind):
    if kind not in FILE_KINDS:
        raise Http404
    kind = FILE_KINDS[kind]
    cap = CaseCap.REPORT if kind == Case.Kind.REPORT else CaseCap.FILE
    accounts_access.require(request.user, cap)
    form = forms.CaseFileForm(request.POST or None, request.FILES or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        uploads = data.pop("files")
        other_units = list(data.pop("other_units", []) or [])
        try:
            case = services.case_file(
                actor=request.user, kind=kind, other_units=other_units, uploads=uploads, **data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            if "idempotency_key" in form.errors:
                form.renew_token()
        else:
            messages.success(request, _("Case %(number)s filed.") % {"number": case.number})
            return redirect(case)
    return render(request, "cases/case_form.html", {"form": form, "kind": kind})


@login_required
def case_detail(request, pk):
    case = get_case(request.user, pk)
    history = selectors.case_history(case, request.user)
    for entry in history:
        entry.by_display = person_display(request.user, case, entry.by) if entry.by else ""
    actions = services.allowed_actions(request.user, case)
    # the body's 办结 waits for the complainant's 评价期: the page says until when
    closing_wait = services.case_rating_wait(case) if "close" in actions else ""
    notices = list(
        case.notices.select_related("issuer_unit", "recipient_unit").prefetch_related("reports")
    )
    for notice in notices:
        for report in notice.reports.all():
            report.files = attachments_for(report)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "reporter": reporter_display(request.user, case),
            "actions": actions,
            # the rating is asked for in the reporter's notification: its form is on the page
            "buttons": [
                (a, CASE_ACTIONS[a][0])
                for a in actions
                if a in CASE_ACTIONS and a != "rate" and not (a == "close" and closing_wait)
            ],
            "closing_wait": closing_wait,
            "rate_form": forms.RateForm() if "rate" in actions else None,
            "history": history,
            "notices": notices,
            # 督办 from the discipline office belongs on the case's timeline for everyone who
            # may see the case (it names the office, never a complainant); whoever answers it
            # is led from here to its page
            "supervisions": _supervisions(request.user, case),
            # files of anonymous and hidden reporters were cleaned of names and metadata on upload
            "files": attachments_for(case),
            "deadline_rows": [] if case.is_finished else deadline_rows(case, *notices),
            "investigators": case.investigators.all(),
            "duty_notes": duties.notes(request.user, case),
            "origins": origins_of(request.user, case),
            "committee_round": selectors.committee_round(request.user, case),
        },
    )


def _supervisions(user, case):
    from .complaints.selectors import may_answer

    supervisions = list(case.supervisions.select_related("unit").order_by("pk"))
    for supervision in supervisions:
        supervision.case = case
        supervision.answerable = may_answer(user, supervision)
    return supervisions


def _transfer(request, case, form):
    return services.case_transfer(
        actor=request.user,
        case=case,
        to_unit=form.cleaned_data["to_unit"],
        reason=form.cleaned_data["reason"],
    )


def _findings(request, case, form):
    d = form.cleaned_data
    return services.case_record_findings(
        actor=request.user,
        case=case,
        findings=d["findings"],
        interview_notes=d["interview_notes"],
        responsible_unit=d["responsible_unit"],
        responsible_person=d["responsible_person"],
        uploads=d["files"],
    )


def _determine(request, case, form):
    d = form.cleaned_data
    return services.case_determine(
        actor=request.user,
        case=case,
        grade=d["grade"],
        responsible_unit=d["responsible_unit"],
        responsible_person=d["responsible_person"],
        findings=d["findings"],
    )


def _attach(request, case, form):
    for upload in form.cleaned_data["files"]:
        services.case_attach(actor=request.user, case=case, upload=upload)


def _notice(request, case, form):
    d = form.cleaned_data
    return services.notice_issue(
        actor=request.user,
        case=case,
        facts=d["facts"],
        requirements=d["requirements"],
        due_at=d["due_date"],
        kind=d["kind"],
    )


# action -> (label, form, handler(request, case, form), form takes the case as instance)
CASE_ACTIONS = {
    "withdraw": (
        gettext_lazy("Withdraw"),
        forms.ReasonForm,
        lambda r, c, f: services.case_withdraw(
            actor=r.user, case=c, reason=f.cleaned_data["reason"]
        ),
        False,
    ),
    "accept": (
        gettext_lazy("Accept"),
        forms.EmptyForm,
        lambda r, c, f: services.case_accept(actor=r.user, case=c),
        False,
    ),
    "refuse": (
        gettext_lazy("Refuse"),
        forms.ReasonForm,
        lambda r, c, f: services.case_refuse(actor=r.user, case=c, reason=f.cleaned_data["reason"]),
        False,
    ),
    "transfer": (gettext_lazy("Transfer"), forms.TransferForm, _transfer, False),
    "escalate": (
        gettext_lazy("Escalate to the college"),
        forms.ReasonForm,
        lambda r, c, f: services.case_escalate(
            actor=r.user, case=c, reason=f.cleaned_data["reason"]
        ),
        False,
    ),
    "classify": (
        gettext_lazy("Classify and grade"),
        forms.ClassifyForm,
        lambda r, c, f: services.case_classify(actor=r.user, case=c, **f.cleaned_data),
        False,
    ),
    "investigate": (
        gettext_lazy("Assign investigators"),
        forms.InvestigateForm,
        lambda r, c, f: services.case_start_investigation(
            actor=r.user, case=c, investigators=f.cleaned_data["investigators"]
        ),
        False,
    ),
    "findings": (gettext_lazy("Record findings"), forms.FindingsForm, _findings, True),
    "determine": (gettext_lazy("Determine"), forms.DetermineForm, _determine, True),
    "approve": (
        gettext_lazy("Committee vote"),
        forms.CommitteeForm,
        lambda r, c, f: services.case_committee_vote(
            actor=r.user,
            case=c,
            approve=f.cleaned_data["decision"] == "approve",
            comment=f.cleaned_data["comment"],
        ),
        False,
    ),
    "issue_notice": (
        gettext_lazy("Issue a rectification notice"),
        forms.NoticeForm,
        _notice,
        False,
    ),
    "feedback": (
        gettext_lazy("Tell the reporter the outcome"),
        forms.FeedbackForm,
        lambda r, c, f: services.case_give_feedback(
            actor=r.user, case=c, outcome=f.cleaned_data["outcome"]
        ),
        False,
    ),
    "rate": (
        gettext_lazy("Rate the handling"),
        forms.RateForm,
        lambda r, c, f: services.case_rate(actor=r.user, case=c, **f.cleaned_data),
        False,
    ),
    "close": (
        gettext_lazy("Close"),
        forms.EmptyForm,
        lambda r, c, f: services.case_close(actor=r.user, case=c),
        False,
    ),
    "reopen": (
        gettext_lazy("Reopen"),
        forms.ReasonForm,
        lambda r, c, f: services.case_reopen(actor=r.user, case=c, reason=f.cleaned_data["reason"]),
        False,
    ),
    "attach": (gettext_lazy("Add files"), forms.AttachForm, _attach, False),
}


# action -> the initial values its form takes from what earlier steps recorded
PREFILL = {
    "issue_notice": lambda user, case: {"facts": case.findings},
    # a member who voted sees their vote, which they may change until the round is decided
    "approve": lambda user, case: selectors.my_vote(user, case),
}


def _form_kwargs(user, case, form_class, bound, action) -> dict:
    kwargs = {"initial": PREFILL[action](user, case)} if action in PREFILL else {}
    if bound:
        kwargs["instance"] = Case.objects.get(pk=case.pk)
    elif getattr(form_class, "takes_case", False):
        kwargs["case"] = case
    return kwargs


def _judged(notice) -> list:
    """The rectification reports of a notice, newest first, each with its files: whoever acts on
    the notice sees what was reported."""
    if notice is None:
        return []
    reports = list(notice.reports.order_by("-submitted_at", "-pk"))
    for report in reports:
        report.files = attachments_for(report)
    return reports


def _run(request, case, form, handler, action):
    try:
        handler(request, case, form)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    except services.TransitionNotAllowed as exc:
        messages.error(request, _refused(exc))
        return redirect(case)
    return _after_step(request, case, done_message(action, form, case))


def _refused(exc) -> str:
    """A step the case is past, named as its page names it (委员会表决, not approve)."""
    label = (NOTICE_ACTIONS.get(exc.action) or CASE_ACTIONS.get(exc.action) or (exc.action,))[0]
    return exc.named(label)


def _after_step(request, case, done: str):
    """Where the one who took a step lands, told what was done: the case's page, or their to-do
    list when the step took the case out of their sight (graded severe or transferred, it is
    another unit's) — its page would answer 404 and drop the message."""
    messages.success(request, done)
    if access.visible_cases(request.user).filter(pk=case.pk).exists():
        return redirect(case)
    unit = Case.objects.select_related("accepting_unit").get(pk=case.pk).accepting_unit
    if str(unit) in done:
        messages.info(request, _("The case is no longer shown to you."))
    else:
        messages.info(
            request,
            _("Case %(number)s is now handled by %(unit)s and no longer shown to you.")
            % {"number": case.number, "unit": unit},
        )
    return redirect("engine:inbox")


def _round_for(user, case, action):
    """The committee's round, above a member's vote form."""
    return selectors.committee_round(user, case) if action == "approve" else None


@login_required
def case_action(request, pk, action):
    if action not in CASE_ACTIONS:
        raise Http404
    label, form_class, handler, bound = CASE_ACTIONS[action]
    case = get_case(request.user, pk, action)
    posted = request.method == "POST"
    if not posted and action not in services.allowed_actions(request.user, case):
        # a step the case is past (its form's address kept, a second tab): the case, told why,
        # not a form that is refused only once filled in
        messages.error(request, services.TransitionNotAllowed(case, action, []).named(label))
        return redirect(case)
    kwargs = _form_kwargs(request.user, case, form_class, bound, action)
    form = form_class(request.POST if posted else None, request.FILES if posted else None, **kwargs)
    if request.method == "POST" and form.is_valid():
        response = _run(request, case, form, handler, action)
        if response is not None:
            return response
    return render(
        request,
        "cases/action_form.html",
        {
            "case": case,
            "form": form,
            "label": label,
            "action": action,
            "duty_notes": duties.notes(request.user, case),
            "committee_round": _round_for(request.user, case, action),
        },
    )


NOTICE_ACTIONS = {
    "receipt": (
        gettext_lazy("Confirm receipt"),
        forms.EmptyForm,
        lambda r, n, f: services.notice_confirm_receipt(actor=r.user, notice=n),
    ),
    "rectification_report": (
        gettext_lazy("Submit the rectification report"),
        forms.ReportForm,
        lambda r, n, f: services.notice_submit_report(
            actor=r.user, notice=n, text=f.cleaned_data["text"], uploads=f.cleaned_data["files"]
        ),
    ),
    "verify": (
        gettext_lazy("Verify the rectification"),
        forms.VerifyForm,
        lambda r, n, f: services.notice_verify(
            actor=r.user,
            notice=n,
            accept=f.cleaned_data["verdict"] == "accept",
            reason=f.cleaned_data["reason"],
        ),
    ),
}


# action -> what its success message says was done (every action of CASE_ACTIONS and
# NOTICE_ACTIONS has one); a step with two outcomes: outcome -> message, the outcome read from
# the form field DECIDED_BY names
DONE = {
    "withdraw": gettext_lazy("Case %(number)s withdrawn."),
    "accept": gettext_lazy("Case %(number)s accepted."),
    "refuse": gettext_lazy("Case %(number)s not accepted."),
    "transfer": gettext_lazy("Case %(number)s handed to %(unit)s."),
    "escalate": gettext_lazy("Case %(number)s escalated to the college."),
    "classify": gettext_lazy("Case %(number)s classified and graded."),
    "investigate": gettext_lazy("Investigators assigned to case %(number)s."),
    "findings": gettext_lazy("Findings on case %(number)s recorded."),
    "determine": gettext_lazy("Case %(number)s determined."),
    "approve": {
        "approve": gettext_lazy("The committee approved case %(number)s."),
        "send_back": gettext_lazy("The committee sent case %(number)s back."),
        "vote": gettext_lazy(
            "Your vote on case %(number)s is recorded; the committee has not decided yet."
        ),
    },
    "issue_notice": gettext_lazy("Rectification notice issued on case %(number)s."),
    "feedback": gettext_lazy("The reporter of case %(number)s was told the outcome."),
    "rate": gettext_lazy("Thank you: your rating of case %(number)s was saved."),
    "close": gettext_lazy("Case %(number)s closed."),
    "reopen": gettext_lazy("Case %(number)s reopened."),
    "attach": gettext_lazy("Files added to case %(number)s."),
    "receipt": gettext_lazy("Receipt of notice %(notice)s confirmed."),
    "rectification_report": gettext_lazy("Rectification report on notice %(notice)s submitted."),
    "verify": {
        "accept": gettext_lazy("The rectification on notice %(notice)s was accepted."),
        "return": gettext_lazy("The rectification report on notice %(notice)s was returned."),
    },
}
DECIDED_BY = {"approve": "decision", "verify": "verdict"}


def _vote_outcome(case) -> str:
    """What a committee member's vote did: decided the round (the case moved on) or not yet."""
    status = Case.objects.filter(pk=case.pk).values_list("status", flat=True).first()
    return {S.DETERMINED: "approve", S.INVESTIGATING: "send_back"}.get(status, "vote")


def done_message(action, form, case, notice=None) -> str:
    message = DONE[action]
    if action == "approve":
        message = message[_vote_outcome(case)]
    elif isinstance(message, dict):
        message = message[form.cleaned_data[DECIDED_BY[action]]]
    return message % {
        "number": case.number,
        "notice": notice.number if notice is not None else "",
        "unit": form.cleaned_data.get("to_unit") or "",
    }


@login_required
def notice_action(request, pk, action):
    if action not in NOTICE_ACTIONS:
        raise Http404
    label, form_class, handler = NOTICE_ACTIONS[action]
    notice = get_notice(request.user, pk, action)
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            handler(request, notice, form)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except services.TransitionNotAllowed as exc:
            messages.error(request, _refused(exc))
            return redirect(notice.case)
        else:
            return _after_step(
                request, notice.case, done_message(action, form, notice.case, notice)
            )
    return render(
        request,
        "cases/action_form.html",
        {
            "case": notice.case,
            "notice": notice,
            "reports": _judged(notice),
            "form": form,
            "label": label,
            "action": action,
            "duty_notes": duties.notes(request.user, notice.case),
        },
    )


@login_required
@require_GET
def notice_docx(request, pk):
    notice = get_notice(request.user, pk)
    return exports.notice_docx_response(notice)


@login_required
def dashboard(request):
    accounts_access.require(request.user, CaseCap.DASHBOARD)
    return render(
        request, "cases/dashboard.html", {"figures": selectors.dashboard_figures(request.user)}
    )


@login_required
@require_GET
def analysis_docx(request):
    accounts_access.require(request.user, CaseCap.DASHBOARD)
    return exports.analysis_docx_response(request.user)


def _task_notice(case, action, chosen):
    """The notice a notice step of a task page acts on: the one asked for, else the oldest in
    the status the step needs."""
    notices = case.notices.filter(status__in=flows.NOTICE_ACTION_STATUS[action]).order_by("pk")
    if chosen:
        notices = notices.filter(pk=chosen)
    notice = notices.first()
    if notice is None:
        raise Http404
    notice.case = case
    return notice


@login_required
def task_page(request, process_pk, task_pk):
    """The page of a CaseFlow task (the View nodes' execute URL): the forms of the steps the
    task stands for, each ending in the same service call as the case page and the API; the
    service completes this task and opens the next."""
    task = selectors.case_task(process_pk, task_pk)
    case = get_case(request.user, task.process.case_id)
    if task.status not in flows.OPEN:
        messages.info(request, _("This task is already done."))
        return redirect(case)
    allowed = set(services.allowed_actions(request.user, case))
    offered = [a for a in task.flow_task.actions if a in allowed]
    if not offered:
        # a separation-of-duties rule that refuses the step names itself on the 403 page
        access.require(request.user, case, task.flow_task.actions[0])
        raise PermissionDenied
    action = request.GET.get("action") or offered[0]
    if action not in offered:
        raise PermissionDenied
    notice = None
    if action in NOTICE_ACTIONS:
        label, form_class, handler = NOTICE_ACTIONS[action]
        notice = _task_notice(case, action, request.GET.get("notice"))
        bound = False
    else:
        label, form_class, handler, bound = CASE_ACTIONS[action]
    kwargs = _form_kwargs(request.user, case, form_class, bound, action)
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None, request.FILES if posted else None, **kwargs)
    if posted and form.is_valid():
        try:
            # the service takes the locks (case row, then the process and its tasks): the
            # same order as the API and the case pages
            handler(request, notice or case, form)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except services.TransitionNotAllowed as exc:
            messages.error(request, _refused(exc))
            return redirect(case)
        else:
            return _after_step(request, case, done_message(action, form, case, notice))
    return render(
        request,
        "cases/action_form.html",
        {
            "case": case,
            "notice": notice,
            "reports": _judged(notice),
            "form": form,
            "label": label,
            "action": action,
            "task": task,
            "duty_notes": duties.notes(request.user, case),
            "committee_round": _round_for(request.user, case, action),
            "task_actions": [
                (a, (NOTICE_ACTIONS.get(a) or CASE_ACTIONS[a])[0]) for a in offered if a != action
            ],
        },
    )
