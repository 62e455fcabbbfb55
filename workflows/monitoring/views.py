from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.models import OrgUnit
from engine import documents
from engine.forms import form_run
from engine.imports import ImportFileError
from workflows.levels import Level

from . import access_rules, cycle_report, engine_bridge, exports, imports, selectors, services
from . import capabilities as caps
from .forms import (
    CycleEvidenceForm,
    CycleListFilter,
    CycleTextsForm,
    EvidenceForm,
    ImportForm,
    ImprovementForm,
    IndicatorForm,
    OverviewDrillFilter,
    OverviewForm,
    PeriodCreateForm,
    PeriodFilter,
    PeriodOpenForm,
    ReadingForm,
    RejectForm,
    SignOffForm,
    UnitFilter,
    WarningFilter,
)
from .models import (
    LARGE_LOOP,
    SMALL_LOOP,
    Cycle,
    CycleReport,
    EvidenceKind,
    Improvement,
    Indicator,
    Period,
    PeriodKind,
    PeriodOpening,
    Reading,
    Stage,
    StageGate,
    Subject,
    Warning,
)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _page(request, qs, size=50):
    return Paginator(qs, size).get_page(request.GET.get("page"))


@login_required
def dashboard(request):
    # Every open period: a weekly indicator's open week next to the open academic year.
    open_periods = Period.objects.filter(is_open=True)
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "heatmap": selectors.heatmap(request.user, open_periods),
            "open_warnings": selectors.warnings_for(request.user, open_only=True)[:10],
            "my_subjects": Subject.objects.filter(subject_user=request.user),
            # Cycles turn per year or term; weeks only carry readings.
            "periods": Period.objects.exclude(kind=PeriodKind.WEEK),
            "can_configure": access.can(request.user, caps.CONFIGURE),
            "can_enter": selectors.indicators_enterable(request.user).exists(),
        },
    )


@login_required
def indicator_list(request):
    if not access_rules.can_view_any(request.user):
        raise PermissionDenied
    indicators = Indicator.objects.filter(access_rules.indicator_filter(request.user))
    indicators = indicators.select_related("data_owner_unit", "approver")
    return render(
        request,
        "monitoring/indicator_list.html",
        {"indicators": indicators, "can_configure": access.can(request.user, caps.CONFIGURE)},
    )


@login_required
def indicator_edit(request, pk=None):
    access_rules.require_configure(request.user)
    instance = get_object_or_404(Indicator, pk=pk) if pk else None
    form = IndicatorForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_save(actor=request.user, indicator=form.instance)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Indicator saved."))
            return redirect("monitoring:indicator_list")
    return render(request, "monitoring/form.html", {"form": form, "title": _("Indicator")})


@login_required
def reading_create(request):
    indicators = selectors.indicators_enterable(request.user)
    if not indicators.exists():
        raise PermissionDenied
    form = ReadingForm(request.POST or None, indicators=indicators)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                services.reading_submit(
                    actor=request.user,
                    indicator=d["indicator"],
                    subject=d["subject"],
                    period=form.reporting_period(),
                    value=d["value"],
                    note=d["note"],
                )
        except ValidationError as exc:
            for fname, errs in exc.message_dict.items():
                form.add_error(fname if fname in form.fields else None, errs)
        else:
            messages.success(request, _("Reading recorded; it counts once approved."))
            return redirect("monitoring:reading_create")
    return render(request, "monitoring/form.html", {"form": form, "title": _("Enter a reading")})


@login_required
def reading_import(request):
    imports.ensure_can_import(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = imports.import_readings(
                actor=request.user,
                upload=form.cleaned_data["file"],
                keep_good_rows=form.cleaned_data["keep_good_rows"],
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("engine:import_run", pk=run.pk)
    return render(request, "monitoring/import.html", {"form": form})


@login_required
def approvals(request):
    pending = selectors.readings_to_approve(request.user).order_by("entered_at")
    return render(
        request,
        "monitoring/approvals.html",
        {
            "page": _page(request, pending),
            "batches": selectors.batches_to_approve(pending),
            "reject": RejectForm(),
        },
    )


@login_required
@require_POST
def reading_approve(request, pk):
    reading = get_object_or_404(Reading.objects.select_related("indicator"), pk=pk)
    try:
        services.reading_approve(actor=request.user, reading=reading)
        messages.success(request, _("Reading approved."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("monitoring:approvals")


@login_required
@require_POST
def readings_decide(request):
    """Approve or return the readings ticked on the approvals page, all or none."""
    ids = request.POST.getlist("reading")
    if not all(pk.isdigit() for pk in ids):
        raise BadRequest(_("The ticked readings are not readings."))
    approve = request.POST.get("decision") == "approve"
    try:
        n = services.readings_decide(
            actor=request.user,
            reading_ids=ids,
            approve=approve,
            reason=request.POST.get("reason", ""),
        )
        done = _("%(n)s readings approved.") if approve else _("%(n)s readings returned.")
        messages.success(request, done % {"n": n})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("monitoring:approvals")


@login_required
@require_POST
def reading_reject(request, pk):
    reading = get_object_or_404(Reading.objects.select_related("indicator"), pk=pk)
    try:
        services.reading_reject(
            actor=request.user, reading=reading, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("Reading rejected."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("monitoring:approvals")


@login_required
@require_POST
def batch_approve(request, batch):
    try:
        n = services.reading_approve_batch(actor=request.user, batch=batch)
        messages.success(request, _("%(n)s readings approved.") % {"n": n})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("monitoring:approvals")


@login_required
def warning_list(request):
    filters = WarningFilter.read(request)
    qs = selectors.warnings_for(request.user)
    unit = filters.unit_for(request.user)
    if unit is not None:
        qs = qs.filter(responsible_unit__path__startswith=unit.path)
    status = filters.cleaned_data["status"]
    if status == "open":
        qs = qs.filter(status__in=["open", "acknowledged"])
    return render(
        request,
        "monitoring/warning_list.html",
        {"page": _page(request, qs), "status": status, "unit": unit},
    )


@login_required
def warning_detail(request, pk):
    warning = access_rules.get_visible(request.user, Warning, pk)
    can_respond = access_rules.can_respond(request.user, warning)
    form = ImprovementForm(
        owners=access_rules.improvement_owners(warning.subject),
        initial={"title": f"{warning.indicator.name}：{warning.subject}"},
    )
    return render(
        request,
        "monitoring/warning_detail.html",
        {
            "warning": warning,
            "can_respond": can_respond,
            "form": form,
            "improvements": warning.improvements.all(),
        },
    )


@login_required
@require_POST
def warning_acknowledge(request, pk):
    warning = access_rules.get_visible(request.user, Warning, pk)
    try:
        services.warning_acknowledge(actor=request.user, warning=warning)
        messages.success(request, _("Warning acknowledged."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("monitoring:warning_detail", pk=pk)


@login_required
@require_POST
def warnings_acknowledge(request):
    """Acknowledge the warnings ticked on the warnings list, all or none."""
    ids = request.POST.getlist("warning")
    if not all(pk.isdigit() for pk in ids):
        raise BadRequest(_("The ticked warnings are not warnings."))
    try:
        n = services.warnings_acknowledge(actor=request.user, warning_ids=ids)
        messages.success(request, _("%(n)s warnings acknowledged.") % {"n": n})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("monitoring:warning_list")


@login_required
def improvement_create(request, pk):
    warning = access_rules.get_visible(request.user, Warning, pk)
    access_rules.require_respond(request.user, warning)
    form = ImprovementForm(
        request.POST or None, owners=access_rules.improvement_owners(warning.subject)
    )
    opened = []
    if request.method == "POST" and form_run(
        form,
        lambda d: opened.append(
            services.improvement_open(
                actor=request.user,
                warning=warning,
                subject=warning.subject,
                period=warning.period,
                title=d["title"],
                cause_analysis=d["cause_analysis"],
                measures=d["measures"],
                owner=d["owner"],
                deadline=d["deadline"],
            )
        ),
    ):
        messages.success(request, _("Improvement opened."))
        return redirect("monitoring:improvement_detail", pk=opened[0].pk)
    return render(
        request, "monitoring/form.html", {"form": form, "title": _("Open an improvement")}
    )


@login_required
def improvement_list(request):
    unit = UnitFilter.read(request).unit_for(request.user)
    qs = selectors.improvements_for(request.user, unit)
    return render(
        request,
        "monitoring/improvement_list.html",
        {"page": _page(request, qs), "unit": unit},
    )


@login_required
def improvement_export(request, fmt):
    if fmt not in ("xlsx", "docx"):
        raise Http404
    unit = UnitFilter.read(request).unit_for(request.user)
    qs = selectors.improvements_for(request.user, unit).order_by("created_at", "pk")
    owner = unit.name if unit else OrgUnit.objects.get_root_nodes().first().name
    title = f"{owner}质量改进台账"
    build = exports.ledger_xlsx if fmt == "xlsx" else exports.ledger_docx
    name = documents.file_name("改进台账", owner, timezone.localdate().year, ext=fmt)
    return documents.download(build(qs, title), name)


@login_required
def improvement_detail(request, pk):
    item = access_rules.get_visible(request.user, Improvement, pk)
    return _improvement_page(request, item)


def _improvement_page(request, item, *, evidence_form=None, sign_off_form=None):
    """The improvement's page; a form sent from it and refused comes back bound (form_run)."""
    return render(
        request,
        "monitoring/improvement_detail.html",
        {
            "item": item,
            "evidence_form": evidence_form or EvidenceForm(),
            "sign_off_form": sign_off_form or SignOffForm(),
            "can_submit": access_rules.may_submit_improvement(request.user, item),
            "can_sign_off": access_rules.can_sign_off(request.user, item),
            "files": engine_bridge.files_of(item),
        },
    )


@login_required
@require_POST
def improvement_submit(request, pk):
    item = access_rules.get_visible(request.user, Improvement, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form_run(
        form,
        lambda d: services.improvement_submit(
            actor=request.user,
            improvement=item,
            evidence=d["evidence"],
            evidence_file=d["evidence_file"],
        ),
    ):
        return _improvement_page(request, item, evidence_form=form)
    messages.success(request, _("Submitted for the effectiveness check."))
    return redirect("monitoring:improvement_detail", pk=pk)


@login_required
@require_POST
def improvement_sign_off(request, pk):
    item = access_rules.get_visible(request.user, Improvement, pk)
    form = SignOffForm(request.POST)
    if not form_run(
        form,
        lambda d: services.improvement_sign_off(
            actor=request.user, improvement=item, effective=d["effective"], note=d["note"]
        ),
    ):
        return _improvement_page(request, item, sign_off_form=form)
    messages.success(request, _("Effectiveness check recorded."))
    return redirect("monitoring:improvement_detail", pk=pk)


@login_required
def cycle_list(request):
    qs = selectors.cycles_for(request.user).order_by("-period__start", "level", "subject__name")
    level = CycleListFilter.read(request).cleaned_data["level"]
    if level:
        qs = qs.filter(level=level)
    return render(
        request,
        "monitoring/cycle_list.html",
        {"page": _page(request, qs), "level": level, "level_choices": Level.choices},
    )


# Positions of the stages on the 8 (viewBox 0 0 640 300): the small loop on the left (target →
# … → warn → improve, back to implement), the large loop on the right (diagnose → … → improved,
# then the next cycle); 改进 (improve) sits where the loops cross.
EIGHT = {
    Stage.TARGET: (160, 40),
    Stage.STANDARD: (60, 95),
    Stage.PLAN: (60, 205),
    Stage.IMPLEMENT: (160, 260),
    Stage.MONITOR: (265, 205),
    Stage.WARN: (265, 95),
    Stage.IMPROVE: (320, 150),
    Stage.DIAGNOSE: (375, 95),
    Stage.INCENTIVE: (480, 40),
    Stage.LEARN: (580, 95),
    Stage.INNOVATE: (580, 205),
    Stage.IMPROVED: (480, 260),
}
# The order of the stage sections on the page: the small loop, then the large loop.
PAGE_ORDER = [*SMALL_LOOP, Stage.WARN, Stage.IMPROVE, *LARGE_LOOP]


@login_required
def cycle_detail(request, pk, *, evidence_form=None):
    """The cycle's page; an evidence form sent from it and refused comes back bound."""
    cycle = access_rules.get_visible(
        request.user,
        Cycle.objects.select_related("subject", "period", "responsible_unit", "previous"),
        pk,
    )
    links = selectors.cycle_links(cycle)
    missing = services.cycle_missing_evidence(cycle, links)
    gaps = services.cycle_gaps(cycle, links)
    evidence_by_stage: dict[str, list] = {}
    for e in links["evidence"]:
        evidence_by_stage.setdefault(e.gate.stage, []).append(e)
    reached = set(PAGE_ORDER[: PAGE_ORDER.index(cycle.stage) + 1])
    nodes = [
        {
            "stage": s,
            "label": Stage(s).label.split(" ")[-1].strip("()"),
            "x": x,
            "y": y,
            "current": s == cycle.stage,
            "done": s in reached and s != cycle.stage,
        }
        for s, (x, y) in EIGHT.items()
    ]
    for n in nodes:
        # Four characters must fit a node's circle (54 units wide); a phone draws the 8 tall at
        # about full scale (_eight.html), so these are close to their size in pixels there.
        n["size"] = 14 if len(n["label"]) <= 2 else 11
    sections = [
        {
            "stage": s,
            "label": Stage(s).label,
            "current": s == cycle.stage,
            "evidence": evidence_by_stage.get(s, []),
        }
        for s in PAGE_ORDER
    ]
    # Evidence a person can add: the current stage's unmet gates that are not data.
    gates = StageGate.objects.filter(pk__in=[g.pk for g in missing if g.kind != EvidenceKind.DATA])
    next_cycle = Cycle.objects.filter(previous=cycle).first()
    year_cycle = selectors.year_cycle_of(cycle) if cycle.subject.subject_user_id else None
    if year_cycle is not None and not access_rules.can_view(request.user, year_cycle):
        year_cycle = None
    return render(
        request,
        "monitoring/cycle_detail.html",
        {
            "cycle": cycle,
            "nodes": nodes,
            "sections": sections,
            "links": links,
            "missing": missing,
            "gaps": gaps,
            "next_cycle": next_cycle,
            "year_cycle": year_cycle,
            "can_run": access_rules.can_run_cycle(request.user, cycle),
            "can_report": access_rules.can_report_cycle(request.user, cycle),
            "report_title": cycle_report.title_of(cycle),
            "reports": list(cycle.reports.select_related("requested_by")[:5]),
            "can_link": cycle.stage in (Stage.TARGET, Stage.STANDARD),
            "evidence_form": _rebound(evidence_form, gates) or CycleEvidenceForm(gates=gates),
            "texts_form": CycleTextsForm(
                initial={"target_text": cycle.target_text, "standard_text": cycle.standard_text}
            ),
        },
    )


@login_required
@require_POST
def cycle_link(request, pk):
    cycle = access_rules.get_visible(request.user, Cycle, pk)
    try:
        added = services.cycle_link_items(actor=request.user, cycle=cycle)
        messages.success(request, _("%(n)s items in force linked.") % {"n": added})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("monitoring:cycle_detail", pk=pk)


def _rebound(form, gates):
    """A refused evidence form offers the gates the page offers (what it was checked against
    may be wider)."""
    if form is not None:
        form.fields["gate"].queryset = gates
    return form


@login_required
@require_POST
def cycle_evidence(request, pk):
    cycle = access_rules.get_visible(request.user, Cycle, pk)
    form = CycleEvidenceForm(request.POST, request.FILES, gates=StageGate.objects.for_cycle(cycle))
    if not form_run(
        form,
        lambda d: services.cycle_add_evidence(
            actor=request.user, cycle=cycle, gate=d["gate"], text=d["text"], file=d["file"]
        ),
    ):
        return cycle_detail(request, pk, evidence_form=form)
    messages.success(request, _("Evidence added."))
    return redirect("monitoring:cycle_detail", pk=pk)


@login_required
@require_POST
def cycle_report_request(request, pk):
    cycle = access_rules.get_visible(
        request.user, Cycle.objects.select_related("subject", "period"), pk
    )
    services.cycle_report_request(actor=request.user, cycle=cycle)
    messages.success(
        request,
        _("%(report)s is being assembled.") % {"report": cycle_report.title_of(cycle)},
    )
    return redirect(reverse("monitoring:cycle_detail", args=[pk]) + "#cycle-reports")


def _visible_report(user, pk, **filters) -> CycleReport:
    report = get_object_or_404(
        CycleReport.objects.select_related("cycle__subject", "cycle__period"), pk=pk, **filters
    )
    access_rules.get_visible(user, Cycle, report.cycle_id)
    return report


@login_required
def cycle_report_status(request, pk):
    report = _visible_report(request.user, pk)
    return JsonResponse(
        {
            "status": report.status,
            "status_display": report.get_status_display(),
            "progress": report.progress,
            "message": report.message,
            "download": reverse("monitoring:cycle_report_download", args=[report.pk])
            if report.status == CycleReport.Status.DONE
            else None,
        }
    )


@login_required
def cycle_report_download(request, pk):
    report = _visible_report(request.user, pk, status=CycleReport.Status.DONE)
    return documents.download_file(report.file.open("rb"), cycle_report.file_name(report.cycle))


@login_required
@require_POST
def cycle_texts(request, pk):
    cycle = access_rules.get_visible(request.user, Cycle, pk)
    form = CycleTextsForm(request.POST)
    if form.is_valid():
        services.cycle_update_texts(actor=request.user, cycle=cycle, **form.cleaned_data)
        messages.success(request, _("Targets and standards saved."))
    return redirect("monitoring:cycle_detail", pk=pk)


@login_required
@require_POST
def cycle_advance(request, pk):
    cycle = access_rules.get_visible(request.user, Cycle, pk)
    try:
        cycle = services.cycle_advance(actor=request.user, cycle=cycle)
        messages.success(
            request, _("The cycle is now at “%(stage)s”.") % {"stage": cycle.get_stage_display()}
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("monitoring:cycle_detail", pk=pk)


@login_required
def overview(request):
    """The college's view of all five levels for a period, with drill-down to units and
    subjects (by level, and by stage or stuck cycles)."""
    if not access_rules.can_view_any(request.user):
        raise PermissionDenied
    query = request.GET
    if not query:
        # open on the current period rather than on an empty page
        current = (
            Period.objects.exclude(kind=PeriodKind.WEEK)
            .filter(is_open=True)
            .order_by("-start")
            .first()
        )
        query = {"period": current.pk, "level": ""} if current else None
    form = OverviewForm(query)
    data = levels = cycles = None
    if form.is_valid():
        period, level = form.cleaned_data["period"], form.cleaned_data["level"]
        levels = selectors.level_overview(request.user, period)
        if level:
            data = selectors.stage_overview(request.user, period, level)
            drill = OverviewDrillFilter.read(request).cleaned_data
            stage, stuck = drill["stage"], drill["stuck"]
            if stage or stuck:
                qs = (
                    selectors.stuck_cycles(request.user, period, level, stage)
                    if stuck
                    else selectors.cycles_for(request.user).filter(
                        period=period, level=level, stage=stage
                    )
                )
                cycles = _page(request, qs.order_by("responsible_unit__name", "subject__name"))
    return render(
        request,
        "monitoring/overview.html",
        {"form": form, "data": data, "levels": levels, "cycles": cycles},
    )


@login_required
def appraisal_export(request, period):
    """The period's outcomes per unit and person for the HR appraisal (绩效考核), .xlsx."""
    if not access_rules.can_view_any(request.user):
        raise PermissionDenied
    period = get_object_or_404(Period.objects.exclude(kind=PeriodKind.WEEK), pk=period)
    title = f"{period.name}诊改结果（绩效考核用）"
    body = exports.appraisal_xlsx(selectors.appraisal_rows(request.user, period), title)
    return documents.download(body, documents.file_name("诊改结果", period.name, ext="xlsx"))


@login_required
def period_list(request):
    """The quality office adds reporting periods here and opens their cycles."""
    access_rules.require_configure(request.user)
    form = PeriodCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            period = services.period_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("Period %(p)s added.") % {"p": period})
            return redirect("monitoring:period_list")
    periods = Period.objects.order_by("-start", "kind")
    kind = PeriodFilter.read(request).cleaned_data["kind"]
    if kind:
        periods = periods.filter(kind=kind)
    return render(
        request,
        "monitoring/period_list.html",
        {"form": form, "page": _page(request, periods), "kind": kind, "kinds": PeriodKind.choices},
    )


@login_required
def period_open(request, pk):
    access_rules.require_configure(request.user)
    period = get_object_or_404(Period.objects.exclude(kind=PeriodKind.WEEK), pk=pk)
    form = PeriodOpenForm(request.POST or None, initial={"levels": Level.values})
    if request.method == "POST" and form.is_valid():
        opening = services.period_open(
            actor=request.user, period=period, levels=form.cleaned_data["levels"]
        )
        return redirect("monitoring:opening_detail", pk=opening.pk)
    return render(
        request, "monitoring/form.html", {"form": form, "title": _("Open %(p)s") % {"p": period}}
    )


@login_required
def opening_detail(request, pk):
    access_rules.require_configure(request.user)
    opening = get_object_or_404(PeriodOpening.objects.select_related("period"), pk=pk)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {"status": opening.status, "total": opening.total, "created": opening.created}
        )
    return render(request, "monitoring/opening_detail.html", {"opening": opening})


@login_required
def subject_detail(request, pk):
    subject = access_rules.get_visible(request.user, Subject, pk)
    indicators = Indicator.objects.filter(level=subject.level, is_active=True)
    radar = (
        selectors.radar(subject, Period.objects.filter(is_open=True))
        if subject.level in (Level.TEACHER, Level.STUDENT)
        else None
    )
    return render(
        request,
        "monitoring/subject_detail.html",
        {
            "subject": subject,
            "indicators": indicators,
            "cycles": subject.cycles.select_related("period"),
            "radar": radar,
        },
    )


@login_required
def trend_data(request, pk, indicator):
    subject = access_rules.get_visible(request.user, Subject, pk)
    ind = get_object_or_404(Indicator, pk=indicator)
    return JsonResponse(selectors.trend(subject, ind))
