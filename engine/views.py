from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access

from . import (
    attachments,
    chat,
    delegation,
    doc_templates,
    documents,
    imports,
    jobs,
    notifications,
    selectors,
    services,
)
from . import calendar_import as importer
from .capabilities import CALENDAR_MANAGE, DELIVERIES_MANAGE, JOBS_MANAGE, OVERDUE_VIEW
from .forms import CalendarImportForm, ImportRunFilter, InboxFilter
from .models import Attachment, ChatIdentity, DigestPreference, Notification
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
    if not process and unit is None:
        # the whole inbox: counted and paged from the SQL the navigation's count compiled
        tasks = selectors.WholeInbox(request.user)
    else:
        tasks = selectors.inbox_filtered(request.user, process=process, unit=unit)
    paginator = Paginator(tasks, per)
    page = paginator.get_page(request.GET.get("page"))
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
    """Channels per kind of message, for the kinds that can reach the person (their roles'
    capabilities), grouped by domain."""
    groups = notifications.kinds_for(request.user)
    kinds = [kind for _label, group in groups for kind in group]
    if request.method == "POST":
        chosen = {
            kind.kind: {
                "email": f"{kind.kind}:email" in request.POST,
                "webhook": f"{kind.kind}:webhook" in request.POST,
                "chat": f"{kind.kind}:chat" in request.POST,
            }
            for kind in kinds
        }
        digest = request.POST.get("digest", DigestPreference.Frequency.DAILY)
        if digest not in DigestPreference.Frequency.values:
            return HttpResponseBadRequest(_("Choose how often the digest comes."))
        services.preferences_save(actor=request.user, choices=chosen, digest=digest)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("engine:preferences")
    preference = DigestPreference.objects.filter(user=request.user).first()
    return render(
        request,
        "engine/preferences.html",
        {
            "groups": _grouped(groups, selectors.preference_rows(request.user, kinds)),
            "chat_platforms": [
                ChatIdentity.Platform(p.code).label for p in chat.configured_platforms()
            ],
            "digest": preference.frequency if preference else DigestPreference.Frequency.DAILY,
            "digest_choices": DigestPreference.Frequency.choices,
        },
    )


def _grouped(groups, rows) -> list[tuple[str, list[dict]]]:
    by_kind = {row["kind"].kind: row for row in rows}
    return [(label, [by_kind[k.kind] for k in kinds]) for label, kinds in groups]


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


@login_required
def chat_identities(request):
    """Who DingTalk or WeCom work notifications cannot reach yet, per configured platform, and
    a button that looks their ids up by mobile number in the background."""
    access.require(request.user, DELIVERIES_MANAGE)
    platforms = chat.configured_platforms()
    if request.method == "POST":
        code = request.POST.get("platform", "")
        if code not in {p.code for p in platforms}:
            return HttpResponseBadRequest(_("This platform is not configured."))
        from .tasks import chat_sync, publish_quietly

        publish_quietly(chat_sync, args=[code])
        messages.success(request, _("Looking up the ids by mobile number; reload in a while."))
        return redirect("engine:chat_identities")
    code = request.GET.get("platform") or (platforms[0].code if platforms else "")
    if platforms and code not in {p.code for p in platforms}:
        return HttpResponseBadRequest(_("This platform is not configured."))
    unmapped = selectors.chat_unmapped(code) if code else None
    page = (
        Paginator(unmapped, 50).get_page(request.GET.get("page")) if unmapped is not None else None
    )
    return render(
        request,
        "engine/chat_identities.html",
        {
            "platforms": [(p.code, ChatIdentity.Platform(p.code).label) for p in platforms],
            "current": code,
            "page": page,
            "mapped": ChatIdentity.objects.filter(platform=code).count() if code else 0,
        },
    )


@login_required
def document_templates(request):
    """The Word templates of official documents an office owns: download the one in use (or the
    shipped default), upload a new version, go back to the default."""
    rows = doc_templates.templates_for(request.user)
    if not rows:
        raise PermissionDenied
    errors = {}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        try:
            if request.POST.get("action") == "default":
                doc_templates.template_restore_default(actor=request.user, kind=kind)
                messages.success(request, _("The shipped default is used again."))
            else:
                upload = request.FILES.get("file")
                if upload is None:
                    raise ValidationError(_("Choose the Word file to upload."))
                if upload.size > settings.DOCUMENT_TEMPLATE_MAX_BYTES:
                    raise ValidationError(_("The file is larger than the limit."))
                template = doc_templates.template_upload(
                    actor=request.user,
                    kind=kind,
                    content=upload.read(),
                    note=request.POST.get("note", ""),
                )
                messages.success(
                    request,
                    _("Version %(v)d is in use from now on.") % {"v": template.version},
                )
            return redirect("engine:document_templates")
        except ValidationError as exc:
            errors[kind] = exc.messages
    return render(
        request,
        "engine/document_templates.html",
        {"rows": rows, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
def document_template_download(request, kind, version=None):
    """The template in use (or a given version, or the shipped default: version 0)."""
    rows = {r["kind"].kind: r for r in doc_templates.templates_for(request.user)}
    if kind not in rows:
        raise Http404
    entry = rows[kind]["kind"]
    if version == 0 or (version is None and rows[kind]["in_use"] is None):
        content = entry.default.read_bytes()
        label = "默认"
    else:
        chosen = (
            rows[kind]["in_use"]
            if version is None
            else next((v for v in rows[kind]["versions"] if v.version == version), None)
        )
        if chosen is None:
            raise Http404
        with chosen.file.open("rb") as f:
            content = f.read()
        label = f"v{chosen.version}"
    return documents.download(content, documents.file_name(entry.label, "模板", label, ext="docx"))
