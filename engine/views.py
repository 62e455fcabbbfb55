from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access

from . import attachments, delegation, documents, imports, jobs, notifications, selectors, services
from . import calendar_import as importer
from .capabilities import CALENDAR_MANAGE, JOBS_MANAGE, OVERDUE_VIEW
from .forms import CalendarImportForm, ImportRunFilter, InboxFilter
from .models import Attachment, Notification
from .nodes import job_state


@login_required
def notification_list(request):
    page = Paginator(selectors.notifications_for(request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "engine/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk):
    updated = Notification.objects.filter(
        pk=pk, recipient=request.user, read_at__isnull=True
    ).update(read_at=timezone.now())
    notification = Notification.objects.filter(pk=pk, recipient=request.user).first()
    if notification is None:
        raise Http404
    if updated and notification.url and request.POST.get("follow"):
        return redirect(notification.url)
    return redirect("engine:notification_list")


@login_required
@require_POST
def notification_read_all(request):
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("engine:notification_list")


@login_required
def attachment_download(request, pk):
    attachment = Attachment.objects.select_related("content_type").filter(pk=pk).first()
    if attachment is None or not attachments.can_download(request.user, attachment):
        raise Http404
    response = documents.download_file(
        attachment.file.open("rb"), attachment.original_name, attachment.mime
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


INBOX_PAGE_SIZES = (25, 100)


@login_required
def inbox(request):
    """我的待办: every open task of every process for the user, filtered by process and unit."""
    processes = selectors.inbox_processes()
    units = access.visible_units(request.user).order_by("path")
    filters = InboxFilter.read(
        request, processes=processes, units=units, page_sizes=INBOX_PAGE_SIZES
    ).cleaned_data
    process, unit, per = filters["process"], filters["unit"], filters["per"]
    tasks = selectors.inbox_filtered(request.user, process=process, unit=unit)
    page = Paginator(tasks, per).get_page(request.GET.get("page"))
    rows = selectors.task_rows(page.object_list)
    delegation.annotate_rows(request.user, rows)
    return render(
        request,
        "engine/inbox.html",
        {
            "page": page,
            "rows": rows,
            "processes": processes,
            "process": process,
            "units": units,
            "unit": unit,
            "per": per,
            "page_sizes": INBOX_PAGE_SIZES,
        },
    )


@login_required
@require_POST
def task_claim(request, pk):
    from viewflow.workflow.models import Task

    task = Task.objects.filter(pk=pk).select_related("process").first()
    if task is None:
        raise Http404
    services.task_claim(actor=request.user, task=task)
    messages.success(request, _("The task is yours now; the others no longer see it."))
    return redirect("engine:inbox")


@login_required
def overdue_list(request):
    access.require(request.user, OVERDUE_VIEW)
    page = Paginator(selectors.overdue_visible_to(request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "engine/overdue.html", {"page": page})


@login_required
def failed_jobs(request):
    access.require(request.user, JOBS_MANAGE)
    page = Paginator(jobs.failed_jobs(), 50).get_page(request.GET.get("page"))
    rows = [{"task": task, "state": job_state(task)} for task in page.object_list]
    return render(request, "engine/failed_jobs.html", {"page": page, "rows": rows})


@login_required
@require_POST
def failed_job_action(request, pk, action):
    task = jobs.get_failed_job(request.user, pk)
    service = {"retry": jobs.job_retry, "cancel": jobs.job_cancel}[action]
    try:
        service(actor=request.user, task=task)
    except jobs.JobStateError as exc:
        messages.error(request, str(exc))
    else:
        done = (
            _("The job was scheduled again.") if action == "retry" else _("The job was cancelled.")
        )
        messages.success(request, done)
    return redirect("engine:failed_jobs")


@login_required
def preferences(request):
    kinds = notifications.user_kinds()
    if request.method == "POST":
        chosen = {
            kind.kind: {
                "email": f"{kind.kind}:email" in request.POST,
                "webhook": f"{kind.kind}:webhook" in request.POST,
            }
            for kind in kinds
        }
        services.preferences_save(actor=request.user, choices=chosen)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("engine:preferences")
    return render(
        request,
        "engine/preferences.html",
        {"rows": selectors.preference_rows(request.user, kinds)},
    )


@login_required
def calendar_import(request):
    access.require(request.user, CALENDAR_MANAGE)
    run = None
    form = CalendarImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = importer.calendar_import(actor=request.user, file=form.cleaned_data["file"])
        except importer.CalendarFileError as exc:
            form.add_error("file", str(exc))
        else:
            if not run.finished:
                return redirect("engine:import_run", pk=run.pk)
            if run.status == run.Status.DONE:
                messages.success(
                    request,
                    _("Imported %(terms)d terms and %(days)d calendar days.") % run.result,
                )
            else:
                messages.error(request, run.message)
    return render(request, "engine/calendar_import.html", {"form": form, "run": run})


@login_required
def import_runs(request):
    runs = imports.visible_runs(request.user)
    kind = ImportRunFilter.read(request).cleaned_data["kind"]
    if kind:
        runs = runs.filter(kind=kind)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "engine/import_runs.html",
        {"page": page, "kinds": imports.importers(), "kind": kind},
    )


@login_required
def import_run(request, pk):
    run = imports.get_run(request.user, pk)
    importer = imports.importer_for(run.kind)
    return render(
        request,
        "engine/import_run.html",
        {
            "run": run,
            "progress": imports.progress(run),
            "done_url": importer.done_url(run) if importer else "",
            "summary": importer.summary(run) if importer and run.finished else "",
            "can_retry": run.status == run.Status.FAILED and run.actor_id == request.user.pk,
        },
    )


@login_required
def import_progress(request, pk):
    run = imports.get_run(request.user, pk)
    return JsonResponse(imports.progress(run))


@login_required
@require_POST
def import_retry(request, pk):
    run = imports.get_run(request.user, pk)
    if run.actor_id != request.user.pk:
        raise PermissionDenied
    try:
        imports.import_retry(actor=request.user, run=run)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("engine:import_run", pk=run.pk)
