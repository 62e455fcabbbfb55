from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from engine.imports import ImportFileError
from workflows.monitoring import access_rules
from workflows.monitoring import capabilities as caps
from workflows.monitoring.models import Reading

from . import imports, services
from .forms import ColumnFormSet, ConfirmForm, ProfileForm, UploadForm, column_initial
from .models import Profile, Upload


def _may_configure(user) -> bool:
    return access.can(user, caps.CONFIGURE)


def _visible_upload(user, pk) -> Upload:
    """The uploader's own uploads, and every upload for the quality office; 404 otherwise."""
    upload = get_object_or_404(
        Upload.objects.select_related("profile", "actor", "preview_run", "import_run"), pk=pk
    )
    if upload.actor_id != user.pk and not _may_configure(user):
        raise Http404
    return upload


@login_required
def profile_list(request):
    access_rules.require_configure(request.user)
    profiles = Profile.objects.prefetch_related("columns__indicator").select_related("period")
    uploads = Paginator(
        Upload.objects.select_related("profile", "actor", "preview_run", "import_run"), 20
    ).get_page(request.GET.get("page"))
    for upload in uploads:
        upload.state = services.upload_state(upload)
    return render(
        request,
        "statedata/profile_list.html",
        {"profiles": profiles, "page": uploads},
    )


@login_required
def profile_edit(request, pk=None):
    access_rules.require_configure(request.user)
    profile = get_object_or_404(Profile, pk=pk) if pk else Profile()
    form = ProfileForm(request.POST or None, instance=profile)
    formset = ColumnFormSet(
        request.POST or None,
        prefix="columns",
        initial=None if request.method == "POST" else column_initial(profile) if pk else None,
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        columns = [
            f.column()
            for f in formset.forms
            if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            profile = services.profile_save(
                actor=request.user, profile=form.save(commit=False), columns=columns
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("statedata:profile_upload", pk=profile.pk)
    return render(
        request,
        "statedata/profile_form.html",
        {"form": form, "formset": formset, "profile": profile if pk else None},
    )


@login_required
def profile_upload(request, pk):
    profile = get_object_or_404(Profile.objects.select_related("period"), pk=pk)
    imports.ensure_can_import(request.user, profile)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.upload_preview(
                actor=request.user, profile=profile, file=form.cleaned_data["file"]
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            if upload.preview_run.finished:
                return redirect("statedata:upload_detail", pk=upload.pk)
            return redirect("engine:import_run", pk=upload.preview_run.pk)
    return render(
        request,
        "statedata/upload_form.html",
        {
            "form": form,
            "profile": profile,
            "columns": profile.columns.select_related("indicator"),
            "can_configure": _may_configure(request.user),
        },
    )


@login_required
def upload_detail(request, pk):
    upload = _visible_upload(request.user, pk)
    state = services.upload_state(upload)
    preview = upload.preview_run
    readings = None
    if state == "imported":
        readings = Paginator(
            Reading.objects.filter(batch=upload.batch)
            .select_related("indicator", "subject", "period")
            .order_by("pk"),
            50,
        ).get_page(request.GET.get("page"))
    return render(
        request,
        "statedata/upload_detail.html",
        {
            "upload": upload,
            "state": state,
            "preview": preview,
            "result": preview.result if preview else {},
            "confirm_form": ConfirmForm(),
            "can_confirm": state in ("previewed", "import_failed")
            and upload.actor_id == request.user.pk,
            "stale": upload.profile.version != upload.profile_version,
            "readings": readings,
        },
    )


@login_required
@require_POST
def upload_confirm(request, pk):
    upload = _visible_upload(request.user, pk)
    form = ConfirmForm(request.POST)
    form.is_valid()
    try:
        run = services.upload_confirm(
            actor=request.user,
            upload=upload,
            keep_good_rows=form.cleaned_data.get("keep_good_rows", False),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("statedata:upload_detail", pk=upload.pk)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not import this table."))
        return redirect("statedata:upload_detail", pk=upload.pk)
    if run.finished:
        if run.status == run.Status.DONE:
            messages.success(request, _("The table is imported."))
        else:
            messages.error(request, run.message)
        return redirect("statedata:upload_detail", pk=upload.pk)
    return redirect("engine:import_run", pk=run.pk)
