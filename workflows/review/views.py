import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import access
from engine import documents, holders
from engine.duties import DutyRefused

from . import capabilities as caps
from . import catalogues, exports, personal, selectors, services
from . import duties as review_duties
from . import evidence as evidence_registry
from .conclusions import abnormal_below, required_for_effective
from .forms import (
    AddReportForm,
    AssignForm,
    CatalogueImportForm,
    DocumentJobForm,
    EvidenceUploadForm,
    MoveReportForm,
    PanelForm,
    ReportCreateForm,
    ReportFilter,
    RoundForm,
    SanctionForm,
)
from .models import (
    Catalogue,
    DocumentJob,
    PersonalStatus,
    ReportStatus,
    ReviewRound,
    RoundStatus,
    SanctionDecision,
    SanctionFlag,
)
from .services import ROW_FIELDS, TransitionError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _messages_from(request, exc):
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, exc.message)


def _report_file_name(report):
    return documents.file_name("自我诊改报告", report.org_unit.name, report.period, ext="docx")


def _add_form_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# ---------------------------------------------------------------- reports


@login_required
def report_list(request):
    if not (
        access.has_capability(request.user, caps.REPORT_VIEW)
        or selectors.expert_assignments(request.user).exists()
    ):
        raise PermissionDenied
    if ReportFilter.read(request).cleaned_data["waiting"]:
        reports = selectors.approvals_waiting(request.user)
    else:
        reports = selectors.visible_reports(request.user).order_by("-period", "org_unit__path")
    can_create = access.has_capability(request.user, caps.REPORT_EDIT)
    form = None
    if can_create:
        form = ReportCreateForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                report = services.report_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_form_errors(form, exc)
            else:
                return redirect("review:report_edit", report.pk)
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(request, "review/report_list.html", {"reports": page, "page": page, "form": form})


def _row_payload(post, report):
    rows = {}
    for row in report.rows.all():
        prefix = f"row-{row.element_id}-"
        if any(k.startswith(prefix) for k in post):
            values = {name: post.get(prefix + name, "") for name in ROW_FIELDS[:-1]}
            values["measures_not_started"] = post.get(prefix + "measures_not_started") == "on"
            rows[row.element_id] = values
    return rows


@login_required
def report_edit(request, pk):
    report = selectors.get_report(request.user, pk, caps.REPORT_EDIT)
    if report.status != ReportStatus.DRAFT:
        messages.info(request, _("Only a draft can be edited."))
        return redirect("review:report_detail", report.pk)
    errors = {}
    if request.method == "POST":
        try:
            services.report_save_draft(
                actor=request.user,
                report=report,
                overview=request.POST.get("overview", ""),
                rows=_row_payload(request.POST, report),
            )
        except ValidationError as exc:
            if request.headers.get("x-autosave"):
                return JsonResponse({"code": "invalid", "errors": exc.messages}, status=400)
            _messages_from(request, exc)
        else:
            if request.headers.get("x-autosave"):
                return JsonResponse({"saved": True})
            if request.POST.get("action") == "submit":
                try:
                    services.report_submit(actor=request.user, report=report)
                except PermissionDenied:
                    # the draft is saved; submitting is the author's
                    messages.error(request, _("The draft was saved; its author submits it."))
                    return redirect("review:report_edit", report.pk)
                except (ValidationError, TransitionError) as exc:
                    errors = getattr(exc, "message_dict", {})
                    messages.error(
                        request,
                        _("The report was saved but cannot be submitted yet: see the marked rows."),
                    )
                else:
                    messages.success(request, _("Submitted to the unit head."))
                    return redirect("review:report_detail", report.pk)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("review:report_edit", report.pk)
        report.refresh_from_db()
    rows = list(selectors.report_rows(report))
    for row in rows:
        row.errors = errors.get(str(row.element_id), [])
    return render(
        request,
        "review/report_edit.html",
        {
            "report": report,
            "rows": rows,
            "catalogue": report.catalogue,
            "overview_errors": errors.get("overview", []),
            "upload_form": EvidenceUploadForm(),
            "can_submit": services.may_submit(request.user, report),
            "limits": counter_settings(report.catalogue),
            "sources": evidence_registry.sources(),
            "candidates": {
                s.key: list(s.candidates(request.user, report)) for s in evidence_registry.sources()
            },
        },
    )


@login_required
def report_detail(request, pk):
    report = selectors.get_report(request.user, pk)
    user = request.user
    status = report.status
    return render(
        request,
        "review/report_detail.html",
        {
            "report": report,
            "rows": selectors.report_rows(report),
            "can_edit": status == ReportStatus.DRAFT
            and holders.may_do(report, user, access.can(user, caps.REPORT_EDIT, report), "write"),
            "can_head": status == ReportStatus.SUBMITTED and services.may_approve(user, report),
            "duty_notes": review_duties.notes(user, report),
            "can_forward": status == ReportStatus.APPROVED and services.may_forward(user, report),
            "can_publish": status == ReportStatus.FORWARDED
            and holders.may_do(
                report, user, access.can(user, caps.REPORT_PUBLISH, report), "publish"
            ),
            "conclusions": report.conclusions.select_related("round")
            if access.can(user, caps.CONCLUSION_VIEW, report)
            or access.can(user, caps.REPORT_VIEW, report)
            else [],
        },
    )


REPORT_ACTIONS = {
    "approve": services.report_approve,
    "forward": services.report_forward,
    "publish": services.report_publish,
}
# what the page says when a step on a self-diagnosis report went through
REPORT_DONE = {
    "approve": gettext_lazy("The self-diagnosis report is approved."),
    "return": gettext_lazy("The self-diagnosis report is returned to its author."),
    "forward": gettext_lazy("The self-diagnosis report is forwarded to the quality office."),
    "publish": gettext_lazy("The self-diagnosis report is published."),
}


@login_required
@require_POST
def report_action(request, pk, action):
    report = selectors.get_report(request.user, pk)
    try:
        if action == "return":
            services.report_return(
                actor=request.user, report=report, reason=request.POST.get("reason", "")
            )
        elif action in REPORT_ACTIONS:
            REPORT_ACTIONS[action](actor=request.user, report=report)
        else:
            raise Http404
    except (ValidationError, TransitionError) as exc:
        _messages_from(request, exc)
    except DutyRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, REPORT_DONE[action])
    return redirect("review:report_detail", report.pk)


@login_required
def report_docx(request, pk):
    report = selectors.get_report(request.user, pk)
    return documents.download(exports.self_diagnosis_docx(report), _report_file_name(report))


@login_required
@require_POST
def evidence_upload(request, pk):
    report = selectors.get_report(request.user, pk, caps.REPORT_EDIT)
    form = EvidenceUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.evidence_upload(actor=request.user, report=report, **form.cleaned_data)
        except (ValidationError, TransitionError) as exc:
            _messages_from(request, exc)
        else:
            messages.success(request, _("Document uploaded."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("review:report_edit", report.pk)


@login_required
@require_POST
def evidence_link(request, pk):
    report = selectors.get_report(request.user, pk, caps.REPORT_EDIT)
    row = get_object_or_404(report.rows, element_id=request.POST.get("element"))
    try:
        services.evidence_link(
            actor=request.user,
            row=row,
            source_key=request.POST.get("source", ""),
            object_id=request.POST.get("object_id", ""),
        )
    except (ValidationError, TransitionError, ValueError) as exc:
        if isinstance(exc, ValueError):
            messages.error(request, _("Choose an item to link."))
        else:
            _messages_from(request, exc)
    return redirect("review:report_edit", report.pk)


@login_required
def evidence_download(request, pk, doc_pk):
    report = selectors.get_report(request.user, pk)
    document = get_object_or_404(report.documents, pk=doc_pk)
    ext = document.file.name.rsplit(".", 1)[-1].lower() if "." in document.file.name else ""
    name = documents.file_name("佐证材料", report.org_unit.name, document.title, ext=ext)
    return documents.download_file(document.file.open("rb"), name)


# ---------------------------------------------------------------- rounds


@login_required
def round_list(request):
    access.require(request.user, caps.ROUND_MANAGE)
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            return redirect("review:round_detail", round_.pk)
    return render(
        request,
        "review/round_list.html",
        {"rounds": selectors.rounds_for(request.user), "form": form},
    )


def _get_round(user, pk):
    round_ = get_object_or_404(ReviewRound.objects.select_related("catalogue"), pk=pk)
    # whoever holds the round's open step (转办, 代理: engine.holders) does it here; the
    # services refuse them everything else
    # (and still sees it once they did it: the page they land on)
    if not (
        access.can(user, caps.ROUND_MANAGE)
        or holders.may_act(round_, user)
        or holders.took_part(round_, user)
    ):
        raise PermissionDenied
    return round_


@login_required
def round_detail(request, pk):
    round_ = _get_round(request.user, pk)
    forms = {
        "add": AddReportForm(round_=round_),
        "panel": PanelForm(),
        "assign": AssignForm(round_=round_),
        "move": MoveReportForm(round_=round_),
    }
    if request.method == "POST":
        step = request.POST.get("step")
        try:
            if step == "move":
                forms["move"] = form = MoveReportForm(request.POST, round_=round_)
                if form.is_valid():
                    services.round_move_report(
                        actor=request.user,
                        round_=round_,
                        report=form.cleaned_data["report"],
                        to_round=form.cleaned_data["to_round"],
                    )
                    messages.success(
                        request,
                        _("The report is moved to “%(round)s”.")
                        % {"round": form.cleaned_data["to_round"]},
                    )
                    return redirect("review:round_detail", round_.pk)
                _messages_from(request, ValidationError(list(form.errors.values())))
            elif step == "add":
                forms["add"] = form = AddReportForm(request.POST, round_=round_)
                if form.is_valid():
                    services.round_add_report(
                        actor=request.user, round_=round_, **form.cleaned_data
                    )
                    return redirect("review:round_detail", round_.pk)
            elif step == "panel":
                forms["panel"] = form = PanelForm(request.POST)
                if form.is_valid():
                    services.panel_add(actor=request.user, round_=round_, **form.cleaned_data)
                    return redirect("review:round_detail", round_.pk)
            elif step == "assign":
                forms["assign"] = form = AssignForm(request.POST, round_=round_)
                if form.is_valid():
                    services.assignment_create(actor=request.user, **form.cleaned_data)
                    return redirect("review:round_detail", round_.pk)
            elif step == "publish":
                result = services.round_publish(actor=request.user, round_=round_)
                if result.late:
                    messages.warning(
                        request,
                        _(
                            "Published after the disclosure deadline %(date)s: the review cannot "
                            "start and the units will be listed as needing improvement."
                        )
                        % {"date": round_.disclosure_deadline},
                    )
                else:
                    messages.success(request, _("The material is published on the public page."))
                return redirect("review:round_detail", round_.pk)
            elif step == "start":
                services.round_start(actor=request.user, round_=round_)
                messages.success(request, _("The review has started."))
                return redirect("review:round_detail", round_.pk)
        except ValidationError as exc:
            target = forms.get(step)
            if target is not None:
                _add_form_errors(target, exc)
            else:
                _messages_from(request, exc)
        except TransitionError as exc:
            _messages_from(request, exc)
        round_.refresh_from_db()
    thresholds = round_.catalogue.thresholds
    total = len(services._review_targets(round_.catalogue))
    return render(
        request,
        "review/round_detail.html",
        {
            "round": round_,
            "forms": forms,
            "reports": round_.reports.select_related("org_unit"),
            "move_targets": forms["move"].fields["to_round"].queryset,
            "movable": round_.status in (RoundStatus.PLANNING, RoundStatus.DISCLOSED),
            "panel": round_.panel.select_related("user").prefetch_related("assignments__report"),
            "conclusions": {c.report_id: c for c in round_.conclusions.all()},
            "total": total,
            "effective_from": required_for_effective(total, thresholds),
            "not_abnormal_from": abnormal_below(total, thresholds),
        },
    )


@login_required
def round_docx(request, pk):
    round_ = get_object_or_404(ReviewRound, pk=pk)
    if not (
        access.has_capability(request.user, caps.ROUND_MANAGE)
        or access.has_capability(request.user, caps.CONCLUSION_VIEW)
        or round_.panel.filter(user=request.user).exists()
    ):
        raise PermissionDenied
    return documents.download(
        exports.review_report_docx(round_), documents.file_name("复核报告", round_.name, ext="docx")
    )


# ---------------------------------------------------------------- experts


@login_required
def my_assignments(request):
    assignments = selectors.expert_assignments(request.user)
    held = Q(pk__in=holders.held_pks(request.user, ReviewRound))  # 转办, 代理
    chaired = ReviewRound.objects.filter(
        Q(panel__user=request.user, panel__is_chair=True) | held, status="in_review"
    ).distinct()
    return render(
        request,
        "review/my_assignments.html",
        {"assignments": assignments, "chaired": chaired},
    )


@login_required
def assignment_detail(request, pk):
    """The expert's findings on one report. Whatever the expert types is kept as a draft (the
    page's autosave posts with X-Autosave; every save posts the whole form), and recorded as
    findings only while the round is under review; before then the form is read-only and says
    when it opens."""
    assignment = services.get_assignment_for_expert(request.user, pk)
    round_ = assignment.member.round
    targets = services._review_targets(round_.catalogue)
    if request.method == "POST":
        answers = {
            k: v
            for k, v in request.POST.items()
            if k.startswith(("match-", "comment-")) or k in ("measures_strong", "measures_comment")
        }
        try:
            services.findings_draft_save(actor=request.user, assignment=assignment, answers=answers)
        except TransitionError as exc:
            if request.headers.get("x-autosave"):
                return JsonResponse({"saved": False, "error": exc.message}, status=409)
            _messages_from(request, exc)
            return redirect("review:assignment_detail", assignment.pk)
        if request.headers.get("x-autosave"):
            return JsonResponse({"saved": True})
        findings = []
        for element, point in targets:
            key = f"{element.pk}-{point.pk if point else 0}"
            value = request.POST.get(f"match-{key}")
            if value in ("yes", "no"):
                findings.append(
                    {
                        "element": element.pk,
                        "point": point.pk if point else None,
                        "matches": value == "yes",
                        "comment": request.POST.get(f"comment-{key}", ""),
                    }
                )
        strong = {"yes": True, "no": False}.get(request.POST.get("measures_strong"))
        notice = services.review_window_notice(round_)
        if notice:
            kept = _("Your answers are kept as a draft. %(why)s") % {"why": notice}
            messages.warning(request, kept)
            return redirect("review:assignment_detail", assignment.pk)
        try:
            services.findings_save(
                actor=request.user,
                assignment=assignment,
                findings=findings,
                measures_strong=strong,
                measures_comment=request.POST.get("measures_comment", ""),
                submit=request.POST.get("action") == "submit",
            )
        except (ValidationError, TransitionError) as exc:
            _messages_from(request, exc)
            messages.info(request, _("Your answers are kept as a draft."))
        else:
            messages.success(request, _("Findings saved."))
        return redirect("review:assignment_detail", assignment.pk)
    assignment.refresh_from_db()
    draft = assignment.draft
    recorded = {(f.element_id, f.point_id): f for f in assignment.findings.all()}
    rows = {r.element_id: r for r in assignment.report.rows.all()}
    lines = []
    for element, point in targets:
        key = f"{element.pk}-{point.pk if point else 0}"
        finding = recorded.get((element.pk, point.pk if point else None))
        match = {True: "yes", False: "no"}.get(finding.matches) if finding else None
        lines.append(
            {
                "element": element,
                "point": point,
                "key": key,
                "match": draft.get(f"match-{key}", match),
                "comment": draft.get(f"comment-{key}", finding.comment if finding else ""),
                "row": rows.get(element.pk) if point is None else None,
            }
        )
    strong = {True: "yes", False: "no"}.get(assignment.measures_strong)
    return render(
        request,
        "review/assignment_detail.html",
        {
            "assignment": assignment,
            "round": round_,
            "report": assignment.report,
            "lines": lines,
            "measures_strong": draft.get("measures_strong", strong),
            "measures_comment": draft.get("measures_comment", assignment.measures_comment),
            "closed_notice": services.review_window_notice(round_),
            "read_only": bool(services.review_window_notice(round_) or assignment.submitted_at),
        },
    )


@login_required
def conclusion_sign(request, pk, report_pk):
    round_ = get_object_or_404(ReviewRound.objects.select_related("catalogue"), pk=pk)
    if not round_.panel.filter(user=request.user, is_chair=True).exists():
        raise PermissionDenied
    report = get_object_or_404(round_.reports.select_related("org_unit"), pk=report_pk)
    targets = services._review_targets(round_.catalogue)
    proposal, majority_strong, submitted = services.proposed_consolidation(round_, report)
    if request.method == "POST":
        decisions = {}
        for element, point in targets:
            value = request.POST.get(f"match-{element.pk}-{point.pk if point else 0}")
            if value in ("yes", "no"):
                decisions[(element.pk, point.pk if point else None)] = value == "yes"
        strong = {"yes": True, "no": False}.get(request.POST.get("measures_strong"))
        try:
            conclusion = services.conclusion_sign(
                actor=request.user,
                round_=round_,
                report=report,
                decisions=decisions,
                measures_strong=strong,
                summary=request.POST.get("summary", ""),
            )
        except (ValidationError, TransitionError) as exc:
            _messages_from(request, exc)
        else:
            messages.success(
                request,
                _("Signed. Conclusion: %(c)s (%(m)d of %(t)d match).")
                % {
                    "c": conclusion.get_conclusion_display(),
                    "m": conclusion.matched,
                    "t": conclusion.total,
                },
            )
            return redirect("review:my_assignments")
    lines = [
        {
            "element": element,
            "point": point,
            "key": f"{element.pk}-{point.pk if point else 0}",
            "proposal": proposal.get((element.pk, point.pk if point else None)),
        }
        for element, point in targets
    ]
    return render(
        request,
        "review/conclusion_sign.html",
        {
            "round": round_,
            "report": report,
            "lines": lines,
            "majority_strong": majority_strong,
            "submitted": submitted,
        },
    )


# ---------------------------------------------------------------- committee, units, public


@login_required
def committee(request):
    access.require(request.user, caps.CONCLUSION_VIEW)
    if request.method == "POST":
        try:
            if "decision" in request.POST:
                decision = get_object_or_404(SanctionDecision, pk=request.POST["decision"])
                services.sanction_approve(actor=request.user, decision=decision)
                done = _("The measure is approved.")
            else:
                flag = get_object_or_404(SanctionFlag, pk=request.POST.get("flag"))
                form = SanctionForm(request.POST)
                if not form.is_valid():
                    raise ValidationError([e for errors in form.errors.values() for e in errors])
                services.sanction_propose(actor=request.user, flag=flag, **form.cleaned_data)
                done = _("The measure is proposed to the committee.")
        except (ValidationError, TransitionError) as exc:
            _messages_from(request, exc)
        else:
            messages.success(request, done)
        return redirect("review:committee")
    return render(
        request,
        "review/committee.html",
        {
            "conclusions": selectors.conclusions_for(request.user),
            "flags": selectors.sanction_flags_for(request.user),
            "can_propose": access.has_capability(request.user, caps.SANCTION_PROPOSE),
            "can_approve": access.has_capability(request.user, caps.SANCTION_APPROVE),
            "sanction_form": SanctionForm(),
        },
    )


@login_required
def unit_status(request, pk):
    unit = access.get_unit(request.user, pk)
    if not (
        access.can(request.user, caps.REPORT_VIEW, unit)
        or access.can(request.user, caps.CONCLUSION_VIEW, unit)
    ):
        raise PermissionDenied
    return render(
        request,
        "review/unit_status.html",
        {"unit": unit, **selectors.unit_review_status(unit)},
    )


def public_list(request):
    """公示: no login, published material only."""
    page = Paginator(selectors.public_reports(), 50).get_page(request.GET.get("page"))
    return render(request, "review/public_list.html", {"reports": page, "page": page})


def public_report(request, pk):
    report = get_object_or_404(selectors.public_reports(), pk=pk)
    return render(
        request,
        "review/public_report.html",
        {"report": report, "rows": selectors.report_rows(report)},
    )


def public_report_docx(request, pk):
    report = get_object_or_404(selectors.public_reports(), pk=pk)
    return documents.download(exports.self_diagnosis_docx(report), _report_file_name(report))


# ---------------------------------------------------------------- assembled documents


@login_required
def document_jobs(request):
    access.require(request.user, caps.ANNUAL_BUILD)
    form = DocumentJobForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = services.document_job_create(
            actor=request.user,
            kind=form.kind,
            year=form.cleaned_data["year"],
            level=form.cleaned_data["level"],
        )
        return redirect(reverse("review:document_jobs") + f"#job-{job.pk}")
    return render(
        request,
        "review/document_jobs.html",
        {"form": form, "jobs": DocumentJob.objects.all()[:20]},
    )


@login_required
def document_job_status(request, pk):
    access.require(request.user, caps.ANNUAL_BUILD)
    job = get_object_or_404(DocumentJob, pk=pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_display": job.get_status_display(),
            "progress": job.progress,
            "message": job.message,
            "download": reverse("review:document_job_download", args=[job.pk])
            if job.status == DocumentJob.Status.DONE
            else None,
        }
    )


@login_required
def document_job_download(request, pk):
    access.require(request.user, caps.ANNUAL_BUILD)
    job = get_object_or_404(DocumentJob, pk=pk, status=DocumentJob.Status.DONE)
    name = documents.file_name(
        job.get_kind_display(), job.year, job.get_level_display(), ext="docx"
    )
    return documents.download_file(job.file.open("rb"), name)


@login_required
def catalogue_list(request):
    if not (
        access.has_capability(request.user, caps.REPORT_VIEW)
        or access.has_capability(request.user, caps.CATALOGUE_MANAGE)
    ):
        raise PermissionDenied
    can_manage = access.has_capability(request.user, caps.CATALOGUE_MANAGE)
    form = CatalogueImportForm(request.POST or None, request.FILES or None) if can_manage else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            run = services.catalogue_import_xlsx(
                actor=request.user,
                file=form.cleaned_data["file"],
                activate=form.cleaned_data["activate"],
            )
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            if run.status == run.Status.DONE:
                messages.success(request, _("Imported %(c)s.") % {"c": run.result["catalogue"]})
                return redirect("review:catalogue_list")
            if not run.finished:
                return redirect("engine:import_run", pk=run.pk)
            form.add_error(None, [run.message, *(e["message"] for e in run.errors)])
    return render(
        request,
        "review/catalogue_list.html",
        {
            "catalogues": Catalogue.objects.annotate(element_count=Count("elements")),
            "can_manage": can_manage,
            "form": form,
        },
    )


@login_required
def catalogue_xlsx(request, pk):
    access.require(request.user, caps.REPORT_VIEW)
    catalogue = get_object_or_404(Catalogue, pk=pk)
    return documents.download(
        catalogues.catalogue_xlsx(catalogue),
        documents.file_name(catalogue.name, f"v{catalogue.version}", ext="xlsx"),
    )


def counter_settings(catalogue):
    return json.dumps(
        {
            "overview": catalogue.overview_max,
            "opinion": catalogue.opinion_max,
            "measures": catalogue.measures_max,
            "effects": catalogue.effects_max,
            "share": [catalogue.problems_share_num, catalogue.problems_share_den],
        }
    )


# ---------------------------------------------------------------- personal reports


def _personal_file_name(report):
    return documents.file_name(
        report.catalogue.name, str(report.person), report.cycle.period.code, ext="docx"
    )


@login_required
def personal_list(request):
    """The person's own cycles and reports; for approvers, what waits for them and the reports
    of their people."""
    user = request.user
    cycles = list(personal.own_cycles(user)) if access.is_active_user(user) else []
    visible = personal.visible_reports(user).exclude(person=user).order_by("-created_at")
    waiting = [
        r
        for r in visible.filter(status=PersonalStatus.SUBMITTED)[:200]
        if personal.may_approve(user, r)
    ]
    page = Paginator(visible, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "review/personal_list.html",
        {"cycles": cycles, "waiting": waiting, "page": page, "reports": page},
    )


@login_required
@require_POST
def personal_start(request, cycle_pk):
    from workflows.monitoring.models import Cycle

    cycle = get_object_or_404(Cycle.objects.select_related("subject"), pk=cycle_pk)
    if cycle.subject.subject_user_id != request.user.pk:
        raise Http404
    try:
        report = personal.personal_report_create(actor=request.user, cycle=cycle)
    except ValidationError as exc:
        _messages_from(request, exc)
        return redirect("review:personal_list")
    return redirect("review:personal_edit", report.pk)


@login_required
def personal_detail(request, pk):
    report = personal.get_report(request.user, pk)
    user = request.user
    eligible = personal.who_approves(report) if report.status == PersonalStatus.SUBMITTED else None
    return render(
        request,
        "review/personal_detail.html",
        {
            "report": report,
            "rows": report.rows.select_related("element__item"),
            "can_edit": report.status == PersonalStatus.DRAFT and report.person_id == user.pk,
            "can_approve": eligible is not None and any(p.pk == user.pk for p in eligible.people),
            "approvers": eligible.people if eligible is not None else [],
            "escalation": eligible.reason() if eligible is not None else "",
        },
    )


@login_required
def personal_edit(request, pk):
    report = personal.get_report(request.user, pk)
    if report.person_id != request.user.pk:
        raise PermissionDenied
    if report.status != PersonalStatus.DRAFT:
        messages.info(request, _("Only a draft can be edited."))
        return redirect("review:personal_detail", report.pk)
    errors = {}
    if request.method == "POST":
        try:
            personal.personal_report_save(
                actor=request.user,
                report=report,
                overview=request.POST.get("overview", ""),
                rows=_row_payload(request.POST, report),
            )
        except (ValidationError, TransitionError) as exc:
            if request.headers.get("x-autosave"):
                return JsonResponse({"code": "invalid", "errors": [str(exc)]}, status=400)
            _messages_from(request, exc)
        else:
            if request.headers.get("x-autosave"):
                return JsonResponse({"saved": True})
            if request.POST.get("action") == "submit":
                try:
                    personal.personal_report_submit(actor=request.user, report=report)
                except (ValidationError, TransitionError) as exc:
                    errors = getattr(exc, "message_dict", {})
                    messages.error(
                        request,
                        _("The report was saved but cannot be submitted yet: see the marked rows."),
                    )
                else:
                    messages.success(request, _("Submitted for approval."))
                    return redirect("review:personal_detail", report.pk)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("review:personal_edit", report.pk)
        report.refresh_from_db()
    rows = list(report.rows.select_related("element__item").prefetch_related("element__points"))
    for row in rows:
        row.errors = errors.get(str(row.element_id), [])
    return render(
        request,
        "review/personal_edit.html",
        {
            "report": report,
            "rows": rows,
            "catalogue": report.catalogue,
            "overview_errors": errors.get("overview", []),
            "limits": counter_settings(report.catalogue),
        },
    )


PERSONAL_DONE = {
    "approve": gettext_lazy("The personal self-diagnosis report is approved."),
    "return": gettext_lazy("The personal self-diagnosis report is returned to its author."),
}


@login_required
@require_POST
def personal_action(request, pk, action):
    report = personal.get_report(request.user, pk)
    try:
        if action == "approve":
            personal.personal_report_approve(actor=request.user, report=report)
        elif action == "return":
            personal.personal_report_return(
                actor=request.user, report=report, reason=request.POST.get("reason", "")
            )
        else:
            raise Http404
    except (ValidationError, TransitionError) as exc:
        _messages_from(request, exc)
    except DutyRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, PERSONAL_DONE[action])
    return redirect("review:personal_detail", report.pk)


@login_required
def personal_docx(request, pk):
    report = personal.get_report(request.user, pk)
    return documents.download(exports.personal_docx(report), _personal_file_name(report))
